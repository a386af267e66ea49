"""The pure scoring module: each criterion on its own (value and explanation facts), the
weighted mean that leaves out criteria which do not apply, weights, totals and ties.
No database, no engine."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date

import pytest

from app.matching.scoring import (
    CRITERIA,
    DEFAULT_WEIGHTS,
    FIT_FLOOR,
    JOB_SHARE,
    MAX_WEIGHT,
    MODALITY_FIT,
    CandidateFacts,
    Criterion,
    NearMissMargins,
    RequestFacts,
    Score,
    availability_fit,
    clean_weights,
    experience_fit,
    job_fit,
    languages_fit,
    missed,
    modality_location_fit,
    near_miss,
    occupation_fit,
    overlap_days,
    rank_key,
    score,
)
from app.matching.similarity import PARTIAL, Concept, TextWords, boilerplate

MARCH = (date(2025, 3, 1), date(2025, 3, 31))   # 31 days, inclusive


def d(day: int, month: int = 3) -> date:
    return date(2025, month, day)


def request(**overrides) -> RequestFacts:
    """A request where every criterion applies; override what a test is about."""
    facts = dict(required_skills={"r1", "r2"}, desired_skills={"d1", "d2"}, sector="health",
                 languages=(("fr", "B2"),), window=MARCH, duration_days=20, min_years=5,
                 modality="on_site", city="Dakar", country="SN")
    facts.update(overrides)
    for key in ("required_skills", "desired_skills"):  # ids; each skill's label is its id
        facts[key] = tuple(Concept(k, (k,)) for k in sorted(facts[key]))
    return RequestFacts(**facts)


def candidate(**overrides) -> CandidateFacts:
    """A candidate perfect for request(); override what a test is about."""
    facts = dict(skills={"r1", "r2", "d1", "d2"}, sectors={"health"}, languages={"fr": "C1"},
                 periods=(MARCH,), years=10, modality="on_site", city="Dakar", country="SN",
                 evaluation=1.0)
    facts.update(overrides)
    for key in ("skills", "sectors"):
        facts[key] = frozenset(facts[key])
    return CandidateFacts(**facts)


def only(*names: str, **custom: int) -> dict[str, int]:
    """Weights counting only the named criteria (weight 1, or as given)."""
    return {name: custom.get(name, 1 if name in names else 0) for name in CRITERIA}


def test_the_perfect_candidate_scores_100_with_every_criterion_present():
    result = score(request(), candidate(text_fit=1.0))
    assert result.total == 100
    assert [c.name for c in result.criteria] == list(CRITERIA)
    assert all(c.value == 1.0 for c in result.criteria)
    assert {c.name: c.weight for c in result.criteria} == DEFAULT_WEIGHTS


# --- skills -----------------------------------------------------------------------------

def held(skill: str, strength: float = 1.0, source: str | None = "skill",
         evidence: str | None = None) -> dict:
    return {"skill": skill, "strength": strength, "source": source, "evidence": evidence}


NOT_HELD = {"strength": 0.0, "source": None, "evidence": None}


def test_required_skills_graded_per_skill_with_what_matched():
    result = score(request(required_skills={"r1", "r2", "r3", "r4"}),
                   candidate(skills={"r3", "r1", "x9"},
                             summary="Ten years of r2 work. Then other things."))
    required = result.criterion("required_skills")
    assert required.facts == {"skills": [
        held("r1"), held("r2", PARTIAL, "summary", "Ten years of r2 work"),
        held("r3"), {"skill": "r4", **NOT_HELD}]}
    assert required.value == pytest.approx((2 + PARTIAL) / 4)


def test_desired_skills_value_and_facts_are_separate_from_required():
    result = score(request(required_skills={"r1"}, desired_skills={"d1", "d2", "d3"}),
                   candidate(skills={"r1", "d2"}))
    assert result.criterion("required_skills").value == 1.0
    desired = result.criterion("desired_skills")
    assert desired.value == pytest.approx(1 / 3)
    assert [found["strength"] for found in desired.facts["skills"]] == [0.0, 1.0, 0.0]


def test_no_skills_at_all_and_no_skills_wanted():
    result = score(request(), candidate(skills=set()))
    assert result.criterion("required_skills").value == 0.0
    assert result.criterion("required_skills").facts == {
        "skills": [{"skill": "r1", **NOT_HELD}, {"skill": "r2", **NOT_HELD}]}
    result = score(request(required_skills=set(), desired_skills=set()), candidate())
    for name in ("required_skills", "desired_skills"):
        assert result.criterion(name).value is None
        assert result.criterion(name).facts == {"skills": []}


def test_occupation_fit_is_the_engine_relevance_or_left_out():
    assert score(request(), candidate(text_fit=0.4)).criterion("occupation_fit").value == 0.4
    left_out = score(request(), candidate(text_fit=None)).criterion("occupation_fit")
    assert left_out.value is None
    assert left_out.facts == {"computed": False, "job_title": None, "job_title_share": None,
                              "job_title_words": None, "job_title_source": None}


def test_occupation_fit_is_relative_to_the_best_candidate_above_a_floor():
    """The request's best candidate fits fully; an expert whose text gathers only
    FIT_FLOOR of the best's relevance (words every candidate shares) fits not at all."""
    assert occupation_fit(250.0, 250.0) == 1.0
    assert occupation_fit(250.0 * FIT_FLOOR, 250.0) == 0.0
    assert occupation_fit(10.0, 250.0) == 0.0
    halfway = 250.0 * (1 + FIT_FLOOR) / 2
    assert occupation_fit(halfway, 250.0) == pytest.approx(0.5)
    assert occupation_fit(0.0, 0.0) == 0.0  # nothing matched any word


