"""Demo host institutions and assignment requests for `portal seed-demo` (and the first
`portal run`), from app/demo/data/<mission>/institutions.toml (app.demo.content).

Everything is written by the domain services, as the people who would have done it:
institutions added by the programme officer (app.institutions.services.create_institution),
an application through the public form (apply), a suspension (change_status); each request
created by the demo focal point for its own institution, otherwise by the officer on the
institution's behalf (app.assignment_requests.services.create_request: the mission's next
number, the audit event), then moved along its path by apply_action (the transition table
of app/assignment_requests/states.py, reasons, the audit trail). The seeder adds only what
the services are told: when each step happened (`at`, spread over the request's span by
STEP_WEIGHT, so its page shows a believable timeline) and that nobody is mailed about the
past (notify=False). The demo focal point (focal@<mission>.demo, created by app.demo) is
linked to the mission's focal institution.

Idempotent: an institution is skipped when one of that name exists in the mission;
requests are written only when the mission has none of the demo's requests yet. Missions
without demo material (a new mission file) get nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from litestar.datastructures import FormMultiDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import Membership, User
from app.assignment_requests import services as requests
from app.assignment_requests.models import AssignmentRequest, RequestLanguage, RequestSkill
from app.assignment_requests.states import INSTITUTION
from app.core.actor import Actor, make_actor
from app.demo.content import InstitutionSeed, MissionDemo, RequestSeed, mission_demo
from app.experts.models import Skill
from app.institutions import services as institutions
from app.institutions.models import HostInstitution
from tenants.context import TenantContext, tenant_scope

# The demo accounts app.demo creates in each mission (data/accounts.toml).
OFFICER, FOCAL_POINT = "officer", "focal"

# Relative time between steps, spread over each request's span (created .. settled).
STEP_WEIGHT = {"submit": 3, "request_changes": 4, "open": 6, "reject": 5,
               "start_shortlisting": 14, "reopen": 9, "fill": 12, "close": 60, "cancel": 10}


def _at(day: date, slot: int) -> datetime:
    """A working-hours moment (07:00-15:00 UTC, 09:00-17:00 in both missions) on the day."""
    return datetime.combine(day, time(7, 0), tzinfo=UTC) + timedelta(minutes=slot % 480)


def step_days(seed: RequestSeed) -> list[int]:
    """Days after creation of each step of the path: spread over the request's span by
    STEP_WEIGHT, one day apart at least, the last one `settled` days ago."""
    span = seed.created - seed.settled
    weights = [STEP_WEIGHT[action] for action in seed.path]
    total, cumulative = sum(weights), 0
    days: list[int] = []
    for weight in weights:
        cumulative += weight
        day = round(cumulative / total * span)
        days.append(max(day, days[-1] + 1 if days else 1))
    if days and days[-1] > seed.created - 1:
        raise ValueError(f"{seed.title!r}: too many steps for {span} days")
    return days


def _dates(seed: RequestSeed, today: date) -> dict:
    if seed.start_in is None:
        return dict(earliest_start=None, latest_start=None, finish_by=None)
    earliest = today + timedelta(days=seed.start_in)
    latest = earliest + timedelta(days=seed.window)
    finish_by = None
    if seed.finish_slack is not None and seed.weeks:
        finish_by = latest + timedelta(weeks=seed.weeks, days=seed.finish_slack)
    return dict(earliest_start=earliest, latest_start=latest, finish_by=finish_by)


def _fields(seed: RequestSeed, today: date) -> dict:
    """The request's content, as create_request takes it."""
    return dict(title=seed.title, background=seed.background, objectives=seed.objectives,
                tasks=seed.tasks, deliverables=seed.deliverables,
                expected_outputs=seed.expected_outputs, sector=seed.sector,
                min_years_experience=seed.min_years, education_level=seed.education,
                modality=seed.modality, city=seed.city, duration_weeks=seed.weeks,
                experts_wanted=seed.experts, priority=seed.priority, **_dates(seed, today))


def _form(seed: InstitutionSeed) -> FormMultiDict:
    """The institution as staff (or the applicant) would type it in the form."""
    pairs = [("name", seed.name), ("other_name", seed.other_name), ("kind", seed.kind),
             ("city", seed.city), ("address", seed.address), ("website", seed.website),
             *(("sectors", code) for code in seed.sectors)]
    if seed.contact:
        pairs += zip(("contact_name", "contact_title", "contact_email"), seed.contact,
                     strict=True)
    return FormMultiDict(pairs)


async def _member(db: AsyncSession, tenant: TenantContext,
                  local: str) -> tuple[User, Membership] | None:
    row = (await db.execute(select(User, Membership).join(
        Membership, Membership.user_id == User.id).where(
        Membership.tenant_id == tenant.id, User.email == f"{local}@{tenant.slug}.demo"))).first()
    return (row[0], row[1]) if row else None


async def _seed_institutions(db: AsyncSession, tenant: TenantContext, demo: MissionDemo,
                             officer: Actor, today: date) -> list[tuple[int, InstitutionSeed]]:
    """Create the missing institutions; returns those created, with their position."""
    existing = set(await db.scalars(select(HostInstitution.name).where(
        HostInstitution.tenant_id == tenant.id)))
    created = []
    for k, seed in enumerate(demo.institutions):
        if seed.name in existing:
            continue
        since = _at(today - timedelta(days=seed.since), 60 + 37 * k)
        if seed.status == "pending":  # through the public form: nobody signed in
            await institutions.apply(db, tenant, Actor(), _form(seed), review_link=None,
                                     at=since, notify=False)
        else:
            await institutions.create_institution(db, tenant, officer, _form(seed), at=since)
        created.append((k, seed))
    return created


