"""The registry's page and count statements (app.experts.registry) with the load
benchmark's filters (verified experts of one sector, sorted by name) under EXPLAIN (ANALYZE,
BUFFERS), as the runtime role with row-level security on, at --experts experts: for the most
common sector (the generator gives each about 10 %) and for one that 1 in 100 experts work
in. Prints each plan (is a filter read from an index?) and the median execution time over
--runs runs. It runs on older commits too (copy it into an export of the commit, with
PYTHONPATH set to it), to compare before and after."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from sqlalchemy import text  # noqa: E402

from app.db.session import create_engine  # noqa: E402
from app.experts import registry  # noqa: E402
from bench.expert_generator import generate_experts  # noqa: E402
from bench.scratch_database import scratch_database  # noqa: E402


async def main(experts: int, runs: int) -> None:
    async with scratch_database("plan") as scratch:
        await generate_experts(scratch.urls.app, scratch.tenant, experts)
        async with scratch.factory() as db:  # and a sector one expert in a hundred works in
            await db.execute(text("SELECT set_config('app.tenant_id', :t, true)"),
                             {"t": str(scratch.tenant.id)})
            await db.execute(text("UPDATE expert_profiles SET sectors = sectors || '{rare}' "
                                  "WHERE number % 100 = 0"))
            await db.commit()
        # The steady state, as bench/load.py measures it: statistics and the visibility map
        # that autovacuum would have made (only the tables' owner can).
        owner = create_engine(scratch.urls.owner).execution_options(isolation_level="AUTOCOMMIT")
        try:
            async with owner.connect() as conn:
                await conn.execute(text("VACUUM ANALYZE"))
        finally:
            await owner.dispose()
        async with scratch.factory() as db:
            await db.execute(text("SELECT set_config('app.tenant_id', :t, true)"),
                             {"t": str(scratch.tenant.id)})
            # The most and the least common sector: the count stops at COUNT_LIMIT + 1
            # matches, so how far it reads depends on how many match.
            by_count = (await db.execute(text(
                "SELECT s, count(*) FROM expert_profiles, unnest(sectors) s "
                "GROUP BY s ORDER BY 2 DESC, 1"))).all()
            print(f"{experts} experts; {scratch.server_version}")
            for sector, matching in (by_count[0], by_count[-1]):  # 'rare' last
                flt = registry.RegistryFilter(status="verified", sector=sector, sort="name")
                shape = flt.shape()
                values = {**registry._values(scratch.tenant, flt),
                          "count_limit": registry.COUNT_LIMIT + 1, "offset": 0,
                          "limit": registry.PAGE_SIZE}
                for label, statement in (("count", registry._count_statement(shape)),
                                         ("page", registry._page_statement(shape, "name"))):
                    await plan(db, f"{label}, sector {sector} ({matching} experts)", statement,
                               values, runs)


async def plan(db, label: str, statement, values: dict, runs: int) -> None:
    conn = await db.connection()
    compiled = statement.compile(dialect=conn.dialect)  # $1, $2...: asyncpg's
    explain = "EXPLAIN (ANALYZE, BUFFERS) " + str(compiled)
    params = tuple(values.get(k, compiled.params[k]) for k in compiled.positiontup)
    times, lines = [], []
    for _ in range(runs):
        lines = [r[0] for r in await conn.exec_driver_sql(explain, params)]
        times.append(float(lines[-1].split(":")[1].split()[0]))
    print(f"\n== {label}: median execution {statistics.median(times):.2f} ms over {runs} "
          "runs; plan of the last:")
    print("\n".join(lines))

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.experts, args.runs))