# A request as request_facts writes its text: title, objectives, then every label of its
# skills (here Hydrology's, in English, Portuguese, French and Arabic).
HYDROLOGY = "\n".join(["Hydrologist for the Nile Basin Authority", "Flood forecasting",
                       "Hydrology", "Hidrologia", "Hydrologie", "علم المياه"])


def test_job_fit_is_the_best_of_the_expert_s_job_titles_and_studies_the_request_names():
    words = TextWords(HYDROLOGY)
    assert job_fit(words, ("Statistician — Ministry of Water", "Hydrologist — WMO")) == (
        1.0, "Hydrologist", ("hydrologist",), "experience")
    assert job_fit(words, ("Flood forecaster", "Basin authority clerk")) == (
        1.0, "Flood forecaster", ("flood", "forecaster"), "experience")
    assert job_fit(words, ()) == (0.0, "", (), "")


def test_a_headline_naming_the_trade_is_a_job_title_of_the_expert_s_own():
    """The hydrologist who says so in their headline, working as a data officer, is named
    by a hydrology request; a statistician whose headline's topics share "basin" is not
    (the headline's first part states the trade): all else equal, the first ranks ahead.
    Of equal shares the headline is the one named (the expert's own statement of their
    trade today)."""
    words = TextWords(HYDROLOGY)
    assert job_fit(words, ("Data officer — Ministry of Water",),
                   "Hydrologist | groundwater and flood modelling") == (
        1.0, "Hydrologist", ("hydrologist",), "headline")
    assert job_fit(words, ("Hydrologist — WMO",), "Hydrologist") == (
        1.0, "Hydrologist", ("hydrologist",), "headline")
    # the trade is the headline's first part: the topics after it are the text fit's
    assert job_fit(words, ("Data officer — UNICEF",), "Statistician | basin data") == (
        0.0, "", (), "")
    assert job_fit(words, (), "Flood forecaster · hydrologist")[1] == "Flood forecaster"
    wanted = replace(request(), text=HYDROLOGY)
    named = score(wanted, candidate(text_fit=0.6, experience=("Data officer — X",),
                                    headline="Hydrologist | groundwater and flood modelling"))
    sharing = score(wanted, candidate(text_fit=0.6, experience=("Data officer — X",),
                                      headline="Statistician | basin data"))
    assert named.total > sharing.total
    assert named.criterion("occupation_fit").facts == {
        "computed": True, "job_title": "Hydrologist", "job_title_share": 1.0,
        "job_title_words": ["hydrologist"], "job_title_source": "headline"}


def test_boilerplate_and_common_words_in_a_headline_count_for_little():
    """A headline is weighed word by word as a job title is: "staff" that every request
    of the mission says, or "project officer", do not name a trade."""
    words = TextWords(COURT_INTERPRETING, "Court interpreting\nInterpretação judicial",
                      boilerplate(OTHER_REQUESTS))
    share, title, said, where = job_fit(words, (), "Staff nurse | district hospitals")
    assert (title, said, where) == ("Staff nurse", (), "headline") and share < 0.1
    assert job_fit(words, (), "Court interpreter | Arabic and English")[:2] == (
        1.0, "Court interpreter")
    office = TextWords("Technical assistance: project management office\nProject management")
    assert job_fit(office, (), "Officer")[0] == (1 / 2) ** 1.5


def test_job_fit_leaves_the_employer_out():
    """The statistician works for the authority the request names: that is not their job."""
    assert job_fit(TextWords(HYDROLOGY), ("Statistician — Nile Basin Authority",)) == (
        0.0, "", (), "")


