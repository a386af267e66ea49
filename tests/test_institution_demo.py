"""Demo host institutions and assignment requests (portal seed-demo): realistic, complete
in their life cycle, consistent with the mission's vocabulary, and idempotent."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Membership, User
from app.assignment_requests.models import (
    PRIORITIES,
    REQUEST_STATUSES,
    AssignmentRequest,
    RequestLanguage,
    RequestSkill,
)
from app.assignment_requests.services import timeline
from app.assignments.models import Assignment
from app.audit.models import AuditEvent
from app.demo import DEMO_PASSWORD, seed_demo
from app.demo.content import mission_demo, missions_with_demo
from app.demo.institutions import step_days
from app.experts.models import EDUCATION_LEVELS, LANGUAGE_LEVELS, MODALITIES, Skill
from app.institutions.models import INSTITUTION_KINDS, HostInstitution
from app.notifications.models import OutboxMail
from tenants.context import tenant_scope
from tenants.models import Sector
from tenants.provisioning import MISSIONS_DIR, load_mission
from tests.accounts_helpers import sign_in, sign_out

ARABIC = re.compile(r"[\u0600-\u06ff]")
COUNTED = (HostInstitution, AssignmentRequest, RequestSkill, RequestLanguage, AuditEvent,
           Membership, OutboxMail)


@pytest.fixture(scope="module")
async def seeded(session_factory, missions):
    await seed_demo(session_factory)


async def _counts(session_factory, missions) -> dict:
    counts = {}
    async with session_factory() as db:
        counts["users"] = await db.scalar(select(func.count()).select_from(User))
    for slug, tenant in missions.items():
        with tenant_scope(tenant):
            async with session_factory() as db:
                for model in COUNTED:
                    counts[slug, model.__tablename__] = await db.scalar(
                        select(func.count()).select_from(model))
                counts[slug, "ids"] = sorted(map(str, await db.scalars(
                    select(AssignmentRequest.id))))
    return counts


async def test_seeding_twice_changes_nothing(seeded, session_factory, missions):
    before = await _counts(session_factory, missions)
    for slug in missions:
        assert before[slug, "host_institutions"] >= 8
        assert before[slug, "assignment_requests"] >= 12
        # The history is written through the services, which mail nobody about the past.
        assert before[slug, "outbox_mails"] == 0
    await seed_demo(session_factory)
    assert await _counts(session_factory, missions) == before


async def test_institutions_look_real(seeded, session_factory, missions):
    for slug, tenant in missions.items():
        with tenant_scope(tenant):
            async with session_factory() as db:
                sectors = set(await db.scalars(select(Sector.code)))
                institutions = list(await db.scalars(select(HostInstitution)))
        assert 8 <= len(institutions) <= 12
        statuses = Counter(i.status for i in institutions)
        assert statuses["pending"] == 1 and statuses["suspended"] == 1
        assert statuses["approved"] == len(institutions) - 2
        assert len({i.name for i in institutions}) == len(institutions)
        assert {i.kind for i in institutions} <= set(INSTITUTION_KINDS)
        assert {"ministry", "public_agency", "university", "ngo"} <= {i.kind for i in institutions}
        used = {s for i in institutions for s in i.sectors}
        assert used <= sectors and len(used) >= 6
        assert all(i.name and i.other_name and i.city and i.sectors for i in institutions)
        for i in institutions:
            assert (i.approved_at is not None) == (i.status != "pending")
            if i.status == "pending":
                assert i.contact_name and i.contact_title and "@" in i.contact_email
            else:
                assert not (i.contact_name or i.contact_email)
            assert bool(i.status_reason) == (i.status == "suspended")
        if slug == "sudan":  # English names, Arabic other names
            assert all(ARABIC.search(i.other_name) and not ARABIC.search(i.name)
                       for i in institutions)
        else:  # the official Portuguese names, English other names
            assert not any(ARABIC.search(i.name + i.other_name) for i in institutions)
            assert any(re.search(r"[ãçéíóôúâê]", i.name) for i in institutions)


async def test_requests_cover_every_state_with_consistent_data(seeded, session_factory,
                                                               missions):
    today = date.today()
    for slug, tenant in missions.items():
        with tenant_scope(tenant):
            async with session_factory() as db:
                sectors = set(await db.scalars(select(Sector.code)))
                institutions = {i.id: i for i in await db.scalars(select(HostInstitution))}
                requests = list(await db.scalars(select(AssignmentRequest)
                                                  .order_by(AssignmentRequest.number)))
                skills = (await db.execute(select(RequestSkill, Skill.tenant_id).outerjoin(
                    Skill, Skill.id == RequestSkill.skill_id))).all()
                languages = list(await db.scalars(select(RequestLanguage)))
        assert 12 <= len(requests) <= 15
        assert [r.number for r in requests] == list(range(1, len(requests) + 1))
        statuses = Counter(r.status for r in requests)
        assert set(statuses) == set(REQUEST_STATUSES), slug
        assert statuses["open"] >= 3
        assert len({r.institution_id for r in requests}) >= 7
        assert len({r.sector for r in requests}) >= 6 and {r.sector for r in requests} <= sectors
        # Every skill of every request is one of this mission's (RLS would hide another's).
        assert skills and all(tenant_id == tenant.id for _, tenant_id in skills)
        by_request = {r.id: Counter() for r in requests}
        for link, _ in skills:
            by_request[link.request_id]["required" if link.required else "desired"] += 1
        assert all(2 <= c["required"] <= 4 and c["desired"] <= 2 for c in by_request.values())
        assert {lang.request_id for lang in languages} == {r.id for r in requests}
        assert {lang.min_level for lang in languages} <= set(LANGUAGE_LEVELS)
        assert Counter(lang.request_id for lang in languages).most_common(1)[0][1] <= 2

        for r in requests:
            institution = institutions[r.institution_id]
            assert institution.status in {"approved", "suspended"}
            assert r.title and r.background and r.objectives
            assert r.priority in PRIORITIES and r.experts_wanted >= 1
            assert r.education_level in EDUCATION_LEVELS
            assert r.modality is None or r.modality in MODALITIES
            if r.status != "draft":
                assert r.tasks and r.deliverables and r.expected_outputs
                assert r.modality and r.duration_weeks and r.earliest_start
            if r.earliest_start and r.latest_start:
                assert r.latest_start >= r.earliest_start
            if r.finish_by:
                weeks = timedelta(weeks=r.duration_weeks)
                assert r.earliest_start + weeks <= r.finish_by
                assert r.latest_start + weeks <= r.finish_by
            if r.status == "open":
                assert r.earliest_start >= today and r.latest_start >= r.earliest_start
            if r.status in {"open", "shortlisting", "filled"}:
                assert r.latest_start >= today
            if r.status in {"open", "shortlisting", "filled", "closed"}:
                assert r.submitted_at and r.opened_at and r.submitted_at <= r.opened_at
            if r.status in {"submitted", "rejected"}:
                assert r.submitted_at and r.opened_at is None
            # A reason where the institution must read one: also a draft sent back.
            sent_back = r.status == "draft" and r.submitted_at is not None
            assert bool(r.status_reason) == (r.status in {"rejected", "cancelled"} or sent_back)
            assert r.created_at <= r.updated_at <= datetime.now(UTC)
        if slug == "sudan":
            assert any(r.sector == "disability_inclusion" for r in requests)
        else:
            assert any(re.search(r"[ãçõéê]", r.title) for r in requests)


async def test_each_request_has_its_history_in_the_audit_trail(seeded, session_factory,
                                                               missions):
    for slug, tenant in missions.items():
        with tenant_scope(tenant):
            async with session_factory() as db:
                for r in await db.scalars(select(AssignmentRequest)):
                    events = await timeline(db, tenant, r)
                    assert events[0].action == "assignment_request.created"
                    assert events[0].after["number"] == r.number
                    state = "draft"
                    for event in events[1:]:
                        assert event.before == {"status": state}
                        state = event.after["status"]
                    assert state == r.status
                    times = [e.created_at for e in events]
                    assert times == sorted(times) and len(set(times)) == len(times)
                    assert times[0] == r.created_at and times[-1] == r.updated_at
                    labels = {e.actor_label for e in events}
                    assert labels <= {f"officer@{slug}.demo", f"focal@{slug}.demo"}
                    reasons = {e.action.split(".")[1]: e.after.get("reason") for e in events}
                    for action in ("reject", "cancel", "request_changes"):
                        if action in reasons:
                            assert reasons[action]
                    if r.status_reason:
                        assert r.status_reason in reasons.values()


async def test_demo_focal_point_works_for_an_approved_water_institution(seeded,
                                                                        session_factory,
                                                                        missions):
    for slug, tenant in missions.items():
        with tenant_scope(tenant):
            async with session_factory() as db:
                user, membership = (await db.execute(
                    select(User, Membership).join(Membership, Membership.user_id == User.id)
                    .where(User.email == f"focal@{slug}.demo"))).one()
                institution = await db.get(HostInstitution, membership.host_institution_id)
                own = list(await db.scalars(select(AssignmentRequest).where(
                    AssignmentRequest.institution_id == institution.id)))
                events = list(await db.scalars(select(AuditEvent).where(
                    AuditEvent.actor_id == user.id)))
                # ... and evaluates its experts' assignments (app.demo.assignments).
                evaluated = {str(a) for a in await db.scalars(select(Assignment.id).where(
                    Assignment.request_id.in_([r.id for r in own])))}
        assert membership.role == "institution_focal_point" and membership.status == "active"
        assert institution.tenant_id == tenant.id and institution.status == "approved"
        assert "water_management" in institution.sectors
        assert len({r.status for r in own}) >= 4
        assert all(r.created_by_id == user.id for r in own)
        assert {e.action for e in events} >= {"assignment_request.created",
                                              "assignment_request.submit"}
        assert all(e.object_id in {str(r.id) for r in own} | evaluated for e in events)
        assert any(e.action == "assignment.evaluation_submitted" for e in events)


def test_both_missions_have_demo_material():
    assert missions_with_demo() == ["mozambique", "sudan"]
    assert mission_demo("atlantis") is None


@pytest.mark.parametrize("slug", missions_with_demo())
def test_every_demo_request_fits_its_span(slug):
    """Steps one day apart at least, the last one in the past; skills and sectors of the
    mission files (caught here before a seed fails on another machine's date)."""
    institutions, requests = mission_demo(slug).institutions, mission_demo(slug).requests
    names = {i.name for i in institutions}
    assert len({i.key for i in institutions}) == len(institutions)
    # The data files name the vocabulary by code: a typo would silently drop a skill.
    mission = load_mission(MISSIONS_DIR / f"{slug}.toml")
    sectors, skills = {s.code for s in mission.sectors}, {s.code for s in mission.skills}
    assert all(set(i.sectors) <= sectors for i in institutions)
    assert all(r.sector in sectors and set(r.required + r.desired) <= skills
               for r in requests)
    assert sum(i.focal for i in institutions) == 1
    for r in requests:
        assert r.institution in names
        days = step_days(r)
        assert len(days) == len(r.path) and days == sorted(set(days))
        assert not days or 1 <= days[0] and days[-1] < r.created


async def test_the_focal_point_signs_in_and_sees_its_requests_with_their_history(
        seeded, client, session_factory, missions):
    tenant = missions["sudan"]
    with tenant_scope(tenant):
        async with session_factory() as db:
            membership = await db.scalar(select(Membership).join(
                User, User.id == Membership.user_id).where(User.email == "focal@sudan.demo"))
            requests = list(await db.scalars(select(AssignmentRequest)))
    own = [r for r in requests if r.institution_id == membership.host_institution_id]
    others = [r for r in requests if r.institution_id != membership.host_institution_id]
    response = await sign_in(client, tenant, "focal@sudan.demo", DEMO_PASSWORD)
    assert response.status_code in (302, 303), response.text
    try:
        dashboard = (await client.get("/sudan/institution")).text
        assert all(r.title in dashboard for r in own)
        assert not any(r.title in dashboard for r in others)
        closed = next(r for r in own if r.status == "closed")
        page = await client.get(f"/sudan/requests/{closed.id}")
        assert page.status_code == 200
        assert "officer@sudan.demo" in page.text and "focal@sudan.demo" in page.text
        assert "Final report received" in page.text
        assert (await client.get(f"/sudan/requests/{others[0].id}")).status_code == 404
    finally:
        await sign_out(client, tenant)
