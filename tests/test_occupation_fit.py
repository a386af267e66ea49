"""Occupation fit on the real embedded engine: an expert whose work history and summary do
the requested job ranks above one whose text only shares a word with the request (a trade
that trains too), all else equal, and the explanation names the job title the request
names; PostgreSQL keeps the same experts without computing it, the job title included (a
module of its own: its experts would be candidates for the other modules' requests)."""

from __future__ import annotations

from datetime import date

import pytest

from app.assignment_requests.models import AssignmentRequest
from app.experts.models import ExpertProfile, ExpertWork
from app.matching.services import shortlist_score
from tenants.context import tenant_scope
from tests.accounts_helpers import make_user, sign_in, use_session
from tests.conftest import speak
from tests.expert_helpers import complete_profile
from tests.request_helpers import require_only
from tests.test_matching import _candidates, open_request, skill_id

pytestmark = pytest.mark.usefixtures("in_english")


async def _profile(session_factory, tenant, name: str, skill: str, title: str, summary: str):
    _u, profile = await complete_profile(session_factory, tenant, status="verified", name=name,
                                         skill_code=skill)
    with tenant_scope(tenant):
        async with session_factory() as db:
            (await db.get(ExpertProfile, profile.id)).summary = summary
            db.add(ExpertWork(tenant_id=tenant.id, profile_id=profile.id, title=title,
                              employer="Ministry", started_on=date(2015, 1, 1)))
            await db.commit()
    return profile


async def _teacher_training_request(session_factory, tenant):
    """An open request to train primary school teachers, braille instruction its one
    required skill: what both a teacher trainer and a police trainer may hold."""
    request = await open_request(
        session_factory, tenant, title="Train primary school teachers in active learning",
        objectives="Better teaching in primary schools.",
        tasks="Design and run a course for teachers.", sector="education",
        min_years_experience=None)
    braille = await skill_id(session_factory, tenant, "braille_instruction")
    with tenant_scope(tenant):
        async with session_factory() as db:
            await require_only(db, tenant, request.id, braille)
    return request


async def test_the_expert_who_does_the_job_ranks_above_one_sharing_a_word(
        app, client, missions, session_factory, index_now):
    sudan = missions["sudan"]
    request = await _teacher_training_request(session_factory, sudan)
    # The same skill, sector, languages and availability: only their trade differs.
    teacher = await _profile(
        session_factory, sudan, "Does The Job", "braille_instruction",
        "Trainer of primary school teachers",
        "I train primary school teachers in active learning.")
    police = await _profile(
        session_factory, sudan, "Shares A Word", "braille_instruction",
        "Police trainer", "I train police officers in crowd control.")
    await index_now()
    found = await _candidates(app, session_factory, sudan, request.id)
    ids = [c.profile_id for c in found.candidates]
    assert ids.index(teacher.id) < ids.index(police.id)
    best, other = found.candidates[ids.index(teacher.id)], found.candidates[ids.index(police.id)]
    fit = best.score.criterion("occupation_fit")
    assert fit.value == 1.0  # the request's best, whose job title the request names
    assert fit.facts == {"computed": True, "job_title": "Trainer of primary school teachers",
                         "job_title_share": 1.0,
                         "job_title_words": ["trainer", "primary", "school", "teachers"],
                         "job_title_source": "experience"}
    other_fit = other.score.criterion("occupation_fit")
    assert other_fit.value < 0.5
    # "trainer" alone, a word of many trades
    assert other_fit.facts["job_title"] == "Police trainer"
    assert 0 < other_fit.facts["job_title_share"] < 0.2
    assert other_fit.facts["job_title_words"] == ["trainer"]
    for candidate in (best, other):
        assert candidate.explanation(found.skill_names)["criteria"]["required_skills"][
            "skills"] == [{"skill": "Braille instruction", "strength": 1.0, "source": "skill",
                           "evidence": None}]
    assert best.score.total > other.score.total
    # The shortlist keeps the score and explanation the workspace shows.
    with tenant_scope(sudan):
        async with session_factory() as db:
            row = await db.get(AssignmentRequest, request.id)
            for candidate in (best, other):
                assert await shortlist_score(db, sudan, app.state.search, row,
                                             candidate.profile_id, "en") == (
                    candidate.score.total, candidate.explanation(found.skill_names))
    # A row's reasons, fetched when it is opened, name the job title found, in the
    # reader's language.
    staff = await make_user(session_factory, sudan, "staff")
    use_session(client, None)
    await sign_in(client, sudan, staff.email)
    workspace = f"/sudan/requests/{request.id}/matches"
    htmx = {"HX-Request": "true"}
    page = (await client.get(f"{workspace}/{best.profile_id}", headers=htmx)).text
    assert ("Job title or studies named in the request: “<bdi>Trainer of primary school "
            "teachers</bdi>” (100%)") in page
    page = (await client.get(f"{workspace}/{other.profile_id}", headers=htmx)).text
    assert "“<bdi>Police trainer</bdi>” (11%) · words the request says: <bdi>trainer</bdi>" \
        in page
    speak(client, "ar")
    try:
        page = (await client.get(f"{workspace}/{best.profile_id}", headers=htmx)).text
    finally:
        speak(client, "en")
    assert ("المسمى الوظيفي أو الدراسة المذكورة في الطلب: «<bdi>Trainer of primary school "
            "teachers</bdi>» (100%)") in page
    assert "الكلمات التي يذكرها الطلب: <bdi>trainer, primary, school, teachers</bdi>" in page
    # Without the engine the same two are eligible, and the occupation fit is not computed.
    fallback = await _candidates(app, session_factory, sudan, request.id, engine=False)
    assert {c.profile_id for c in fallback.candidates} == set(ids)
    for candidate in fallback.candidates:
        fit = candidate.score.criterion("occupation_fit")
        assert fit.value is None
        assert fit.facts == {"computed": False, "job_title": None, "job_title_share": None,
                             "job_title_words": None, "job_title_source": None}
    # nor does the job title count on its own there: the two differ only by their trade
    totals = {c.profile_id: c.score.total for c in fallback.candidates}
    assert totals[teacher.id] == totals[police.id]