def test_job_fit_meets_studies_in_another_language_through_the_skill_labels():
    assert job_fit(TextWords(HYDROLOGY), ("Data clerk — UNDP", "علم المياه")) == (
        1.0, "علم المياه", ("علم", "المياه"), "experience")
    assert job_fit(TextWords(HYDROLOGY), ("Hidrologia",)) == (
        1.0, "Hidrologia", ("hidrologia",), "experience")


def test_job_fit_gives_a_neighbouring_trade_s_shared_noun_less_than_the_right_trade():
    """Managing an estate shares "management" with water resources management; a word
    common to many trades found alone says little."""
    words = TextWords("Water resources management for the irrigation scheme\n"
                      "Water resources management\nGestão de recursos hídricos")
    right = job_fit(words, ("Water resources manager — Ministry of Irrigation",))[0]
    neighbour = job_fit(words, ("Estate management officer — Ministry of Irrigation",))[0]
    assert right > 0.8 > 0.1 > neighbour > 0.0


# Terms of reference as a mission writes them: every one says "train 20 staff".
OTHER_REQUESTS = tuple(f"{title}\nStrengthen the capacity of the ministry.\nTrain 20 staff; write "
                  "a final report." for title in (
                      "Hydrologist", "Epidemiologist", "Agronomist", "Court clerk",
                      "Radio journalist", "Water engineer", "Midwife", "Veterinarian",
                      "Project manager", "Auditor"))
COURT_INTERPRETING = ("Expert support in court interpreting for the National Committee\n"
                      "Review the current practice; train 20 staff of the Committee.\n"
                      "Court interpreting\nInterpretação judicial")


def test_a_title_named_only_through_the_mission_s_boilerplate_gets_little():
    """"Staff interpreter" is not named by a request that trains 20 staff, as every
    request of the mission does: "staff" counts for little, and is not shown as a word
    the request says. The right trade is still named whole."""
    words = TextWords(COURT_INTERPRETING, "Court interpreting\nInterpretação judicial",
                      boilerplate(OTHER_REQUESTS))
    assert job_fit(words, ("Court interpreter — ICC",)) == (
        1.0, "Court interpreter", ("court", "interpreter"), "experience")
    staff = 1 - boilerplate(OTHER_REQUESTS)["0:staff"]   # what is left of it: a third
    share, title, said, _where = job_fit(words, ("Staff interpreter — UN",))
    assert (title, said) == ("Staff interpreter", ("interpreter",))
    assert share == pytest.approx(((1 + staff) / 2) ** 1.5)
    assert share < 0.6
    share, title, said, _where = job_fit(words, ("Staff nurse — MSF",))
    assert (title, said) == ("Staff nurse", ())
    assert share == pytest.approx((staff / 2) ** 1.5)
    assert share < 0.1
    # the same request in a mission whose other requests do not say it
    assert job_fit(TextWords(COURT_INTERPRETING), ("Staff interpreter — UN",))[0] == 1.0
    # said by the request's skills, a word is never boilerplate
    named = TextWords("Staff training\nTrain 20 staff", "Staff training",
                      boilerplate(OTHER_REQUESTS))
    assert named.said("Staff trainer") == (1.0, ("staff", "trainer"))


def test_a_title_of_common_words_alone_is_never_named_whole():
    """"Management" and "M&E officer" ("M&E" is no word) say no trade: the request
    naming "management" or an "office" names them by half at most, and says so."""
    words = TextWords("Technical assistance: project management office\nProject management")
    assert words.said("Management") == ((1 / 2) ** 1.5, ("management",))
    assert words.said("M&E officer") == ((1 / 2) ** 1.5, ("officer",))
    # two common words together do name a trade
    assert words.said("Project manager") == (1.0, ("project", "manager"))
    assert words.said("Property manager") == ((0.3 / 1.3) ** 1.5, ("manager",))


def test_a_manager_does_management_as_an_officer_holds_an_office():
    """A trade and its work share a short stem ("manag", "offic") and differ by a few
    letters; a trafficking request still does not name water treatment."""
    assert TextWords("Water resources management").said("Water resources manager")[0] == 1.0
    assert TextWords("Head of the statistics office").said("Statistics officer")[0] == 1.0
    assert TextWords("Lutte contre la traite des personnes").said(
        "Ingénieur en traitement de l'eau")[0] == 0.0


def test_boilerplate_is_what_most_requests_in_the_language_say():
    common = boilerplate((*OTHER_REQUESTS, "خبير هيدرولوجيا: تدريب 20 موظفاً"))
    # ten of the ten English requests (two requests' worth of doubt): 10/12 said
    assert common["0:staff"] == pytest.approx(2 * 10 / 12 - 1)
    assert "0:hydrologist" not in common     # one request's trade
    assert not any(stem.endswith(":20") for stem in common)   # a number is no word
    assert "ar:موظف" not in common            # one Arabic request of one: doubt
    # a mission with two requests calls nothing boilerplate
    assert boilerplate(OTHER_REQUESTS[:2]) == {}


