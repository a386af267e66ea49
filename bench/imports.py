"""How fast does a roster import? N expert rows (default 20,000) in a CSV file, imported the
way `portal import experts` does it, then made searchable the way the search index job does.

Starts a throw-away PostgreSQL the way the tests do (the embedded pgserver, or the server in
TEST_DATABASE_URL / DATABASE_URL), builds the schema with the migrations, provisions the
Sudan mission, generates the file (every row: languages with levels, two degrees, two
jobs, sectors, skills of the vocabulary by name and synonym, a headline, availability windows,
consents), and measures, as the runtime role (row-level security on):

1. parse + validate: reading the CSV and checking every row (the file's rules, then the
   mission's data: vocabulary, existing references and accounts), nothing written;
2. write + index: the whole import in one transaction (accounts, memberships, profiles and
   their parts, consents, password links, invitation mails, audit events, search outbox
   rows, each table's rows of a chunk with one COPY; the mails are rendered later, when
   the mail job sends them), each chunk's documents (a new profile's made with its rows,
   from their values) handed to a fresh embedded (Tantivy) index while PostgreSQL writes
   the next chunk, committed to the index after the transaction, as `portal import` and
   the import job do; this includes checking the file again, as every run does;
3. drain: the search outbox drained, 5,000 documents a round, as `portal import` does at
   its end (nothing is left in it unless the engine could not take the documents).

Each step's CPU is printed beside its time: this process's (all its threads) and the
embedded PostgreSQL's.

    .venv/bin/python bench/imports.py [--experts 20000] [--backend embedded]

Then, in the same run, the baseline of the same rows: a bare COPY of the file into a table
of text columns (PostgreSQL's fastest way in, nothing checked) plus a bare Tantivy index of
the documents step 2 built (bench/index_build.py's `bare_tantivy`); the import's "file to
searchable" as a ratio of the two. The documents of the baseline are those the import
handed to the engine (and any the drain built), each expert's once.

Targets: 20,000 rows imported and searchable in under a minute on this machine (issue 7);
100,000 rows in at most 3x the bare COPY plus the bare index (issue 17, `--experts 100000`).
Prints figures; asserts nothing. Everything it created (database, index) is dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import platform
import random
import time

from scratch_database import scratch_database  # sets the import path to the project

# isort: split

import asyncpg
import psutil
from index_build import Timed, bare_tantivy  # noqa: E402  (a script beside this one)
from sqlalchemy import func, select

from app.core.actor import Actor
from app.core.roster_format import import_columns
from app.db.server import asyncpg_dsn
from app.experts.models import ExpertProfile
from app.imports.services import Links, check, read_upload, run_import
from app.search.outbox import EXPERTS
from app.search.sync import drain, ensure_indexes
from search_index import SearchQuery, open_backend
from tenants.context import tenant_scope

FIRST = ["Amira", "Mohamed", "Fatima", "Khalid", "Huda", "Omar", "Sara", "Yousif", "Nadia",
         "Tarig", "Rania", "Hassan", "Samira", "Ibrahim", "Mariam", "محمد", "فاطمة", "أحمد"]
LAST = ["Osman", "Ibrahim", "Eltayeb", "Bakri", "Mustafa", "Ali", "Abdalla", "Hamid",
        "Elnour", "Suliman", "Gonçalves", "الطيب", "عثمان"]
SECTOR_SKILLS = {
    "water_management": ["Hydrology", "Water treatment", "irrigation", "water purification"],
    "education": ["Curriculum development", "Teacher training", "تدريب المعلمين"],
    "health": ["Public health", "epidemiology"],
    "agriculture": ["Agronomy", "crop science"],
    "corporate_governance": ["Corporate governance", "board governance"],
    "project_management": ["Project management", "PRINCE2"],
    "counter_trafficking": ["Identification of trafficking victims", "Criminal investigation"],
    "disability_inclusion": ["Braille instruction"],
    "media_development": ["Journalism training", "media training"],
}
COUNTRIES = ["NL", "GB", "DE", "SA", "AE", "QA", "US", "CA", "FR", "EG"]


def roster(n: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(import_columns("experts"))
    for i in range(n):
        sectors = rng.sample(list(SECTOR_SKILLS), 1 + (rng.random() < 0.3))
        skills = sorted({rng.choice(SECTOR_SKILLS[s]) for s in sectors for _ in range(2)})
        country = rng.choice(COUNTRIES)
        start = f"2027-{rng.randint(1, 6):02d}-01"
        end = f"2027-{rng.randint(7, 12):02d}-28"
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
        writer.writerow([
            f"BENCH-{i:06d}", name, f"bench.{i}@roster.example.org",
            f"+31 6 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
            rng.choice(["female", "male"]), rng.randint(1960, 1995), "SD", country,
            "Utrecht", f"ar:native; en:{rng.choice(['B1', 'B2', 'C1', 'C2'])}"
            + ("; fr:A2" if rng.random() < 0.2 else ""),
            f"6|Engineering|University of Khartoum|{rng.randint(1985, 2010)}; "
            f"7|Water management|TU Delft|{rng.randint(2011, 2020)}",
            f"Engineer|Company {i % 97}|{country}|2012-01-01|2018-12-31|Design and training; "
            f"Lead engineer|Agency {i % 89}|{country}|2019-01-01||Programmes",
            "; ".join(sectors), "; ".join(skills), rng.randint(3, 35),
            f"{rng.choice(['Engineer', 'Teacher', 'Physician', 'Agronomist'])} | "
            f"{skills[0]}", f"{name}: experience in {', '.join(sectors)}.",
            rng.choice(["on_site", "hybrid", "remote"]),
            rng.choice([1, 2]), rng.choice([6, 8, 12]),
            f"{start}..{end}" + ("; unavailable:2027-08-01..2027-08-14"
                                 if rng.random() < 0.2 else ""),
            "matching; share_with_institutions" if rng.random() < 0.7 else "matching",
        ])
    return out.getvalue().encode("utf-8")


class Cpu:
    """CPU seconds spent so far by this process (all its threads) and by the embedded
    PostgreSQL (the postmaster, its live processes and those that ended): on a machine
    shared with other work the wall times move with that work, the CPU much less."""

    def __init__(self, directory):
        pid_file = directory / "pg" / "postmaster.pid"  # none for TEST_DATABASE_URL's server
        self.postmaster = psutil.Process(int(pid_file.read_text().split()[0])) \
            if pid_file.exists() else None

    def now(self) -> tuple[float, float]:
        mine = os.times()
        database = 0.0
        if self.postmaster is not None:
            times = self.postmaster.cpu_times()
            database = times.user + times.system + times.children_user + times.children_system
            for child in self.postmaster.children():
                try:
                    child_times = child.cpu_times()
                except psutil.NoSuchProcess:  # ended meanwhile: counted by the postmaster
                    continue
                database += child_times.user + child_times.system
        return mine.user + mine.system, database


async def run(experts: int, backend_name: str) -> None:
    async with scratch_database("imports") as scratch:
        settings, factory, tenant = scratch.settings, scratch.factory, scratch.tenant
        version, external = scratch.server_version, scratch.external
        backend = open_backend(backend_name, scratch.directory / "search", settings.meili_url,
                               settings.meili_key, f"bench{os.getpid()}_")
        try:
            await ensure_indexes(backend)
            timed = Timed(backend)  # keeps the expert documents the drain builds
            timed.install()
            staged_documents = keep_staged(backend)  # and those the import hands over
            data = roster(experts)
            cpu = Cpu(scratch.directory)

            cpu_started = cpu.now()
            started = time.perf_counter()
            source = read_upload(data, "experts")
            parsed = time.perf_counter()
            with tenant_scope(tenant):
                async with factory() as db:
                    checked = await check(db, tenant, source, "experts", "verified")
            validated = time.perf_counter()
            cpu_validated = cpu.now()
            assert not checked.errors, checked.errors[:5]

            write_started = time.perf_counter()
            outcome = await run_import(factory, tenant, Actor(email="bench"), source, "experts",
                                       "verified", False, links=Links("http://bench.local"),
                                       search=backend)
            written = time.perf_counter()
            cpu_written = cpu.now()
            assert outcome.written, outcome.failure
            drained_count = await drain(factory, backend, batch=5000)
            indexed = outcome.indexed + drained_count
            drained = time.perf_counter()
            cpu_drained = cpu.now()

            hits = await backend.search("experts", str(tenant.id), SearchQuery(text="hydrology",
                                                                                limit=5))
            with tenant_scope(tenant):
                async with factory() as db:
                    total = await db.scalar(select(func.count()).select_from(ExpertProfile))
            # Each expert's latest document once (one built by the drain comes after).
            documents = list({d["id"]: d for d in (*staged_documents,
                                                     *timed.documents)}.values())
            cpu_before_copy = cpu.now()
            copy_seconds = await bare_copy(asyncpg_dsn(scratch.urls.app), data)
            cpu_copied = cpu.now()
            index_seconds = bare_tantivy(scratch.directory / "bare", str(tenant.id), documents)
            cpu_bare_indexed = cpu.now()
        finally:
            await backend.close()

    print(f"Import benchmark — {experts:,} expert rows ({len(data) / 1e6:.1f} MB CSV), "
          f"{version.split(',')[0]}, {'external server' if external else 'embedded pgserver'}, "
          f"{backend_name} search, {os.cpu_count()} CPUs, Python {platform.python_version()}")

    def line(label: str, seconds: float, rows: int, spent: tuple | None = None) -> str:
        text = f"  {label:<44} {seconds:>7.2f} s {rows / seconds:>10,.0f} rows/s"
        if spent is not None:
            text += f"   CPU: this process {spent[0]:6.2f} s, PostgreSQL {spent[1]:6.2f} s"
        return text

    def between(a: tuple, b: tuple) -> tuple[float, float]:
        return b[0] - a[0], b[1] - a[1]

    print(line("read CSV", parsed - started, experts))
    print(line("validate (rows + the mission's data)", validated - parsed, experts))
    print(line("parse + validate", validated - started, experts,
               between(cpu_started, cpu_validated)))
    print(line("write + index (check again, one transaction)", written - write_started,
               experts, between(cpu_validated, cpu_written)))
    print(line(f"drain the outbox ({drained_count:,} left)", drained - written,
               max(drained_count, 1), between(cpu_written, cpu_drained)))
    total_seconds = (validated - started) + (drained - write_started)
    print(line("total: file to searchable", total_seconds, experts,
               between(cpu_started, cpu_drained)))
    print(f"  profiles in the mission: {total:,}; documents indexed: {indexed:,}; "
          f"'hydrology' finds {hits.total:,}")
    print(f"  target: under 60 s — {'met' if total_seconds < 60 else 'NOT met'}")
    baseline = copy_seconds + index_seconds
    print(line("baseline: bare COPY of the file", copy_seconds, experts,
               between(cpu_before_copy, cpu_copied)))
    print(line(f"baseline: bare Tantivy, {len(documents):,} documents", index_seconds,
               len(documents), between(cpu_copied, cpu_bare_indexed)))
    print(f"  ratio file to searchable / (bare COPY + bare index): {total_seconds / baseline:.1f}x"
          " (target at 100,000 rows: at most 3x)")
    spent, base = between(cpu_started, cpu_drained), between(cpu_before_copy, cpu_bare_indexed)
    print(f"  the same in CPU seconds (this process + PostgreSQL): {sum(spent):.1f} / "
          f"{sum(base):.1f} = {sum(spent) / sum(base):.1f}x (steadier than the wall times "
          "on a shared machine)")
    load = os.getloadavg()
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def keep_staged(backend) -> list[dict]:
    """The expert documents an import hands to the engine's staged writes (those of the
    profiles it creates are made from its rows, never by the builders Timed watches)."""
    kept: list[dict] = []
    staged = backend.staged

    def keeping(index: str, tenant_id: str):
        writes = staged(index, tenant_id)
        add = writes.add

        async def add_kept(documents: list[dict], deletes: list[str]) -> None:
            if index == EXPERTS:
                kept.extend(documents)
            await add(documents, deletes)
        writes.add = add_kept
        return writes
    backend.staged = keeping
    return kept


async def bare_copy(dsn: str, data: bytes) -> float:
    """The file as it is into a table of text columns: the floor of any import."""
    header = next(csv.reader(io.StringIO(data.decode("utf-8").split("\n", 1)[0])))
    conn = await asyncpg.connect(dsn)
    try:
        columns = ", ".join(f'"c{i}" text' for i in range(len(header)))
        await conn.execute(f"CREATE TEMP TABLE bare_roster ({columns})")
        started = time.perf_counter()
        await conn.copy_to_table("bare_roster", source=io.BytesIO(data), format="csv",
                                 header=True)
        return time.perf_counter() - started
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=20_000)
    parser.add_argument("--backend", default="embedded", choices=["embedded", "meilisearch"])
    args = parser.parse_args()
    asyncio.run(run(args.experts, args.backend))


if __name__ == "__main__":
    main()
