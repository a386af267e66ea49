"""How fast can the expert registry be filled? `generate_experts` (COPY) against the same
rows written with a plain executemany INSERT, measured in the same run.

Starts a throw-away PostgreSQL the way the tests do (the embedded pgserver, or the server
in TEST_DATABASE_URL / DATABASE_URL), builds the schema with the migrations, provisions the
Sudan mission, writes as the runtime role (row-level security on), prints, and drops it all.

    .venv/bin/python bench/generate_experts.py [--experts 100000] [--baseline 5000] [--workers 2]

The baseline comparison uses one connection for both methods; the big run uses --workers
connections (1: a single transaction, all or nothing; 2: both cores of this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time

from scratch_database import scratch_database  # sets the import path to the project

# isort: split

from sqlalchemy import func, select

from app.experts.models import ExpertProfile
from tenants.context import tenant_scope

from expert_generator import GenerationResult, demo_password_hash, generate_experts


def line(label: str, r: GenerationResult) -> str:
    return (f"  {label:<34} {r.experts:>8,} experts {r.total_rows:>10,} rows "
            f"{r.seconds:>8.2f} s {r.experts / r.seconds:>9,.0f} experts/s "
            f"{r.total_rows / r.seconds:>10,.0f} rows/s")


async def run(experts: int, baseline: int, workers: int) -> None:
    started = time.perf_counter()
    async with scratch_database("experts") as scratch:
        urls, tenant, version = scratch.urls, scratch.tenant, scratch.server_version
        external = scratch.external
        setup = time.perf_counter() - started
        password_hash = demo_password_hash()  # not part of what is measured

        # Same size, both methods, so the ratio compares like with like.
        slow = await generate_experts(urls.app, tenant, baseline, seed=1,
                                      method="executemany", password_hash=password_hash)
        fast = await generate_experts(urls.app, tenant, baseline, seed=2,
                                      password_hash=password_hash)
        big = await generate_experts(urls.app, tenant, experts, seed=3, workers=workers,
                                     password_hash=password_hash)
        with tenant_scope(tenant):
            async with scratch.factory() as db:
                total = await db.scalar(select(func.count()).select_from(ExpertProfile))

    print(f"Expert generation benchmark — {version.split(',')[0]}, "
          f"{'external server' if external else 'embedded pgserver'}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"  (server start, migrations and provisioning: {setup:.1f} s, not counted)")
    print(line("baseline: executemany INSERT", slow))
    print(line(f"COPY, same {baseline:,} experts", fast))
    print(line(f"COPY, {experts:,}, {workers} worker{'s' * (workers > 1)}", big))
    print(f"  COPY vs executemany on {baseline:,} experts: "
          f"{slow.seconds / fast.seconds:.1f}x faster")
    print(f"  rows per expert: {big.total_rows / big.experts:.1f} "
          f"({', '.join(f'{t} {n:,}' for t, n in big.rows.items())})")
    print(f"  experts in the mission afterwards: {total:,} "
          f"(expected {2 * baseline + experts:,})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(run(args.experts, args.baseline, args.workers))


if __name__ == "__main__":
    main()