async def test_the_words_every_request_of_the_mission_says_name_no_job(
        app, client, missions, session_factory, index_now):
    """A request that trains 20 staff does not name a staff nurse once most of the
    mission's requests train 20 staff too; another mission's requests do not count."""
    sudan, mozambique = missions["sudan"], missions["mozambique"]
    request = await open_request(
        session_factory, sudan, title="Hydrologist for the flood forecasting unit",
        objectives="Better flood warnings.", tasks="Train 20 staff of the unit.",
        sector="water_management", min_years_experience=None)
    hydrology = await skill_id(session_factory, sudan, "hydrology")
    with tenant_scope(sudan):
        async with session_factory() as db:
            await require_only(db, sudan, request.id, hydrology)
    nurse = await _profile(session_factory, sudan, "Staff Nurse", "hydrology", "Staff nurse",
                           "Nurse who also measures river levels.")
    await index_now()

    async def job_title_words(request_id) -> list[str]:
        found = await _candidates(app, session_factory, sudan, request_id)
        fit = next(c for c in found.candidates if c.profile_id == nurse.id) \
            .score.criterion("occupation_fit")
        assert fit.facts["job_title"] == "Staff nurse"
        return fit.facts["job_title_words"]

    for mission in (mozambique, sudan):
        for n in range(10):
            await open_request(session_factory, mission, title=f"Adviser {n}",
                               objectives="Stronger institutions.",
                               tasks="Train 20 staff; write a final report.")
        # Mozambique's requests first: Sudan's say nothing of "staff" yet
        assert await job_title_words(request.id) == (["staff"] if mission is mozambique
                                                     else [])
    # the row says the title was named only through boilerplate, in the reader's language
    staff = await make_user(session_factory, sudan, "staff")
    use_session(client, None)
    await sign_in(client, sudan, staff.email)
    reasons = f"/sudan/requests/{request.id}/matches/{nurse.id}"
    htmx = {"HX-Request": "true"}
    page = (await client.get(reasons, headers=htmx)).text
    row = page[page.index("“<bdi>Staff nurse</bdi>”"):]
    assert "%) · only words that most of the mission's requests say" in row.split("</dd>")[0]
    speak(client, "ar")
    try:
        page = (await client.get(reasons, headers=htmx)).text
    finally:
        speak(client, "en")
    assert "كلمات تذكرها معظم طلبات البعثة فقط" in page


async def test_a_headline_naming_the_trade_is_found_ranked_and_said(
        app, client, missions, session_factory, index_now):
    """The expert's headline reaches the engine's document and the match: the teacher
    trainer who says so in their headline (their latest job title a plain "Consultant")
    ranks above a police trainer who shares a word; the row says the headline's trade
    was named (its first part: the topics after it are the text fit's), in Arabic inside
    <bdi>; PostgreSQL keeps the same two, without the fit."""
    sudan = missions["sudan"]
    request = await _teacher_training_request(session_factory, sudan)
    teacher = await _profile(session_factory, sudan, "Says So", "braille_instruction",
                             "Consultant", "Independent consultant.")
    police = await _profile(session_factory, sudan, "Shares A Word", "braille_instruction",
                            "Consultant", "Independent consultant.")
    with tenant_scope(sudan):
        async with session_factory() as db:
            (await db.get(ExpertProfile, teacher.id)).headline = \
                "Teacher trainer | primary schools <active learning>"
            (await db.get(ExpertProfile, police.id)).headline = "Police trainer"
            await db.commit()
    await index_now()
    found = await _candidates(app, session_factory, sudan, request.id)
    ids = [c.profile_id for c in found.candidates]
    assert ids.index(teacher.id) < ids.index(police.id)
    best = found.candidates[ids.index(teacher.id)]
    assert best.document["headline"] == "Teacher trainer | primary schools <active learning>"
    fit = best.score.criterion("occupation_fit")
    assert (fit.facts["job_title"], fit.facts["job_title_source"]) == (
        "Teacher trainer", "headline")
    assert fit.facts["job_title_share"] > found.candidates[ids.index(police.id)].score \
        .criterion("occupation_fit").facts["job_title_share"]
    # (the module's earlier experts hold the skill too: PostgreSQL retrieves by it)
    fallback = await _candidates(app, session_factory, sudan, request.id, engine=False)
    assert {teacher.id, police.id} <= {c.profile_id for c in fallback.candidates}

    staff = await make_user(session_factory, sudan, "staff")
    use_session(client, None)
    await sign_in(client, sudan, staff.email)
    workspace = (await client.get(f"/sudan/requests/{request.id}/matches")).text
    assert "<bdi>Teacher trainer | primary schools &lt;active learning&gt;</bdi>" in workspace
    reasons = f"/sudan/requests/{request.id}/matches/{teacher.id}"
    htmx = {"HX-Request": "true"}
    page = (await client.get(reasons, headers=htmx)).text
    named = "<bdi>Teacher trainer</bdi>"
    assert f"Headline named in the request: “{named}”" in page
    speak(client, "ar")
    try:
        page = (await client.get(reasons, headers=htmx)).text
    finally:
        speak(client, "en")
    assert f"العنوان المهني المذكور في الطلب: «{named}»" in page
