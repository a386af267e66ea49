"""Demo assignments (portal seed-demo): every state of the life cycle in both missions,
written through the services (audited, nobody mailed), and idempotent."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from app.assignment_requests.models import AssignmentRequest
from app.assignments.models import (
    Assignment,
    ChecklistTick,
    Evaluation,
    FinalReport,
    HostRating,
    Milestone,
)
from app.audit.models import AuditEvent
from app.demo import seed_demo
from app.demo.assignments import MOVES, mission_assignments
from app.demo.content import missions_with_demo
from app.matching.models import ShortlistEntry
from app.notifications.models import OutboxMail
from tenants.context import tenant_scope

COUNTED = (Assignment, ShortlistEntry, ChecklistTick, FinalReport, Evaluation, AuditEvent,
           OutboxMail)


@pytest.fixture(scope="module")
async def seeded(session_factory, missions):
    await seed_demo(session_factory)


async def _counts(session_factory, missions) -> dict:
    counts = {}
    for slug, tenant in missions.items():
        with tenant_scope(tenant):
            async with session_factory() as db:
                for model in COUNTED:
                    counts[slug, model.__tablename__] = await db.scalar(
                        select(func.count()).select_from(model))
    return counts


def test_every_mission_with_demo_has_assignments_in_every_state():
    for slug in missions_with_demo():
        demo = mission_assignments(slug)
        assert demo is not None
        assert {seed.state for seed in demo.seeds} == set(MOVES)


async def test_assignments_in_every_state_in_both_missions(seeded, session_factory,
                                                           missions):
    for _slug, tenant in missions.items():
        with tenant_scope(tenant):
            async with session_factory() as db:
                rows = (await db.execute(select(Assignment, AssignmentRequest).join(
                    AssignmentRequest, AssignmentRequest.id == Assignment.request_id))).all()
                states = Counter(a.status for a, _ in rows)
                assert set(states) >= set(MOVES), states
                for assignment, request in rows:
                    assert request.status in ("filled", "closed")
                    assert assignment.slot <= request.experts_wanted
                    if assignment.status in ("in_progress", "completed", "evaluated"):
                        assert assignment.actual_start is not None
                        assert assignment.actual_start <= assignment.planned_end
                    if assignment.status == "cancelled":
                        assert assignment.status_reason
                reports = {r.assignment_id: r.status for r in await db.scalars(
                    select(FinalReport))}
                evaluations = {e.assignment_id: e.status for e in await db.scalars(
                    select(Evaluation))}
                by_state = {a.status: a.id for a, _ in rows}
                assert reports[by_state["evaluated"]] == "accepted"
                assert evaluations[by_state["evaluated"]] == "accepted"
                assert reports[by_state["completed"]] == "submitted"
                # Each step is in the audit trail, as the services write it.
                actions = set(await db.scalars(select(AuditEvent.action).where(
                    AuditEvent.object_type == "assignment",
                    AuditEvent.object_id == str(by_state["evaluated"]))))
                assert {"assignment.created", "assignment.contract", "assignment.start",
                        "assignment.report_submitted", "assignment.evaluation_accepted",
                        "assignment.evaluate", "assignment.outputs_recorded",
                        "assignment.milestone_changed"} <= actions
                # Completed work: the expert's outputs, milestones done, their rating.
                done = {a.id: a for a, _ in rows}[by_state["evaluated"]]
                assert done.sessions_held > 0 and done.trained_female > 0
                statuses = set(await db.scalars(select(Milestone.status).where(
                    Milestone.assignment_id == done.id)))
                assert statuses == {"done"}
                assert await db.scalar(select(HostRating.support_received).where(
                    HostRating.assignment_id == done.id))


async def test_seeding_assignments_twice_adds_nothing_and_mails_nobody(seeded,
                                                                       session_factory,
                                                                       missions):
    before = await _counts(session_factory, missions)
    for slug in missions:
        assert before[slug, "assignments"] >= len(MOVES)
        assert before[slug, "outbox_mails"] == 0
    await seed_demo(session_factory)
    assert await _counts(session_factory, missions) == before