def test_occupation_fit_mixes_the_engine_relevance_with_the_job_title():
    """A conference interpreter whose text says as much as a court interpreter's falls
    behind them when the request asks for court interpreting: their job is not named."""
    wanted = replace(request(), text="Expert support in court interpreting")
    court = score(wanted, candidate(text_fit=0.6, experience=("Court interpreter — ICC",)))
    other = score(wanted, candidate(text_fit=0.6,
                                    experience=("Conference interpreter — UN",)))
    assert court.criterion("occupation_fit").value == pytest.approx(
        (1 - JOB_SHARE) * 0.6 + JOB_SHARE * 1.0)
    assert other.criterion("occupation_fit").value == pytest.approx(
        (1 - JOB_SHARE) * 0.6 + JOB_SHARE * 0.5 ** 1.5)
    assert court.total > other.total
    # no request text: the relevance alone
    assert score(request(), candidate(text_fit=0.6, experience=("Court interpreter",))
                 ).criterion("occupation_fit").value == 0.6


def test_occupation_fit_names_the_job_title_found_and_how_much_of_it():
    wanted = replace(request(), text=HYDROLOGY)
    found = score(wanted, candidate(text_fit=0.6, experience=(
        "Statistician — UNICEF", "Basin authority clerk — WMO", "Hydrologist — WMO")))
    assert found.criterion("occupation_fit").facts == {
        "computed": True, "job_title": "Hydrologist", "job_title_share": 1.0,
        "job_title_words": ["hydrologist"], "job_title_source": "experience"}
    clerk = score(wanted, candidate(text_fit=0.6, experience=("Basin authority clerk — X",)))
    assert clerk.criterion("occupation_fit").facts == {
        "computed": True, "job_title": "Basin authority clerk",
        "job_title_share": round((2 / 3) ** 1.5, 3), "job_title_words": ["basin", "authority"],
        "job_title_source": "experience"}
    none = score(wanted, candidate(text_fit=0.6, experience=("Statistician — UNICEF",)))
    assert none.criterion("occupation_fit").facts == {
        "computed": True, "job_title": None, "job_title_share": 0.0, "job_title_words": None,
        "job_title_source": None}
    assert none.criterion("occupation_fit").value == pytest.approx((1 - JOB_SHARE) * 0.6)


def test_without_the_engine_the_job_title_does_not_count_either():
    """PostgreSQL answering (no relevance) leaves the whole criterion out, job_fit too:
    a profile whose job title the request names scores as one whose title it does not."""
    wanted = replace(request(), text=HYDROLOGY)
    named = score(wanted, candidate(text_fit=None, experience=("Hydrologist — WMO",)))
    other = score(wanted, candidate(text_fit=None, experience=("Statistician — UNICEF",)))
    assert named.criterion("occupation_fit").value is None
    assert named.criterion("occupation_fit").facts == {
        "computed": False, "job_title": None, "job_title_share": None,
        "job_title_words": None, "job_title_source": None}
    assert named.total == other.total == score(request(), candidate()).total


def test_a_shared_word_ranks_below_the_expert_who_does_the_job():
    """Occupation fit and skills by meaning together: the expert whose text only shares a
    word with the request ("training", of police) falls behind the teacher trainer."""
    wanted = request(required_skills=set())
    wanted = replace(wanted, required_skills=(
        Concept("t", ("Teacher training", "Formação de professores")),))
    teacher = score(wanted, candidate(skills=set(), text_fit=0.9,
                                      experience=("Teacher trainer — Ministry",)))
    police = score(wanted, candidate(skills=set(), text_fit=0.5,
                                     skill_labels=(("p", ("Police training",)),)))
    assert teacher.total > police.total
    assert rank_key(teacher, 0.9, 2) < rank_key(police, 0.5, 1)


# --- sector -----------------------------------------------------------------------------

def test_sector_match_mismatch_and_not_asked():
    assert score(request(), candidate(sectors={"education", "health"})) \
        .criterion("sector").value == 1.0
    assert score(request(), candidate(sectors={"education"})).criterion("sector").value == 0.0
    assert score(request(sector=None), candidate()).criterion("sector").value is None
    assert score(request(sector=""), candidate()).criterion("sector").value is None


# --- languages --------------------------------------------------------------------------

