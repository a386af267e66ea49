"""The vocabulary's broader and related links: loaded from the mission file, refused when
they name a skill the mission does not have, and counted by matching as a partial match
of their own strength (a module of its own: its experts would be candidates for the other
modules' requests)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from app.experts.models import Skill, SkillLink
from app.matching.similarity import LINKED
from tenants.context import tenant_scope
from tenants.provisioning import MISSIONS_DIR, ProvisioningError, load_mission, provision_mission
from tests.expert_helpers import complete_profile
from tests.request_helpers import require_only
from tests.test_matching import _candidates, open_request, skill_id

pytestmark = pytest.mark.usefixtures("in_english")


async def _links(session_factory, tenant) -> set[tuple[str, str, str]]:
    skill, other = aliased(Skill), aliased(Skill)
    with tenant_scope(tenant):
        async with session_factory() as db:
            rows = await db.execute(
                select(skill.code, SkillLink.kind, other.code)
                .join(skill, skill.id == SkillLink.skill_id)
                .join(other, other.id == SkillLink.other_id))
            return {tuple(row) for row in rows}


async def test_the_mission_file_s_links_are_loaded_once(missions, session_factory):
    sudan = missions["sudan"]
    expected = {("irrigation_engineering", "related", "hydrology"),
                ("teacher_training", "related", "curriculum_development"),
                ("victim_identification", "related", "criminal_investigation")}
    assert expected <= await _links(session_factory, sudan)
    spec = load_mission(MISSIONS_DIR / "sudan.toml")
    spec = replace(spec, skills=[replace(s, broader=["hydrology"])
                                 if s.code == "water_treatment" else s for s in spec.skills])
    async with session_factory() as session:
        await provision_mission(session, spec)
        await provision_mission(session, spec)  # again: nothing doubled
    assert await _links(session_factory, sudan) == {
        *expected, ("water_treatment", "broader", "hydrology")}


async def test_a_link_to_a_skill_the_mission_does_not_have_is_refused(missions,
                                                                      session_factory):
    spec = load_mission(MISSIONS_DIR / "sudan.toml")
    for broader in (["no_such_skill"], ["hydrology_"], ["hydrology"]):
        bad = replace(spec, skills=[replace(s, broader=broader) if s.code == "hydrology"
                                    else s for s in spec.skills])
        with pytest.raises(ProvisioningError, match="broader skill"):
            async with session_factory() as session:
                await provision_mission(session, bad)


async def test_a_linked_skill_is_a_partial_match(app, missions, session_factory, index_now):
    """The mission file relates irrigation engineering to hydrology, and here water
    treatment gets hydrology as its broader skill: for a hydrology request, an expert who
    holds only irrigation engineering matches at the strength of a related skill, one who
    holds water treatment at that of a narrower one; for a water treatment request, one
    who holds hydrology at that of a broader one. The explanation names their skill; the
    same when PostgreSQL answers."""
    sudan = missions["sudan"]
    hydrology = await skill_id(session_factory, sudan, "hydrology")
    treatment = await skill_id(session_factory, sudan, "water_treatment")
    with tenant_scope(sudan):
        async with session_factory() as db:
            await db.execute(insert(SkillLink).values(
                tenant_id=sudan.id, skill_id=treatment, other_id=hydrology,
                kind="broader").on_conflict_do_nothing())
            await db.commit()
    wanted = {}
    for code, skill in (("hydrology", hydrology), ("water_treatment", treatment)):
        request = await open_request(session_factory, sudan, sector="water_management",
                                     title="Irrigation scheme water balance",
                                     min_years_experience=None)
        with tenant_scope(sudan):
            async with session_factory() as db:
                await require_only(db, sudan, request.id, skill)
        wanted[code] = request.id
    experts = {}
    for code in ("irrigation_engineering", "water_treatment", "hydrology"):
        _u, experts[code] = await complete_profile(
            session_factory, sudan, status="verified", name=f"Holds {code}",
            sector="water_management", skill_code=code)
    await index_now()
    for request, held, kind, name in (
            ("hydrology", "irrigation_engineering", "related", "Irrigation engineering"),
            ("hydrology", "water_treatment", "narrower", "Water treatment"),
            ("water_treatment", "hydrology", "broader", "Hydrology")):
        for engine in (True, False):
            found = await _candidates(app, session_factory, sudan, wanted[request],
                                      engine=engine)
            candidate = next(c for c in found.candidates
                             if c.profile_id == experts[held].id)
            assert candidate.explanation(found.skill_names)["criteria"][
                "required_skills"]["skills"] == [
                    {"skill": {"hydrology": "Hydrology",
                               "water_treatment": "Water treatment"}[request],
                     "strength": LINKED[kind], "source": "skill", "evidence": name}]
