"""Participants' numbers (property-based, issue 15).

Counts: whatever the form sends, either it is refused with a message next to a field, or
every count is a whole number from 0 to the bound and the breakdowns (per sex by
institution, and by age group) add up to no more than the totals; what they leave out is
shown as not broken down, and the breakdown is partial exactly when something is left out.

One by one: the counts derived from any list of participants always equal the sum of the
parts — by sex, by age group, and by institution plus those without one — and a withdrawn
consent leaves every count as it was."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.i18n import reset_locale, set_locale
from app.trainings.models import AGE_GROUPS, SEX_CATEGORIES, TrainingParticipant
from app.trainings.participants import (
    MAX_COUNT,
    Breakdown,
    ParticipantForm,
    counts,
    derive,
    participant,
    sessions,
    withdraw,
)
from app.web.forms import FieldErrors

MAX_INSTITUTIONS = 50
# Numbers around the bounds, and text that is not a whole number.
raw_count = st.one_of(st.integers(-5, MAX_COUNT + 5).map(str),
                      st.sampled_from(["", " ", "1.5", "-0", "abc", "٣", "1e3", str(MAX_COUNT)]))
totals = st.fixed_dictionaries({sex: raw_count for sex in SEX_CATEGORIES})
row = st.fixed_dictionaries({"institution": st.sampled_from(["", "Ministry of Interior",
                                                             "  NCCHT  "]),
                             **{sex: raw_count for sex in SEX_CATEGORIES}})
rows = st.lists(row, max_size=4).map(lambda found: list(enumerate(found)))
ages = st.dictionaries(st.sampled_from(AGE_GROUPS), raw_count, max_size=len(AGE_GROUPS))


@pytest.fixture(autouse=True)
def english():
    token = set_locale("en")
    yield
    reset_locale(token)


@settings(max_examples=300, deadline=None)
@given(totals, rows, ages)
def test_accepted_counts_keep_the_invariants(sent_totals, sent_rows, sent_ages):
    errors = FieldErrors()
    by_sex, institutions, by_age = counts(errors, sent_totals, sent_rows, sent_ages,
                                          MAX_INSTITUTIONS)
    if errors:
        allowed = {*SEX_CATEGORIES, "institutions", "ages"} | {
            f"inst-{i}-{name}" for i, _row in sent_rows
            for name in ("institution", *SEX_CATEGORIES)} | {f"age-{a}" for a in AGE_GROUPS}
        assert set(errors) <= allowed
        return
    assert len(institutions) == len(sent_rows)
    total = sum(by_sex.values())
    for sex in SEX_CATEGORIES:
        assert 0 <= by_sex[sex] <= MAX_COUNT
        assert all(0 <= r[sex] <= MAX_COUNT for r in institutions)
        assert sum(r[sex] for r in institutions) <= by_sex[sex]
    assert all(r["institution"] for r in institutions)
    assert all(n > 0 for n in by_age.values())
    for breakdown in (Breakdown(total, [(r["institution"], sum(r[s] for s in SEX_CATEGORIES))
                                        for r in institutions]),
                      Breakdown(total, list(by_age.items()))):
        assert breakdown.counted + breakdown.not_broken_down == breakdown.total
        assert breakdown.not_broken_down >= 0
        assert breakdown.partial == (breakdown.counted < total)


@given(st.integers(0, 1000), st.integers(0, 1000))
def test_a_breakdown_over_the_total_is_refused_at_the_total(total, part):
    errors = FieldErrors()
    counts(errors, {"female": str(total)},
           [(0, {"institution": "Ministry of Justice", "female": str(part)})], {},
           MAX_INSTITUTIONS)
    assert ("female" in errors) == (part > total)


@given(st.integers(0, 1000), st.integers(0, 1000))
def test_age_groups_over_the_total_are_refused(total, part):
    errors = FieldErrors()
    counts(errors, {"male": str(total)}, [], {"25_34": str(part)}, MAX_INSTITUTIONS)
    assert ("ages" in errors) == (part > total)


people = st.lists(st.builds(
    lambda sex, age, institution, named: TrainingParticipant(
        sex=sex, age_group=age, institution=institution, name="Amal" if named else "",
        consent=named, role="", contact=""),
    st.sampled_from(SEX_CATEGORIES), st.sampled_from(AGE_GROUPS),
    st.sampled_from(["", "Ministry of Interior", "ministry of interior", "UNHCR"]),
    st.booleans()), max_size=40)


@settings(max_examples=300, deadline=None)
@given(people)
def test_counts_from_a_list_equal_the_sum_of_the_parts(listed):
    derived = derive(listed)
    assert sum(derived.sexes.values()) == len(listed)
    assert sum(derived.ages.values()) == len(listed)
    by_institution = sum(r[s] for r in derived.institutions for s in SEX_CATEGORIES)
    assert by_institution + sum(1 for p in listed if not p.institution) == len(listed)
    for sex in SEX_CATEGORIES:
        assert sum(r[sex] for r in derived.institutions) <= derived.sexes[sex]
    # The same institution written in another case is one row.
    names = [r["institution"].casefold() for r in derived.institutions]
    assert len(names) == len(set(names))


@settings(max_examples=100, deadline=None)
@given(people, st.data())
def test_a_withdrawn_consent_keeps_the_counts(listed, data):
    before = derive(listed)
    for person in listed:
        if data.draw(st.booleans()):
            withdraw(person, None)
            assert (person.name, person.role, person.contact, person.consent) == \
                ("", "", "", False)
    assert derive(listed) == before


@given(st.text(max_size=30), st.booleans())
def test_a_name_needs_consent(name, consent):
    errors = FieldErrors()
    values = participant(errors, ParticipantForm(name=name, sex="female",
                                                 age_group="18_24", consent=consent))
    named = bool(" ".join(name.split()))
    assert ("p-name" in errors) == (named and not consent)
    if not errors:
        assert values["consent"] or not values["name"]


@pytest.mark.parametrize(("sent", "field"), [
    ({"day": "2027-02-28", "hours": "3", "place": "Kassala"}, "sess-0-day"),  # before
    ({"day": "2027-03-01", "hours": "0", "place": "Kassala"}, "sess-0-hours"),
    ({"day": "2027-03-01", "hours": "25", "place": "Kassala"}, "sess-0-hours"),
    ({"day": "2027-03-01", "hours": "2.25", "place": "Kassala"}, "sess-0-hours"),
    ({"day": "2027-03-01", "hours": "NaN", "place": "Kassala"}, "sess-0-hours"),
    ({"day": "2027-03-01", "hours": "three", "place": "Kassala"}, "sess-0-hours"),
    ({"day": "2027-03-01", "hours": "3"}, "sess-0-place"),
])
def test_bad_sessions_are_refused_at_the_field(sent, field):
    errors = FieldErrors()
    sessions(errors, [(0, sent)], date(2027, 3, 1), date(2027, 3, 3))
    assert field in errors


def test_a_session_online_needs_no_place():
    errors = FieldErrors()
    [found] = sessions(errors, [(0, {"day": "2027-03-02", "hours": "2,5", "online": "1",
                                     "place": "ignored"})], date(2027, 3, 1),
                       date(2027, 3, 3))
    assert not errors and found.online and found.place == "" and str(found.hours) == "2.5"