@pytest.mark.parametrize(("minimum", "level", "value"), [
    ("B2", "B2", 1.0),                  # at the minimum
    ("B2", "C1", 1.0),                  # above
    ("C2", "native", 1.0),              # native is above C2
    ("native", "C2", 6 / 7),            # ... so C2 is below a native minimum
    ("B2", "A2", 2 / 4),                # below: (index + 1) / (minimum index + 1)
    ("C1", "A1", 1 / 5),
    ("B2", None, 0.0),                  # does not speak it
])
def test_one_language_at_above_below_and_missing(minimum, level, value):
    spoken = {} if level is None else {"fr": level}
    got, facts = languages_fit((("fr", minimum),), spoken)
    assert got == pytest.approx(value)
    assert facts == {"languages": [{"language": "fr", "minimum": minimum, "level": level,
                                    "meets": value == 1.0}]}


def test_languages_are_averaged_over_the_required_ones():
    required = (("fr", "B2"), ("en", "C1"), ("wo", "A2"))
    value, facts = languages_fit(required, {"fr": "native", "en": "B1", "de": "C2"})
    assert value == pytest.approx((1.0 + 3 / 5 + 0.0) / 3)
    assert [(f["language"], f["level"], f["meets"]) for f in facts["languages"]] == [
        ("fr", "native", True), ("en", "B1", False), ("wo", None, False)]


def test_no_language_required_does_not_apply():
    assert languages_fit((), {"fr": "C2"}) == (None, {"languages": []})
    assert score(request(languages=()), candidate()).criterion("languages").value is None


# --- availability -----------------------------------------------------------------------

def test_overlap_days_are_counted_inclusively_over_several_periods():
    periods = ((d(20, 2), d(5)),        # partial: 1..5 March -> 5 days
               (d(10), d(14)),          # inside: 5 days
               (d(28), d(10, 4)),       # partial: 28..31 March -> 4 days
               (d(1, 5), d(30, 5)))     # outside: 0
    assert overlap_days(periods, MARCH) == 14
    value, facts = availability_fit(periods, MARCH, 20)
    assert value == pytest.approx(14 / 20)
    assert facts == {"overlap_days": 14, "needed_days": 20}


def test_overlap_single_days_on_the_window_edges_count_as_one_day():
    assert overlap_days(((d(1), d(1)),), MARCH) == 1
    assert overlap_days(((d(31), d(31)),), MARCH) == 1
    assert overlap_days(((d(28, 2), d(28, 2)), (d(1, 4), d(1, 4))), MARCH) == 0


def test_overlapping_free_periods_are_not_counted_twice():
    # The profile form does not forbid overlapping "available" periods.
    assert overlap_days(((d(1), d(10)), (d(5), d(15))), MARCH) == 15
    assert overlap_days(((d(1), d(10)), (d(1), d(10))), MARCH) == 10
    assert overlap_days(((d(5), d(15)), (d(1), d(31)), (d(2), d(3))), MARCH) == 31
    value, facts = availability_fit(((d(1), d(10)), (d(1), d(10))), MARCH, 20)
    assert (value, facts["overlap_days"]) == (0.5, 10)


def test_availability_is_capped_at_one():
    value, facts = availability_fit((MARCH,), MARCH, 20)
    assert value == 1.0
    assert facts == {"overlap_days": 31, "needed_days": 20}


def test_no_free_period_in_the_window_is_zero():
    assert availability_fit((), MARCH, 20) == (0.0, {"overlap_days": 0, "needed_days": 20})


def test_availability_does_not_apply_without_a_window_or_a_duration():
    assert availability_fit((MARCH,), None, 20) == (None, {"overlap_days": None,
                                                           "needed_days": None})
    assert availability_fit((MARCH,), MARCH, 0) == (None, {"overlap_days": None,
                                                           "needed_days": None})
    result = score(request(window=None), candidate(periods=()))
    assert result.criterion("availability").value is None
    assert result.total == 100


def test_free_days_need_not_be_contiguous():
    # Design: the criterion counts free days in the window, not one unbroken stretch.
    periods = tuple((d(day), d(day)) for day in range(1, 31, 2))   # 15 separate days
    assert availability_fit(periods, MARCH, 15)[0] == 1.0


# --- experience -------------------------------------------------------------------------

@pytest.mark.parametrize(("years", "value"), [(0, 0.0), (3, 0.6), (5, 1.0), (12, 1.0)])
def test_experience_below_at_above_the_minimum(years, value):
    assert experience_fit(years, 5) == (pytest.approx(value), {"years": years, "minimum": 5})


def test_unknown_years_count_as_zero_not_as_missing():
    # Design: an expert who did not say is scored 0 (unlike evaluations, left out).
    assert experience_fit(None, 5) == (0.0, {"years": None, "minimum": 5})
    assert score(request(), candidate(years=None)).criterion("experience").value == 0.0