async def _suspend(db: AsyncSession, tenant: TenantContext, officer: Actor,
                   created: list[tuple[int, InstitutionSeed]], today: date) -> None:
    """Suspensions come after the requests: an institution submitted them while approved."""
    for k, seed in created:
        if seed.status != "suspended":
            continue
        institution = await db.scalar(select(HostInstitution).where(
            HostInstitution.tenant_id == tenant.id, HostInstitution.name == seed.name))
        assert institution is not None  # made earlier in this run
        await institutions.change_status(
            db, tenant, officer, institution, "suspend", seed.status_reason,
            invitation_link=None, at=_at(today - timedelta(days=seed.suspended), 200 + 37 * k))


async def _focal_point(db: AsyncSession, tenant: TenantContext,
                       institution: HostInstitution | None) -> Actor | None:
    """The demo focal point, its membership naming the institution (made by app.demo without
    one); None if the account or the institution is missing."""
    found = await _member(db, tenant, FOCAL_POINT)
    if found is None or institution is None:
        return None
    user, membership = found
    if membership.role != "institution_focal_point":
        return None
    if membership.host_institution_id is None:
        membership.host_institution_id = institution.id
        await db.commit()
    if membership.host_institution_id != institution.id:
        return None
    return make_actor(user, membership, "")


async def _add_skills_and_languages(db: AsyncSession, tenant: TenantContext,
                                    request: AssignmentRequest, seed: RequestSeed,
                                    skills: dict) -> None:
    """The expert wanted, by the vocabulary's codes (the form resolves typed names)."""
    wanted = [(code, True) for code in seed.required] + \
             [(code, False) for code in seed.desired if code not in seed.required]
    db.add_all(RequestSkill(tenant_id=tenant.id, request_id=request.id,
                            skill_id=skills[code], required=required)
               for code, required in wanted if code in skills)
    db.add_all(RequestLanguage(tenant_id=tenant.id, request_id=request.id,
                               language=language, min_level=level)
               for language, level in seed.languages)


async def _seed_requests(db: AsyncSession, tenant: TenantContext, demo: MissionDemo,
                         officer: Actor, focal: Actor | None, today: date) -> int:
    titles = [seed.title for seed in demo.requests]
    if await db.scalar(select(func.count()).select_from(AssignmentRequest).where(
            AssignmentRequest.tenant_id == tenant.id, AssignmentRequest.title.in_(titles))):
        return 0
    by_name = {i.name: i for i in await db.scalars(select(HostInstitution).where(
        HostInstitution.tenant_id == tenant.id))}
    codes = {code for seed in demo.requests for code in (*seed.required, *seed.desired)}
    skills = dict((await db.execute(select(Skill.code, Skill.id).where(
        Skill.tenant_id == tenant.id, Skill.code.in_(codes)))).all())
    created = 0
    # In the order the requests were created, oldest first: so are their numbers.
    for ordinal, seed in enumerate(sorted(demo.requests, key=lambda s: -s.created), 1):
        if seed.institution not in by_name:
            continue
        # The institution's steps: its focal point, or staff on its behalf.
        own = focal if focal is not None and seed.institution == demo.focal_institution \
            else officer
        try:
            institution = await requests.institution_for_new_request(
                db, tenant, own, None if own is focal else str(by_name[seed.institution].id))
            created_at = _at(today - timedelta(days=seed.created), 53 * ordinal)
            request = await requests.create_request(db, tenant, own, institution,
                                                    _fields(seed, today), at=created_at)
            await _add_skills_and_languages(db, tenant, request, seed, skills)
            await db.commit()
            for k, (action, day) in enumerate(zip(seed.path, step_days(seed), strict=True), 1):
                by_institution = action == "submit" or (action == "cancel"
                                                        and seed.cancelled_by == INSTITUTION)
                actor = own if by_institution else officer
                request = await requests.get_request(db, tenant, actor, request.id, lock=True)
                at = _at(created_at.date() + timedelta(days=day), 53 * ordinal + 97 * k)
                await requests.apply_action(db, tenant, actor, request, action,
                                            seed.reasons.get(action, ""),
                                            f"/{tenant.slug}/requests/{request.id}", at=at,
                                            notify=False)
        except requests.RequestActionRefused as refused:
            raise ValueError(f"demo request {seed.title!r}: {refused.message}") from refused
        created += 1
    return created


async def seed_demo_institutions(session_factory: async_sessionmaker[AsyncSession],
                                 tenant: TenantContext) -> tuple[int, int]:
    """Add the mission's missing demo institutions and, once, its demo requests; link the
    demo focal point to its institution. Returns (institutions, requests) created."""
    demo = mission_demo(tenant.slug)
    if demo is None:
        return 0, 0
    today = date.today()
    with tenant_scope(tenant):
        async with session_factory() as db:
            found = await _member(db, tenant, OFFICER)
            if found is None:
                raise ValueError(f"{tenant.slug}: the demo programme officer is missing")
            officer = make_actor(*found, "")
            created = await _seed_institutions(db, tenant, demo, officer, today)
            focal = await _focal_point(db, tenant, await db.scalar(select(HostInstitution).where(
                HostInstitution.tenant_id == tenant.id,
                HostInstitution.name == demo.focal_institution)))
            new_requests = await _seed_requests(db, tenant, demo, officer, focal, today)
            await _suspend(db, tenant, officer, created, today)
            await db.commit()
    return len(created), new_requests
