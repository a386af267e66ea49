"""How fast is the search index built? The portal's rebuild (`app.search.sync.reindex`, what
`portal reindex` and a fresh `portal run` do: documents built from PostgreSQL, written to
the engine) against a bare Tantivy batch index of the same documents, in the same run.

Starts a throw-away PostgreSQL (bench/scratch_database.py), fills the Sudan mission with
`generate_experts` (COPY), then:

1. reindex: `reindex(factory, backend, tenant)` into a fresh embedded index, the time split
   into building the documents (the builder's queries and Python) and the engine's writes;
2. bare Tantivy: the documents step 1 built, as plain Tantivy documents of the same schema
   (text folded the same way), one writer, one commit, into another fresh index.

    .venv/bin/python bench/index_build.py [--experts 100000]

Prints figures and the ratio (the issue's target: reindex in at most 10x the bare index).
Asserts nothing; everything it created is dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from sqlalchemy import delete  # noqa: E402

from app.search import sync  # noqa: E402
from app.search.documents import BUILDERS, INDEXES  # noqa: E402
from app.search.models import SearchOutbox  # noqa: E402
from app.search.outbox import EXPERTS  # noqa: E402
from bench.expert_generator import generate_experts  # noqa: E402
from bench.scratch_database import scratch_database  # noqa: E402
from search_index import SearchQuery  # noqa: E402
from search_index.embedded import WRITER_HEAP, EmbeddedSearch, _Index  # noqa: E402
from tenants.context import tenant_scope  # noqa: E402


class Timed:
    """Wraps the document builders and the backend's writes to split reindex's time."""

    def __init__(self, backend: EmbeddedSearch):
        self.build = self.write = 0.0
        self.documents: list[dict] = []
        self.backend = backend

    def install(self) -> None:
        for name, builder in list(BUILDERS.items()):
            async def timed_builder(db, tenant, ids, _builder=builder, _name=name):
                started = time.perf_counter()
                try:
                    docs = await _builder(db, tenant, ids)
                finally:
                    self.build += time.perf_counter() - started
                if _name == EXPERTS:
                    self.documents.extend(d for d in docs.values() if d)
                return docs
            BUILDERS[name] = timed_builder
        for method in ("upsert", "delete", "drop_tenant", "replace"):
            original = getattr(self.backend, method, None)
            if original is None:
                continue

            async def timed_write(*args, _original=original, **kwargs):
                started = time.perf_counter()
                try:
                    return await _original(*args, **kwargs)
                finally:
                    self.write += time.perf_counter() - started
            setattr(self.backend, method, timed_write)


def bare_tantivy(directory: Path, tenant_id: str, documents: list[dict]) -> float:
    """The same documents, the same schema and folding, one writer and one commit."""
    index = _Index(directory, INDEXES[EXPERTS])
    started = time.perf_counter()
    writer = index.index.writer(heap_size=WRITER_HEAP, num_threads=1)
    for doc in documents:
        writer.add_document(index._document(tenant_id, doc))
    writer.commit()
    writer.wait_merging_threads()
    return time.perf_counter() - started


def cpu() -> float:
    t = os.times()
    return t.user + t.system


async def run(experts: int, workers: int) -> None:
    async with scratch_database("index") as scratch:
        tenant = scratch.tenant
        started = time.perf_counter()
        await generate_experts(scratch.urls.app, tenant, experts, workers=workers)
        with tenant_scope(tenant):
            async with scratch.factory() as db:  # COPY leaves no outbox rows; be sure
                await db.execute(delete(SearchOutbox).where(SearchOutbox.tenant_id == tenant.id))
                await db.commit()
        generated = time.perf_counter() - started

        backend = EmbeddedSearch(scratch.directory / "portal")
        await sync.ensure_indexes(backend)
        timed = Timed(backend)
        timed.install()
        cpu_before, started = cpu(), time.perf_counter()
        indexed = await sync.reindex(scratch.factory, backend, tenant)
        reindex_s = time.perf_counter() - started
        reindex_cpu = cpu() - cpu_before
        found = (await backend.search(EXPERTS, str(tenant.id), SearchQuery(limit=1))).total
        await backend.close()

        bare_s = bare_tantivy(scratch.directory / "bare", str(tenant.id), timed.documents)
        n = len(timed.documents)
        print("\n".join([
            f"index build, {experts:,} generated experts ({generated:.1f} s to generate), "
            f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
            f"{os.getloadavg()[2]:.2f}, {os.cpu_count()} cores",
            f"  PostgreSQL: {scratch.server_version.split(' on ')[0]}"
            f"{' (external)' if scratch.external else ' (embedded)'}",
            f"  portal reindex: {indexed:,} objects ({found:,} experts searchable) in "
            f"{reindex_s:.2f} s = {indexed / reindex_s:,.0f} docs/s "
            f"(this process's CPU {reindex_cpu:.1f} s)",
            f"    building documents from PostgreSQL: {timed.build:.2f} s "
            f"({n / timed.build:,.0f} docs/s)" if timed.build else "",
            f"    engine writes (overlap the building since batches are pipelined): "
            f"{timed.write:.2f} s"
            f" ({n / timed.write:,.0f} docs/s)" if timed.write else "",
            f"  bare Tantivy, same {n:,} documents, one writer, one commit: {bare_s:.2f} s = "
            f"{n / bare_s:,.0f} docs/s",
            f"  ratio reindex / bare Tantivy: {reindex_s / bare_s:.1f}x (target: at most 10x)",
        ]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="generate_experts connections")
    args = parser.parse_args()
    asyncio.run(run(args.experts, args.workers))


if __name__ == "__main__":
    main()