@pytest.mark.parametrize("minimum", [None, 0])
def test_experience_does_not_apply_without_a_minimum(minimum):
    assert experience_fit(7, minimum) == (None, {"years": 7, "minimum": minimum})


# --- modality and location --------------------------------------------------------------

@pytest.mark.parametrize("expert", ["on_site", "hybrid", "remote"])
def test_remote_requests_use_the_table_and_ignore_location(expert):
    for city, country in (("Dakar", "SN"), ("Paris", "FR"), ("", "")):
        value, facts = modality_location_fit(request(modality="remote"),
                                             candidate(modality=expert, city=city,
                                                       country=country))
        assert value == MODALITY_FIT[("remote", expert)]
        assert facts == {"modality": expert, "local": None}


def test_the_modality_table():
    assert MODALITY_FIT == {
        ("on_site", "on_site"): 1.0, ("on_site", "hybrid"): 1.0, ("on_site", "remote"): 0.3,
        ("hybrid", "on_site"): 1.0, ("hybrid", "hybrid"): 1.0, ("hybrid", "remote"): 0.6,
        ("remote", "on_site"): 0.8, ("remote", "hybrid"): 1.0, ("remote", "remote"): 1.0,
    }


@pytest.mark.parametrize("wanted", ["on_site", "hybrid"])
@pytest.mark.parametrize("expert", ["on_site", "hybrid", "remote"])
@pytest.mark.parametrize(("city", "country", "local", "is_local"), [
    ("Dakar", "SN", 1.0, True),          # same city
    (" dAKAR ", "SN", 1.0, True),        # city compared trimmed, case-insensitively
    ("Thiès", "SN", 0.8, True),          # the mission's country, another city
    ("Paris", "FR", 0.6, False),         # abroad
])
def test_work_on_site_mixes_modality_and_location(wanted, expert, city, country, local,
                                                  is_local):
    value, facts = modality_location_fit(request(modality=wanted),
                                         candidate(modality=expert, city=city,
                                                   country=country))
    assert value == pytest.approx(0.8 * MODALITY_FIT[(wanted, expert)] + 0.2 * local)
    assert facts == {"modality": expert, "local": is_local}


def test_on_site_hand_values():
    on_site = request(modality="on_site")
    assert modality_location_fit(on_site, candidate())[0] == pytest.approx(1.0)
    assert modality_location_fit(on_site, candidate(city="Thiès"))[0] == pytest.approx(0.96)
    assert modality_location_fit(on_site, candidate(city="Lyon", country="FR"))[0] \
        == pytest.approx(0.92)
    assert modality_location_fit(on_site, candidate(modality="remote", city="Lyon",
                                                    country="FR"))[0] \
        == pytest.approx(0.8 * 0.3 + 0.2 * 0.6)


def test_an_empty_request_city_or_country_never_makes_an_expert_local():
    value, facts = modality_location_fit(request(city="", country=""),
                                         candidate(city="", country=""))
    assert value == pytest.approx(0.8 + 0.2 * 0.6)
    assert facts["local"] is False


def test_unknown_modalities():
    # An expert with no modality (or an unknown pair) gets the neutral 0.5.
    assert modality_location_fit(request(modality="remote"), candidate(modality=None)) \
        == (0.5, {"modality": None, "local": None})
    assert modality_location_fit(request(modality=None), candidate()) == (
        None, {"modality": "on_site", "local": None})


# --- evaluations ------------------------------------------------------------------------

def test_evaluations_value_and_none_is_left_out():
    assert score(request(), candidate(evaluation=0.4)).criterion("evaluations").facts \
        == {"evaluation": 0.4}
    result = score(request(), candidate(evaluation=None))
    assert result.criterion("evaluations").value is None
    assert result.total == 100       # not 100 * 100 / 110
    assert score(request(), candidate(evaluation=0.0)).total == round(100 * 100 / 110)


# --- criteria that do not apply ---------------------------------------------------------

def test_a_request_without_desired_skills_lets_a_perfect_candidate_score_100():
    result = score(request(desired_skills=set()), candidate(skills={"r1", "r2"}))
    assert result.criterion("desired_skills").value is None
    assert result.total == 100


def test_not_applying_is_excluded_not_counted_as_zero():
    weights = only("required_skills", "desired_skills")
    assert score(request(desired_skills=set()), candidate(), weights).total == 100
    assert score(request(), candidate(skills={"r1", "r2"}), weights).total == 50


def test_nothing_applies_or_every_weight_is_zero_scores_zero():
    bare = request(required_skills=set(), desired_skills=set(), sector=None, languages=(),
                   window=None, min_years=None, modality=None)
    assert score(bare, candidate(evaluation=None)).total == 0
    assert score(request(), candidate(), only()).total == 0


