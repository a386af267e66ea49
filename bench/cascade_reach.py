"""What the cascade on a training of trainers' page costs (app/trainings/cascades.py).

Builds, in a throw-away database, a training of trainers with WIDTH cascade sessions below
it and WIDTH more below each of those (1 + WIDTH + WIDTH² trainings; every other one lists
PEOPLE participants by name, a fifth of them taking part twice), then times cascade_tree()
for the root as staff see it, and prints the median and 95th-percentile time, the SQL
statements it runs, the people counted, and the ratio of the median to a baseline measured
in the same run on the same session: one `count(*)` over the mission's trainings.

    .venv/bin/python bench/cascade_reach.py [--width 20] [--people 25] [--repeat 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sqlalchemy import event, func, select  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from app.partners.models import PartnerAgency  # noqa: E402
from app.trainings.cascades import cascade_tree  # noqa: E402
from app.trainings.models import Training, TrainingParticipant  # noqa: E402
from app.trainings.services import STAFF, TrainingView  # noqa: E402
from tenants.context import tenant_scope  # noqa: E402

from scratch_database import scratch_database  # noqa: E402  (puts the project on sys.path)


def _training(tenant_id, agency_id, parent_id, n: int, listed: bool, people: int) -> Training:
    return Training(id=uuid.uuid4(), tenant_id=tenant_id, partner_agency_id=agency_id,
                    parent_id=parent_id, title=f"Bench training {n}",
                    kind="training_of_trainers" if parent_id is None else "cascade",
                    thematic_area="mixed_migration", start_date=date(2027, 1, 1),
                    end_date=date(2027, 1, 2), female=people if not listed else people // 2,
                    male=0 if not listed else people - people // 2, status="held",
                    participant_mode="individual" if listed else "counts", version=1)


async def build(factory, tenant, width: int, people: int) -> Training:
    with tenant_scope(tenant):
        async with factory() as db:
            agency = await db.scalar(select(PartnerAgency.id).where(
                PartnerAgency.tenant_id == tenant.id).limit(1))
            root = _training(tenant.id, agency, None, 0, True, people)
            trainings, n = [root], 1
            for _i in range(width):
                level1 = _training(tenant.id, agency, root.id, n, n % 2 == 0, people)
                trainings.append(level1)
                n += 1
                for _j in range(width):
                    trainings.append(_training(tenant.id, agency, level1.id, n, n % 2 == 0,
                                               people))
                    n += 1
            db.add_all(trainings)
            await db.flush()
            repeat = max(1, people // 5)   # these take part in every listed activity
            for t in trainings:
                if t.participant_mode != "individual":
                    continue
                for k in range(people):
                    name = f"Repeat {k}" if k < repeat else f"Person {t.title} {k}"
                    db.add(TrainingParticipant(tenant_id=tenant.id, training_id=t.id,
                                               position=k, name=name,
                                               sex="female" if k < people // 2 else "male",
                                               age_group="25_34", institution="Bench",
                                               consent=True))
            await db.commit()
    return root


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=20)
    parser.add_argument("--people", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    async with scratch_database("cascade_reach") as scratch:
        tenant, factory = scratch.tenant, scratch.factory
        root = await build(factory, tenant, args.width, args.people)
        statements = 0

        @event.listens_for(Engine, "before_cursor_execute")
        def count(*_args) -> None:
            nonlocal statements
            statements += 1

        timings: dict[str, list[float]] = {"baseline": [], "cascade": []}
        with tenant_scope(tenant):
            async with factory() as db:
                view = TrainingView(root, None, STAFF)  # type: ignore[arg-type]
                reach = await cascade_tree(db, tenant, view)   # warm up
                for _i in range(args.repeat):
                    started = time.perf_counter()
                    await db.scalar(select(func.count()).select_from(Training))
                    timings["baseline"].append(time.perf_counter() - started)
                    before = statements
                    started = time.perf_counter()
                    reach = await cascade_tree(db, tenant, view)
                    timings["cascade"].append(time.perf_counter() - started)
                    per_call = statements - before
        assert reach is not None
        trainings = 1 + args.width + args.width ** 2
        print(f"PostgreSQL {scratch.server_version}; {trainings} trainings, "
              f"{args.people} people in each, every other one listed by name")
        print(f"reach: {reach.total.participations} participations, "
              f"{reach.total.persons} unique persons, {len(reach.levels)} levels")
        base = statistics.median(timings["baseline"])
        for name, values in timings.items():
            values.sort()
            median, p95 = statistics.median(values), values[int(len(values) * 0.95) - 1]
            print(f"{name:9} median {median * 1000:7.2f} ms  p95 {p95 * 1000:7.2f} ms  "
                  f"ratio {median / base:6.1f}")
        print(f"cascade_tree: {per_call} SQL statements per call")


if __name__ == "__main__":
    asyncio.run(main())
