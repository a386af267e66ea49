"""Demo trainings (portal seed-demo): a training of trainers with two cascade levels and
trainings in several states per mission, written through the services as the demo partner
user and the programme officer, and idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.demo.content import mission_trainings
from app.demo.trainings import seed_demo_trainings
from app.partners.models import PartnerAgency
from app.trainings.models import (
    AGE_GROUPS,
    PARTICIPANT_MODES,
    SEX_CATEGORIES,
    TRAINING_KINDS,
    Training,
)
from app.trainings.states import TRANSITIONS
from tenants.context import tenant_scope
from tenants.provisioning import MISSIONS_DIR, load_mission
from tests.accounts_helpers import make_user, sign_in, use_session
from tests.conftest import speak

SLUGS = ("sudan", "mozambique")


@pytest.fixture(scope="module")
async def seeded(session_factory, missions):
    for slug in SLUGS:
        tenant = missions[slug]
        with tenant_scope(tenant):
            async with session_factory() as db:
                unhcr = await db.scalar(select(PartnerAgency.id).where(
                    PartnerAgency.code == "unhcr"))
                await db.commit()
        await make_user(session_factory, tenant, "staff", email=f"officer@{slug}.demo")
        await make_user(session_factory, tenant, "partner_user", email=f"partner@{slug}.demo",
                        partner_agency_id=unhcr)
        assert await seed_demo_trainings(session_factory, tenant) == \
            len(mission_trainings(slug))


def test_the_demo_material_is_consistent():
    for slug in SLUGS:
        seeds = mission_trainings(slug)
        spec = load_mission(MISSIONS_DIR / f"{slug}.toml")
        projects = {p.code for p in spec.funding_projects}
        areas, curricula = {t.code for t in spec.thematic_areas}, {t.code for t in spec.curricula}
        keys = [s.key for s in seeds]
        assert len(keys) == len(set(keys))
        for seed in seeds:
            assert seed.kind in TRAINING_KINDS and seed.area in areas
            assert not seed.curriculum or seed.curriculum in curricula
            assert len(seed.counts) == len(SEX_CATEGORIES)
            for row in seed.institutions:
                assert all(part <= total for part, total in zip(row[1:], seed.counts,
                                                                 strict=True))
            assert not seed.project or seed.project in projects
            assert seed.mode in PARTICIPANT_MODES
            if seed.mode == "individual":   # counted from the list
                assert seed.participants and not any(seed.counts) and not seed.institutions
            assert sum(n for _age, n in seed.ages) <= sum(seed.counts)
            for _name, sex, age, *_rest in seed.participants:
                assert sex in SEX_CATEGORIES and age in AGE_GROUPS
            if seed.parent:  # parents come first
                assert seed.parent in keys[:keys.index(seed.key)] and seed.kind == "cascade"
            state = "planned"
            for action in seed.path:
                state = TRANSITIONS[(state, action)]


async def test_each_mission_gets_a_tot_with_two_cascade_levels(seeded, session_factory,
                                                               missions):
    for slug in SLUGS:
        with tenant_scope(missions[slug]):
            async with session_factory() as db:
                trainings = {t.id: t for t in await db.scalars(select(Training))}
        tots = [t for t in trainings.values() if t.kind == "training_of_trainers"]
        assert tots
        levels = {t.id: 0 for t in tots}
        for _round in range(3):
            for t in trainings.values():
                if t.parent_id in levels:
                    levels[t.id] = levels[t.parent_id] + 1
        assert max(levels.values()) == 2
        assert {t.status for t in trainings.values()} >= {"planned", "held", "submitted",
                                                          "returned", "approved"}
        # Every demo training but the planned one names a funding project of its mission.
        assert sum(t.funding_project_id is None for t in trainings.values()) == 1
        # Participants listed one by one and counted, both.
        assert {t.participant_mode for t in trainings.values()} == {"counts", "individual"}
        assert all(t.total > 0 for t in trainings.values() if t.participant_mode == "individual")


async def test_seeding_again_adds_nothing(seeded, session_factory, missions):
    for slug in SLUGS:
        tenant = missions[slug]
        with tenant_scope(tenant):
            async with session_factory() as db:
                before = await db.scalar(select(func.count()).select_from(AuditEvent))
        assert await seed_demo_trainings(session_factory, tenant) == 0
        with tenant_scope(tenant):
            async with session_factory() as db:
                assert await db.scalar(select(func.count()).select_from(AuditEvent)) == before


async def test_the_demo_partner_sees_their_agency_s_activities(seeded, client, missions):
    speak(client, "en")
    assert (await sign_in(client, missions["sudan"], "partner@sudan.demo")).status_code == 303
    page = await client.get("/sudan/trainings")
    assert "Mixed migration: training of trainers" in page.text
    assert "Criminal justice response" not in page.text       # UNODC's
    use_session(client, None)
    speak(client, None)