# --- weights ----------------------------------------------------------------------------

def test_a_criterion_with_weight_zero_has_no_effect():
    weights = {**DEFAULT_WEIGHTS, "sector": 0}
    assert score(request(), candidate(sectors=set()), weights).total == 100
    assert score(request(), candidate(sectors=set()), weights).criterion("sector").value == 0
    weak = candidate(skills={"r1"}, years=2, evaluation=0.3)
    assert score(request(), replace(weak, sectors=frozenset()), weights).total \
        == score(request(), weak, weights).total


def test_doubling_a_weight_moves_the_total_towards_that_criterion():
    weak_sector = candidate(sectors=set())            # 0 on sector, 1 on the rest
    assert score(request(), weak_sector).total == round(100 * 100 / 110)        # 91
    assert score(request(), weak_sector, {"sector": 20}).total \
        == round(100 * 100 / 120)                                                # 83
    strong_sector = candidate(skills=set(), sectors={"health"}, languages={},
                              periods=(), years=0, modality="remote", city="",
                              country="", evaluation=0.0)
    before = score(request(), strong_sector).total
    after = score(request(), strong_sector, {"sector": 20}).total
    assert after > before


def test_partial_weights_are_completed_with_the_defaults():
    result = score(request(), candidate(), {"sector": 40})
    assert {c.name: c.weight for c in result.criteria} == {**DEFAULT_WEIGHTS, "sector": 40}


def test_clean_weights():
    assert clean_weights({}) == DEFAULT_WEIGHTS
    cleaned = clean_weights({"required_skills": 250, "desired_skills": -3, "sector": "abc",
                             "languages": None, "availability": "40", "experience": 12.9,
                             "modality_location": [1], "bogus": 50})
    assert cleaned == {**DEFAULT_WEIGHTS, "required_skills": MAX_WEIGHT, "desired_skills": 0,
                       "availability": 40, "experience": 12}
    assert list(cleaned) == list(CRITERIA)
    assert clean_weights({"sector": 0})["sector"] == 0
    assert DEFAULT_WEIGHTS["sector"] == 10          # the defaults are not modified


# --- totals -----------------------------------------------------------------------------

def test_a_total_by_hand():
    result = score(request(), candidate(skills={"r1"},            # required 1/2 = 0.5
                                        sectors={"health"},        # sector 1
                                        languages={"fr": "B1"},    # (2+1)/(3+1) = 0.75
                                        periods=((d(1), d(10)),),  # 10/20 = 0.5
                                        years=3,                   # 3/5 = 0.6
                                        modality="remote", city="Lyon", country="FR",
                                        evaluation=0.8))
    # desired 0/2 = 0; modality 0.8 * 0.3 + 0.2 * 0.6 = 0.36
    values = {"required_skills": 0.5, "desired_skills": 0.0, "sector": 1.0,
              "languages": 0.75, "availability": 0.5, "experience": 0.6,
              "modality_location": 0.36, "evaluations": 0.8}
    for name, value in values.items():
        assert result.criterion(name).value == pytest.approx(value)
    # 35*.5 + 10*0 + 10*1 + 15*.75 + 15*.5 + 10*.6 + 5*.36 + 10*.8 = 62.05; / 110 = .5641
    assert result.total == 56
    assert isinstance(result.total, int)


def test_totals_are_ints_between_0_and_100():
    worst = candidate(skills=set(), sectors=set(), languages={}, periods=(), years=None,
                      modality=None, city="", country="", evaluation=0.0)
    assert score(request(modality="remote"), replace(worst, modality="")).total == 2
    for cand in (worst, candidate(), candidate(skills={"r2", "d1"}, years=4)):
        for weights in (None, only("sector"), {"required_skills": 100}):
            total = score(request(), cand, weights).total
            assert isinstance(total, int) and 0 <= total <= 100


def test_totals_round_with_python_round():
    # round() rounds halves to even: 12.5 -> 12 (a consequence of round(), kept).
    result = score(request(required_skills={f"r{i}" for i in range(8)}),
                   candidate(skills={"r0"}), only("required_skills"))
    assert result.criterion("required_skills").value == 0.125
    assert result.total == 12


# --- ties -------------------------------------------------------------------------------

def fixed(total: int, required: float | None) -> Score:
    return Score(total=total, criteria=[Criterion("required_skills", required, 35)])


