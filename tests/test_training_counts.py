"""Participants as counts (property-based): whatever the form sends, either it is refused
with a message next to a field, or every count is a whole number from 0 to the bound and,
per sex, the institutions add up to no more than the total."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.i18n import reset_locale, set_locale
from app.trainings.models import SEX_CATEGORIES
from app.trainings.services import MAX_COUNT, participants
from app.web.forms import FieldErrors

# Numbers around the bounds, and text that is not a whole number.
raw_count = st.one_of(st.integers(-5, MAX_COUNT + 5).map(str),
                      st.sampled_from(["", " ", "1.5", "-0", "abc", "٣", "1e3", str(MAX_COUNT)]))
totals = st.fixed_dictionaries({sex: raw_count for sex in SEX_CATEGORIES})
row = st.fixed_dictionaries({"institution": st.sampled_from(["", "Ministry of Interior",
                                                             "  NCCHT  "]),
                             **{sex: raw_count for sex in SEX_CATEGORIES}})
rows = st.lists(row, max_size=4).map(lambda found: list(enumerate(found)))


@pytest.fixture(autouse=True)
def english():
    token = set_locale("en")
    yield
    reset_locale(token)


@settings(max_examples=300, deadline=None)
@given(totals, rows)
def test_accepted_counts_keep_the_invariants(sent_totals, sent_rows):
    errors = FieldErrors()
    counts, institutions = participants(errors, sent_totals, sent_rows)
    if errors:
        allowed = {*SEX_CATEGORIES, "institutions"} | {
            f"inst-{i}-{name}" for i, _row in sent_rows
            for name in ("institution", *SEX_CATEGORIES)}
        assert set(errors) <= allowed
        return
    assert len(institutions) == len(sent_rows)
    for sex in SEX_CATEGORIES:
        assert 0 <= counts[sex] <= MAX_COUNT
        assert all(0 <= r[sex] <= MAX_COUNT for r in institutions)
        assert sum(r[sex] for r in institutions) <= counts[sex]
    assert all(r["institution"] for r in institutions)


@given(st.integers(0, 1000), st.integers(0, 1000))
def test_a_breakdown_over_the_total_is_refused_at_the_total(total, part):
    errors = FieldErrors()
    participants(errors, {"female": str(total)},
                 [(0, {"institution": "Ministry of Justice", "female": str(part)})])
    assert ("female" in errors) == (part > total)
