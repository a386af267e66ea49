"""How fast are the reports on a large mission? Each report's queries (the services behind
the pages: the mission dashboard's four sections, supply against demand, a partner's
dashboard) against a bare `SELECT count(*)` over the same tables, in the same run.

Starts a throw-away PostgreSQL the way the tests do (bench/scratch_database.py), provisions
Sudan, fills it with --experts experts (`generate_experts`, COPY: verified, consenting,
with languages, skills, sectors and availability), --requests assignment requests in every
state with required skills, an assignment (with an evaluation when completed) for every
fifth request (with outputs once started), and --activities trainings of the mission's
partner agencies (a tenth of them trainings of trainers, a third cascades below another, a
fifth delivered by an assignment), written as the runtime role
(row-level security on), then runs each report --rounds times after a warm-up.

    .venv/bin/python bench/reports.py [--experts 100000] [--requests 20000]
                                      [--activities 10000] [--rounds 5]

Prints figures; asserts nothing. The database is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from scratch_database import scratch_database  # sets the import path to the project

# isort: split

from sqlalchemy import insert, select, text  # noqa: E402

from app.assignment_requests.models import (  # noqa: E402
    REQUEST_STATUSES,
    AssignmentRequest,
    RequestSkill,
)
from app.assignments.models import Assignment, Evaluation  # noqa: E402
from app.core.actor import Actor  # noqa: E402
from app.core.roles import permissions_for  # noqa: E402
from app.experts.models import Skill  # noqa: E402
from app.institutions.models import HostInstitution  # noqa: E402
from app.partners.models import PartnerAgency  # noqa: E402
from app.reports import services  # noqa: E402
from app.reports.services import ReportFilter  # noqa: E402
from app.trainings.models import THEMATIC_AREAS, Training  # noqa: E402
from tenants.context import tenant_scope  # noqa: E402
from tenants.models import Sector  # noqa: E402

from expert_generator import demo_password_hash, generate_experts  # noqa: E402

TARGET = "target: every report page under 1 s"
WARM_UP = 1
BATCH = 2_000
TARGETS = ["Prosecutors", "Police officers", "Border guards", "Social workers",
           "Community leaders", "Labour inspectors", ""]


async def fill(factory, tenant, rng: random.Random, n_requests: int, n_activities: int) -> dict:
    """Requests, their skills, assignments and evaluations, and trainings, in batches of
    INSERTs (the ORM's defaults apply)."""
    now = datetime.now(UTC)
    counts: dict[str, int] = {}
    with tenant_scope(tenant):
        async with factory() as db:
            sectors = list(await db.scalars(select(Sector.code).where(
                Sector.tenant_id == tenant.id)))
            skills = list(await db.scalars(select(Skill.id).where(Skill.tenant_id == tenant.id)))
            agencies = list(await db.scalars(select(PartnerAgency.id).where(
                PartnerAgency.tenant_id == tenant.id)))
            profiles = list(await db.scalars(text(
                "SELECT id FROM expert_profiles ORDER BY number LIMIT :n"),
                {"n": n_requests // 5 + 1}))
            institution = HostInstitution(tenant_id=tenant.id, name="Bench Ministry",
                                          kind="ministry", sectors=sectors, city="Khartoum",
                                          status="approved")
            db.add(institution)
            await db.flush()
            requests, request_skills, assignments, evaluations = [], [], [], []
            for number in range(1, n_requests + 1):
                created = now - timedelta(days=rng.randint(0, 900))
                status = rng.choice(REQUEST_STATUSES)
                opened = created + timedelta(days=rng.randint(1, 20)) \
                    if status not in ("draft", "submitted", "rejected") else None
                request_id = _uuid(rng)
                requests.append(dict(
                    id=request_id, tenant_id=tenant.id, institution_id=institution.id,
                    number=number, status=status, title=f"Bench request {number}",
                    sector=sectors[number % len(sectors)], experts_wanted=rng.choice((1, 1, 2)),
                    created_at=created, opened_at=opened,
                    shortlist_shared_at=opened + timedelta(days=rng.randint(2, 30))
                    if opened and rng.random() < 0.6 else None))
                request_skills += [dict(tenant_id=tenant.id, request_id=request_id,
                                        skill_id=skill, required=rng.random() < 0.8)
                                   for skill in rng.sample(skills, rng.randint(1, 3))]
                if opened and number % 5 == 0:
                    assignment_id = _uuid(rng)
                    done = rng.choice(("planned", "in_progress", "completed", "evaluated",
                                       "cancelled"))
                    end = (opened + timedelta(days=rng.randint(40, 200))).date()
                    assignments.append(dict(
                        id=assignment_id, tenant_id=tenant.id, request_id=request_id,
                        profile_id=profiles[number // 5], slot=1, status=done,
                        created_at=opened + timedelta(days=rng.randint(5, 60)),
                        actual_end=end if done in ("completed", "evaluated") else None,
                        updated_at=now, **({f"trained_{sex}": rng.randint(0, 15)
                                            for sex in ("female", "male")}
                                           if done != "planned" else {})))
                    if done in ("completed", "evaluated"):
                        evaluations.append(dict(
                            tenant_id=tenant.id, assignment_id=assignment_id,
                            status="accepted", **{k: rng.randint(2, 5) for k in (
                                "relevance", "quality", "timeliness", "knowledge_transfer",
                                "would_host_again")}))
            trainings: list[dict] = []
            tots: list = []
            for i in range(n_activities):
                kind = "training_of_trainers" if i % 10 == 0 else (
                    "cascade" if tots and i % 3 == 0 else
                    rng.choice(("training", "awareness", "technical_support")))
                start = (now - timedelta(days=rng.randint(0, 900))).date()
                training_id = _uuid(rng)
                trainings.append(dict(
                    id=training_id, tenant_id=tenant.id,
                    partner_agency_id=rng.choice(agencies),
                    parent_id=rng.choice(tots) if kind == "cascade" else None,
                    # a fifth delivered by an assignment (people trained counted once)
                    assignment_id=rng.choice(assignments)["id"]
                    if assignments and i % 5 == 1 else None,
                    title=f"Bench activity {i}", kind=kind,
                    thematic_area=rng.choice(THEMATIC_AREAS),
                    target_group=rng.choice(TARGETS), start_date=start,
                    end_date=start + timedelta(days=rng.randint(0, 4)),
                    status=rng.choice(("planned", "held", "submitted", "approved", "approved")),
                    female=rng.randint(0, 30), male=rng.randint(0, 30), other=rng.randint(0, 2),
                    not_recorded=rng.randint(0, 3), version=1, updated_at=now))
                if kind in ("training_of_trainers", "cascade"):
                    tots.append(training_id)
            for model, rows in ((AssignmentRequest, requests), (RequestSkill, request_skills),
                                (Assignment, assignments), (Evaluation, evaluations),
                                (Training, trainings)):
                for start_at in range(0, len(rows), BATCH):
                    await db.execute(insert(model), rows[start_at:start_at + BATCH])
                counts[model.__tablename__] = len(rows)
            await db.commit()
    return counts


async def analyze(owner_url) -> None:
    """Fresh planner statistics, as autovacuum would gather them soon after such a load (only
    the tables' owner may; the runtime role is not)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(owner_url)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


def _uuid(rng: random.Random):
    import uuid
    return uuid.UUID(int=rng.getrandbits(128), version=4)


async def timed(factory, tenant, work, rounds: int) -> list[float]:
    """Each round in a fresh session, as a page has."""
    times = []
    for i in range(WARM_UP + rounds):
        with tenant_scope(tenant):
            async with factory() as db:
                started = time.perf_counter()
                await work(db)
                if i >= WARM_UP:
                    times.append(time.perf_counter() - started)
    return times


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms"


async def run(experts: int, n_requests: int, n_activities: int, rounds: int, seed: int) -> None:
    started = time.perf_counter()
    async with scratch_database("reports") as scratch:
        factory, tenant = scratch.factory, scratch.tenant
        generated = await generate_experts(scratch.urls.app, tenant, experts, seed=seed,
                                           workers=2, password_hash=demo_password_hash())
        counts = await fill(factory, tenant, random.Random(seed), n_requests, n_activities)
        await analyze(scratch.urls.owner)
        setup = time.perf_counter() - started
        with tenant_scope(tenant):
            async with factory() as db:
                agency = await db.scalar(select(PartnerAgency.id).where(
                    PartnerAgency.tenant_id == tenant.id).order_by(PartnerAgency.code))
        staff = Actor(email="bench@example.org", role="staff",
                      permissions=permissions_for("staff", False))
        partner = Actor(email="partner@example.org", role="partner_user",
                        partner_agency_id=agency,
                        permissions=permissions_for("partner_user", False))
        flt, year = ReportFilter(), ReportFilter(period_from=date.today() - timedelta(days=365))
        today = date.today()

        async def baseline(db):
            for table in ("expert_profiles", "assignment_requests", "assignments", "trainings"):
                await db.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608 - fixed names

        reports = {
            "registry": lambda db: services.registry(db, tenant, flt, "en"),
            "demand": lambda db: services.demand(db, tenant, flt, "en"),
            "assignments": lambda db: services.assignments(db, tenant, flt, "en"),
            "trainings": lambda db: services.trainings(db, tenant, flt),
            "people trained, counted once": lambda db: services.outputs(db, tenant, flt),
            "mission dashboard (page)": lambda db: services.mission_dashboard(
                db, tenant, staff, flt, "en"),
            "mission dashboard, last 12 months": lambda db: services.mission_dashboard(
                db, tenant, staff, year, "en"),
            "supply against demand (page)": lambda db: services.supply_page(
                db, tenant, staff, flt, "en", today),
            "partner dashboard (page)": lambda db: services.partner_dashboard(
                db, tenant, partner, flt),
        }
        base = await timed(factory, tenant, baseline, rounds)
        results = {name: await timed(factory, tenant, work, rounds)
                   for name, work in reports.items()}
        with tenant_scope(tenant):
            async with factory() as db:
                rows = {t: await db.scalar(text(f"SELECT count(*) FROM {t}"))  # noqa: S608
                        for t in ("expert_profiles", "expert_skills", "assignment_requests",
                                  "assignment_request_skills", "assignments", "trainings")}
    print(f"reports benchmark: {experts:,} experts ({generated.seconds:.0f} s to generate), "
          f"{n_requests:,} requests, {n_activities:,} activities; setup {setup:.0f} s")
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in rows.items()))
    print(f"filled: {counts}")
    print(f"{TARGET}; {rounds} rounds after {WARM_UP} warm-up, each in a fresh session")
    b = statistics.median(base)
    print(f"  {'baseline: count(*) of the 4 tables':<36} {ms(base)}")
    for name, values in results.items():
        print(f"  {name:<36} {ms(values)}  {statistics.median(values) / b:6.1f}x baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(run(args.experts, args.requests, args.activities, args.rounds, args.seed))


if __name__ == "__main__":
    main()