def test_rank_key_orders_by_total_then_coverage_then_relevance_then_number():
    best = rank_key(fixed(80, 0.5), 0.1, 9)
    assert rank_key(fixed(90, 0.0), 0.0, 99) < best                   # higher total
    assert rank_key(fixed(80, 1.0), 0.0, 99) < best                   # more coverage
    assert rank_key(fixed(80, 0.5), 0.9, 99) < best                   # more relevance
    assert rank_key(fixed(80, 0.5), 0.1, 3) < best                    # lower number
    assert rank_key(fixed(80, None), 0.0, 1) == rank_key(fixed(80, 0.0), 0.0, 1)


def test_equal_totals_are_broken_by_required_coverage():
    weights = only("required_skills", "desired_skills")
    a = score(request(), candidate(skills={"r1", "d1", "d2"}), weights)     # .5 and 1
    b = score(request(), candidate(skills={"r1", "r2", "d1"}), weights)     # 1 and .5
    assert a.total == b.total == 75
    assert rank_key(b, 0.0, 2) < rank_key(a, 0.9, 1)


def test_sorting_candidates_is_deterministic():
    req = request()
    pool = {
        1: (candidate(skills={"r1"}), 0.2),
        2: (candidate(), 0.1),
        3: (candidate(skills={"r1", "r2"}), 0.5),       # same total as 4, more relevance
        4: (candidate(skills={"r1", "r2"}), 0.3),
        5: (candidate(skills={"r1", "r2"}), 0.3),       # same as 4 but a higher number
        6: (candidate(skills={"r2", "d1", "d2"}, evaluation=0.9), 0.9),
    }
    scored = [(number, score(req, cand), relevance)
              for number, (cand, relevance) in pool.items()]
    orders = {tuple(number for number, s, rel in sorted(perm,
                                                        key=lambda r: rank_key(r[1], r[2],
                                                                               r[0])))
              for perm in itertools.permutations(scored)}
    assert len(orders) == 1
    order = orders.pop()
    assert order[0] == 2 and order[1:4] == (3, 4, 5)
    totals = [next(s.total for n, s, _ in scored if n == number) for number in order]
    assert totals == sorted(totals, reverse=True)


# --- hard requirements and near misses --------------------------------------------------

MARGINS = NearMissMargins()


def test_meeting_every_hard_requirement_misses_nothing():
    assert missed(request(), candidate(), MARGINS) == []


def test_experience_is_missed_by_a_year_near_and_by_more_not():
    one_short = missed(request(min_years=10), candidate(years=9), MARGINS)
    assert one_short == [{"requirement": "experience", "years": 9, "minimum": 10,
                          "near": True}]
    assert near_miss(one_short)
    assert not near_miss(missed(request(min_years=10), candidate(years=8), MARGINS))
    assert not near_miss(missed(request(min_years=10), candidate(years=None), MARGINS))
    assert near_miss(missed(request(min_years=10), candidate(years=8),
                            NearMissMargins(years=2)))


def test_a_language_one_level_short_is_near_and_not_spoken_is_not():
    short = missed(request(languages=(("fr", "B2"),)), candidate(languages={"fr": "B1"}),
                   MARGINS)
    assert short == [{"requirement": "language", "language": "fr", "level": "B1",
                      "minimum": "B2", "near": True}]
    assert not near_miss(missed(request(languages=(("fr", "B2"),)),
                                candidate(languages={"fr": "A2"}), MARGINS))
    assert not near_miss(missed(request(languages=(("fr", "B2"),)),
                                candidate(languages={}), MARGINS))


def test_availability_to_the_day_and_a_free_period_within_the_margin():
    # The window is March; free until 28 February misses it by one day.
    assert missed(request(), candidate(periods=((d(1, 2), d(1, 3)),)), MARGINS) == []
    day_before = missed(request(), candidate(periods=((d(1, 2), d(28, 2)),)), MARGINS)
    assert day_before == [{"requirement": "availability", "days_away": 1, "near": True}]
    after = missed(request(), candidate(periods=((d(14, 4), d(30, 4)),)), MARGINS)
    assert after[0]["days_away"] == 14 and near_miss(after)
    assert not near_miss(missed(request(), candidate(periods=((d(15, 4), d(30, 4)),)),
                                MARGINS))
    assert not near_miss(missed(request(), candidate(periods=()), MARGINS))


def test_two_requirements_missed_are_not_a_near_miss():
    both = missed(request(min_years=10), candidate(years=9, languages={"fr": "B1"}), MARGINS)
    assert len(both) == 2 and not near_miss(both)


def test_margins_from_settings_are_clamped_and_default():
    assert NearMissMargins.from_settings({}) == NearMissMargins(1, 1, 14)
    assert NearMissMargins.from_settings({"years": "3", "levels": 99, "days": "x"}) \
        == NearMissMargins(years=3, levels=3, days=14)
