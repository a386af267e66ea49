"""Demo assignments for `portal seed-demo` (and the first `portal run`), from
app/demo/data/<mission>/assignments.toml: on the demo's filled requests, one assignment in
each state of the life cycle, so the programme looks alive.

Written the way the portal writes them: a shortlist entry selected for a verified demo
expert of the request's sector, the assignment made by the selection hook
(app.assignments.services.create_from_selection), then moved by the programme officer
through the life-cycle table and its gates (change_plan, tick, move, review), the final
report sent by the expert, the evaluation by the demo focal point of the request's
institution (submit_report, submit_evaluation); for work completed, the expert's outputs,
the milestones done and the expert's rating of the institution. Nobody is mailed about the past
(notify=False). The seeder adds only what the services cannot know: when the work really
started and ended (the planned dates, not the day of seeding).

Idempotent: a request that has assignments already gets none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from sqlalchemy import any_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import Membership, User
from app.assignment_requests.models import AssignmentRequest
from app.assignments import closing, milestones, outputs, services
from app.assignments.models import Assignment
from app.assignments.states import NEEDS_REASON
from app.core.actor import Actor, make_actor
from app.demo.content import DATA, _read
from app.experts.models import ExpertProfile
from app.matching.models import ShortlistEntry
from tenants.context import TenantContext, tenant_scope

OFFICER, FOCAL_POINT = "officer", "focal"
# The officer's moves to reach each state (the report and the evaluation come in between).
MOVES = {"planned": (), "contracted": ("contract",), "in_progress": ("contract", "start"),
         "completed": ("contract", "start", "complete"),
         "evaluated": ("contract", "start", "complete", "evaluate"),
         "cancelled": ("contract", "cancel")}


@dataclass(frozen=True)
class AssignmentSeed:
    request: str              # the request's title
    state: str
    start_in: int | None = None
    plan_reason: str = ""     # why the dates moved from the request's (with start_in)
    reason: str = ""          # of a cancellation


@dataclass(frozen=True)
class MissionAssignments:
    seeds: tuple[AssignmentSeed, ...]
    report: dict[str, str]
    evaluation: dict[str, str]
    evaluation_comments: str
    outputs: dict[str, str]          # the figures of completed work, outputs_notes too
    host_rating: dict[str, str]      # the expert's rating of the institution
    host_rating_comments: str


@cache
def mission_assignments(slug: str) -> MissionAssignments | None:
    path = DATA / slug / "assignments.toml"
    if not path.is_file():
        return None
    raw = _read(path)
    seeds = tuple(AssignmentSeed(**a) for a in raw.get("assignment", ()))
    for seed in seeds:
        if seed.state not in MOVES:
            raise ValueError(f"{slug}: unknown assignment state {seed.state!r}")
    return MissionAssignments(seeds, {k: v.strip() for k, v in raw["report"].items()},
                              {k: str(v) for k, v in raw["evaluation"].items()},
                              raw.get("evaluation_comments", ""),
                              {k: str(v) for k, v in raw.get("outputs", {}).items()},
                              {k: str(v) for k, v in raw.get("host_rating", {}).items()},
                              raw.get("host_rating_comments", ""))


async def _actor(db: AsyncSession, tenant: TenantContext, email: str | None = None,
                 user_id: uuid.UUID | None = None) -> Actor | None:
    who = User.email == email if email is not None else User.id == user_id
    row = (await db.execute(select(User, Membership).join(
        Membership, Membership.user_id == User.id).where(
        Membership.tenant_id == tenant.id, who))).first()
    return make_actor(row[0], row[1], "") if row else None


async def _experts(db: AsyncSession, tenant: TenantContext, sector: str | None,
                   count: int) -> list[ExpertProfile]:
    """Verified demo experts with an account, of the sector first, by number."""
    query = select(ExpertProfile).where(ExpertProfile.tenant_id == tenant.id,
                                        ExpertProfile.status == "verified",
                                        ExpertProfile.user_id.is_not(None))
    in_sector = list(await db.scalars(query.where(literal(sector) == any_(ExpertProfile.sectors))
                                      .order_by(ExpertProfile.number).limit(count))) \
        if sector else []
    if len(in_sector) < count:
        taken = [p.id for p in in_sector] or [uuid.uuid4()]
        in_sector += list(await db.scalars(query.where(ExpertProfile.id.not_in(taken))
                                           .order_by(ExpertProfile.number)
                                           .limit(count - len(in_sector))))
    return in_sector


async def _seed_one(db: AsyncSession, tenant: TenantContext, demo: MissionAssignments,
                    officer: Actor, focal: Actor | None, request: AssignmentRequest,
                    profile: ExpertProfile, slot: int, seed: AssignmentSeed) -> None:
    entry = ShortlistEntry(tenant_id=tenant.id, request_id=request.id, profile_id=profile.id,
                           status="selected", explanation={}, added_by_id=officer.user_id,
                           chosen_by_institution=True)
    db.add(entry)
    await db.flush()
    assignment = await services.create_from_selection(db, tenant, officer, request,
                                                      profile.id, entry.id, slot)
    await db.commit()
    aid, link = assignment.id, f"/{tenant.slug}/assignments/{assignment.id}"
    if seed.start_in is not None:
        start = date.today() + timedelta(days=seed.start_in)
        end = start + timedelta(weeks=request.duration_weeks or 4) - timedelta(days=1)
        await services.change_plan(db, tenant, officer, aid, services.PlanForm(
            planned_start=start.isoformat(), planned_end=end.isoformat(),
            modality=assignment.modality, duty_station=assignment.duty_station,
            reason=seed.plan_reason), link,
            notify=False)
    expert = await _actor(db, tenant, user_id=profile.user_id) if profile.user_id else None
    for action in MOVES[seed.state]:
        if action == "start":
            view = await services.get_assignment(db, tenant, officer, aid)
            lines = await services.checklist_of(db, tenant, view)
            await db.commit()
            for line in lines:
                await services.tick(db, tenant, officer, aid, line.item.id, True, None)
        if action == "complete" and expert is not None:
            await _work_done(db, tenant, demo, officer, expert, aid)
            await services.submit_report(db, tenant, expert, aid, demo.report, link,
                                         notify=False)
        if action == "evaluate":
            if focal is None or expert is None:
                raise ValueError(f"{tenant.slug}: {seed.request!r} needs the demo focal "
                                 "point's institution and an expert with an account")
            await services.submit_evaluation(db, tenant, focal, aid, demo.evaluation,
                                             demo.evaluation_comments, link, notify=False)
            for part in ("report", "evaluation"):
                await services.review(db, tenant, officer, aid, part, "accept", "", None, link,
                                      notify=False)
        await services.move(db, tenant, officer, aid, action,
                            seed.reason if action in NEEDS_REASON else "", None, link,
                            notify=False)
        if action == "complete" and expert is not None and demo.host_rating:
            await closing.rate_host(db, tenant, expert, aid, demo.host_rating,
                                    demo.host_rating_comments)
    # The work happened on its planned dates, not on the day the demo was seeded.
    done = (await services.get_assignment(db, tenant, officer, aid, lock=True)).assignment
    if done.actual_start is not None and done.planned_start is not None:
        done.actual_start = min(done.planned_start, done.actual_start)
        if done.actual_end is not None and done.planned_end is not None:
            done.actual_end = min(done.planned_end, done.actual_end)
    await db.commit()


async def _work_done(db: AsyncSession, tenant: TenantContext, demo: MissionAssignments,
                     officer: Actor, expert: Actor, aid: uuid.UUID) -> None:
    """Before completion: the expert's outputs, and the milestones done (an assignment
    still in progress keeps its own, overdue ones marked on the lists)."""
    if demo.outputs:
        await outputs.save_outputs(db, tenant, expert, aid, demo.outputs, None)
    view = await services.get_assignment(db, tenant, officer, aid)
    lines = await milestones.milestones_of(db, tenant, view)
    await db.commit()
    for line in lines:
        m = line.milestone
        await milestones.change_milestone(db, tenant, officer, aid, m.id, milestones.MilestoneForm(
            title=m.title, kind=m.kind, due_date=m.due_date.isoformat() if m.due_date else "",
            status="done"))


async def seed_demo_assignments(session_factory: async_sessionmaker[AsyncSession],
                                tenant: TenantContext) -> int:
    """Assignments on the mission's demo requests that have none yet; returns how many."""
    demo = mission_assignments(tenant.slug)
    if demo is None:
        return 0
    created = 0
    with tenant_scope(tenant):
        async with session_factory() as db:
            officer = await _actor(db, tenant, f"{OFFICER}@{tenant.slug}.demo")
            focal = await _actor(db, tenant, f"{FOCAL_POINT}@{tenant.slug}.demo")
            if officer is None:
                raise ValueError(f"{tenant.slug}: the demo programme officer is missing")
            titles = list(dict.fromkeys(seed.request for seed in demo.seeds))
            for title in titles:
                request = await db.scalar(select(AssignmentRequest).where(
                    AssignmentRequest.tenant_id == tenant.id, AssignmentRequest.title == title,
                    AssignmentRequest.status.in_(("filled", "closed"))))
                if request is None or await db.scalar(select(func.count()).select_from(
                        Assignment).where(Assignment.tenant_id == tenant.id,
                                          Assignment.request_id == request.id)):
                    await db.commit()
                    continue
                seeds = [seed for seed in demo.seeds if seed.request == title]
                profiles = await _experts(db, tenant, request.sector, len(seeds))
                await db.commit()
                for slot, (seed, profile) in enumerate(zip(seeds, profiles, strict=False), 1):
                    institution_focal = focal if focal is not None \
                        and focal.host_institution_id == request.institution_id else None
                    await _seed_one(db, tenant, demo, officer, institution_focal, request,
                                    profile, slot, seed)
                    created += 1
    return created
