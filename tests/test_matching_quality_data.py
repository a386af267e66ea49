"""The matching quality benchmark's data set (bench/matching_quality_data/) is built the
same on every machine, holds what the issue asks of it, and its labels follow from the
hard requirements."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.matching_quality_data.generate import (
    CHECKSUM,
    build,
    checksum,
    eligible,
    occupations,
)


@pytest.fixture(scope="module")
def data() -> dict:
    return build()


def test_the_set_is_built_deterministically(data):
    assert checksum(data) == CHECKSUM
    assert checksum(build()) == CHECKSUM


def test_the_set_has_what_the_issue_asks(data):
    found = occupations()
    assert len(data["experts"]) >= 2000
    assert len({e["occupation"] for e in data["experts"]}) >= 40
    assert sum(o["role"] == "distractor" for o in found.values()) >= 10
    assert len({e["ref"] for e in data["experts"]}) == len(data["experts"])
    assert len({e["email"] for e in data["experts"]}) == len(data["experts"])
    requests = data["requests"]
    assert len(requests) >= 60
    languages = Counter(r["language"] for r in requests)
    assert languages["ar"] >= 10 and languages["pt"] >= 10
    assert sum(r["typos"] for r in requests) >= 8
    assert sum(r["distractor_heavy"] for r in requests) >= 15
    assert Counter(r["half"] for r in requests) == {"tuning": 32, "held_out": 32}
    for request in requests:
        grades = Counter(data["labels"][request["ref"]].values())
        assert grades[2] >= 3, request["ref"]
    # Every skill a request or an expert names is in the vocabulary, in some language.
    names = {name for s in data["skills"] for name in s["names"].values()}
    assert {n for r in requests for n in r["required_skills"] + r["desired_skills"]} <= names
    assert {n for e in data["experts"] for n in e["skills"]} <= names
    assert all(set(s["names"]) == {"en", "ar", "pt", "fr"} for s in data["skills"])


def test_labels_follow_occupation_and_eligibility(data):
    found = occupations()
    experts = {e["ref"]: e for e in data["experts"]}
    request = data["requests"][0]
    labels = data["labels"][request["ref"]]
    for ref, expert in experts.items():
        wanted = expert["occupation"] == request["occupation"]
        related = expert["occupation"] in found[request["occupation"]]["related"]
        expected = 0 if not eligible(request, expert) else 2 if wanted else 1 if related else 0
        assert labels.get(ref, 0) == expected
    # A distractor is never relevant, however eligible.
    distractor = found[request["occupation"]]["distractor"]
    assert not [ref for ref in labels if experts[ref]["occupation"] == distractor]


def test_eligibility_is_checked_to_the_day_and_the_year():
    request = {"languages": [["en", "B2"]], "earliest": 10, "latest": 20, "duration_weeks": 2,
               "min_years": 10}
    expert = {"status": "verified", "consents": ["matching"], "languages": [["en", "C1"]],
              "availability": [[34, 90]], "years": 10}
    assert eligible(request, expert)  # the window ends on day 20 + 14 = 34
    assert not eligible(request, {**expert, "availability": [[35, 90]]})
    assert not eligible(request, {**expert, "years": 9})
    assert not eligible(request, {**expert, "languages": [["en", "B1"]]})
    assert not eligible(request, {**expert, "consents": ["future_contact"]})
    assert not eligible(request, {**expert, "status": "submitted"})
