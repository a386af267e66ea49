"""N verified, consenting experts of a mission as fast as PostgreSQL takes them, for
benchmarks and load tests: `generate_experts` streams the rows with COPY (or, as the
baseline to compare with, executemany). Used by bench/generate_experts.py and
bench/matching.py, and tested in tests/test_expert_demo.py; not part of the portal.

People are drawn like the demo experts (app.demo.experts: the mission's diaspora and its
vocabulary), with simpler profiles; their job titles and studies are drawn as the demo's.
Writes as the mission (row-level security): with `set_config('app.tenant_id', ..., true)`
first in each transaction.

    from expert_generator import generate_experts        # a script in bench/
    from bench.expert_generator import generate_experts  # from the project root (tests)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.numbering import number_lock_key
from app.db.bulk import CopyWriter
from app.db.server import asyncpg_dsn, to_asyncpg_url
from app.demo.content import expert_material
from app.demo.experts import (
    DEMO_EMAIL_DOMAIN,
    Vocabulary,
    demo_password_hash,
    diaspora_for,
    draw_education,
    draw_identity,
    draw_work,
    fill_digits,
)
from app.experts.models import HEADLINE_LENGTH
from tenants.context import TenantContext

# Column lists of what the generator writes; the rest take their defaults.
BULK_COLUMNS = {
    "users": ("id", "email", "name", "preferred_locale", "password_hash", "status",
              "email_verified_at"),
    "memberships": ("id", "tenant_id", "user_id", "role", "status"),
    "expert_profiles": ("id", "tenant_id", "user_id", "number", "status", "full_name", "gender",
                        "birth_year", "nationality", "phone", "residence_country",
                        "residence_city", "years_experience", "headline", "summary",
                        "modality",
                        "min_weeks", "max_weeks", "sectors", "submitted_at", "verified_at",
                        "updated_at"),
    "expert_languages": ("id", "tenant_id", "profile_id", "language", "level"),
    "expert_education": ("id", "tenant_id", "profile_id", "level", "field", "institution",
                         "year"),
    "expert_work_history": ("id", "tenant_id", "profile_id", "title", "employer", "country",
                            "started_on", "ended_on", "description"),
    "expert_skills": ("id", "tenant_id", "profile_id", "skill_id"),
    "expert_availability": ("id", "tenant_id", "profile_id", "kind", "starts_on", "ends_on"),
    "expert_consents": ("id", "tenant_id", "profile_id", "purpose", "notice_version", "source",
                        "granted_at"),
}


@dataclass
class GenerationResult:
    experts: int
    rows: dict[str, int]
    seconds: float
    method: str
    first_number: int

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


class BulkBuilder:
    """Records for verified, consenting experts, in BULK_COLUMNS order, a chunk at a time.
    One seeded generator across chunks, so the same seed gives the same experts."""

    def __init__(self, tenant: TenantContext, vocab: Vocabulary, seed: int, first_number: int,
                 password_hash: str, now: datetime):
        self.tenant, self.vocab, self.password_hash, self.now = tenant, vocab, password_hash, now
        self.rng = random.Random(seed)
        self.diaspora = diaspora_for(tenant)
        self.next_number = first_number
        # Keys: a random prefix per run (UUID version 4 layout) and a counter. uuid4() per row
        # costs more than building the rest of the row, and sequential keys append to the
        # primary-key indexes instead of touching random pages.
        prefix = os.urandom(8).hex()
        self.next_id = map(f"{prefix[:12]}4{prefix[13:16]}8{{:015x}}".format,
                           itertools.count(1)).__next__

    def build(self, n: int) -> dict[str, list[tuple]]:
        rng, diaspora, vocab, now = self.rng, self.diaspora, self.vocab, self.now
        uuid4, tid, today = self.next_id, self.tenant.id, now.date()
        out: dict[str, list[tuple]] = {t: [] for t in BULK_COLUMNS}
        users, members, profiles = out["users"], out["memberships"], out["expert_profiles"]
        langs, skills, avail, consents = (out["expert_languages"], out["expert_skills"],
                                          out["expert_availability"], out["expert_consents"])
        education, work = out["expert_education"], out["expert_work_history"]
        sector_codes = [c for c, _ in vocab.sectors]
        all_skills = vocab.all_skills
        residences = rng.choices([c for c, _ in diaspora.residence],
                                 weights=[w for _, w in diaspora.residence], k=n)
        domain = f"{self.tenant.slug}.{DEMO_EMAIL_DOMAIN}"
        material = expert_material()
        version = vocab.notice_version
        for i in range(n):
            number = self.next_number + i
            ident = draw_identity(rng, diaspora)
            uid, pid = uuid4(), uuid4()
            residence = residences[i]
            years = rng.randint(3, 32)
            users.append((uid, f"{ident.email_local}.{number}@{domain}", ident.name,
                          "ar" if ident.arabic_script else "en", self.password_hash, "active",
                          now))
            members.append((uuid4(), tid, uid, "expert", "active"))
            sectors = rng.sample(sector_codes, 1 + (rng.random() < 0.35)) if sector_codes else []
            birth_year = today.year - years - rng.randint(22, 30)
            phone = fill_digits(rng, material.phones.get(residence, "+## ### ### ###"))
            city = rng.choice(material.cities.get(residence, [""]))
            modality = rng.choice(("on_site", "on_site", "hybrid", "remote"))
            weeks = rng.choice((1, 2, 3, 4)), rng.choice((4, 6, 8, 12, 26))
            # Job titles and studies as the demo's experts have them: matching reads them
            # (occupation fit), so a benchmark without them would miss that cost.
            primary = sectors[0] if sectors else ""
            education += [(uuid4(), tid, pid, row["level"], row["field"], row["institution"],
                           row["year"]) for row in draw_education(
                               rng, diaspora, primary, residence, birth_year, today.year)]
            jobs = draw_work(rng, diaspora, primary, residence, ident.gender, years, today)
            work += [(uuid4(), tid, pid, row["title"], row["employer"], row["country"],
                      row["started_on"], row["ended_on"], row["description"]) for row in jobs]
            # The headline as a CV opens: the current job's title, then the sectors.
            headline = f"{jobs[0]['title']} | {', '.join(sectors)}"[:HEADLINE_LENGTH] \
                if jobs else ", ".join(sectors)
            profiles.append((
                pid, tid, uid, number, "verified", ident.name, ident.gender,
                birth_year, diaspora.nationality, phone, residence, city, years, headline,
                f"{years} years of experience in {', '.join(sectors)}.",
                modality, *weeks, sectors, now, now, now))
            langs.append((uuid4(), tid, pid, diaspora.native, "native"))
            if diaspora.native != "en":
                langs.append((uuid4(), tid, pid, "en", rng.choice(("B1", "B2", "C1", "C2"))))
            local = material.residence_languages.get(residence)
            if local and local not in (diaspora.native, "en") and rng.random() < 0.6:
                langs.append((uuid4(), tid, pid, local, rng.choice(("A2", "B1", "B2", "C1"))))
            picked: dict[uuid.UUID, None] = {}
            for code in sectors:
                pool = vocab.skills_by_sector.get(code) or all_skills
                if pool:
                    picked[rng.choice(pool)] = None
                    if len(pool) > 1 and rng.random() < 0.5:
                        picked[rng.choice(pool)] = None
            skills += [(uuid4(), tid, pid, skill_id) for skill_id in picked]
            start = today + timedelta(days=rng.randint(7, 150))
            avail.append((uuid4(), tid, pid, "available", start,
                          start + timedelta(days=rng.randint(28, 180))))
            if rng.random() < 0.2:
                off = start + timedelta(days=rng.randint(0, 20))
                avail.append((uuid4(), tid, pid, "unavailable", off, off + timedelta(days=14)))
            consents.append((uuid4(), tid, pid, "matching", version, "expert", now))
            if rng.random() < 0.8:
                consents.append((uuid4(), tid, pid, "share_with_institutions", version,
                                 "expert", now))
            if rng.random() < 0.5:
                consents.append((uuid4(), tid, pid, "future_contact", version, "expert", now))
        self.next_number += n
        return out


class ExecutemanyWriter:
    """The baseline benchmarks compare COPY with: one prepared INSERT, many parameter sets."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def write(self, table: str, columns: tuple[str, ...], records: list[tuple]) -> None:
        if records:
            marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
            await self.conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", records)


WRITERS = {"copy": CopyWriter, "executemany": ExecutemanyWriter}
CHUNK = 5_000  # experts per chunk: ~50,000 rows


async def _vocabulary_raw(conn: asyncpg.Connection, tenant: TenantContext) -> Vocabulary:
    sectors = await conn.fetch("SELECT code, names FROM sectors WHERE tenant_id = $1 "
                               "ORDER BY position, code", tenant.id)
    skills = await conn.fetch("SELECT id, sector FROM skills WHERE tenant_id = $1 "
                              "AND source = 'mission' ORDER BY code", tenant.id)
    version = await conn.fetchval("SELECT max(version) FROM consent_notices WHERE tenant_id = $1",
                                  tenant.id)
    # A connection from SQLAlchemy's pool decodes JSONB; a bare asyncpg one returns text.
    return Vocabulary.from_rows([(r["code"], r["names"] if isinstance(r["names"], dict)
                                  else json.loads(r["names"])) for r in sectors],
                                [(r["id"], r["sector"]) for r in skills], version)


async def _write_all(conn: asyncpg.Connection, writer, builder: BulkBuilder,
                     n: int) -> dict[str, int]:
    """Build chunk k+1 in a thread while PostgreSQL ingests chunk k: the two cores work at
    once (the thread holds the GIL, but the event loop only needs it to hand over data)."""
    sizes = [min(CHUNK, n - done) for done in range(0, n, CHUNK)]
    counts = dict.fromkeys(BULK_COLUMNS, 0)
    pending = asyncio.ensure_future(asyncio.to_thread(builder.build, sizes[0])) if sizes else None
    try:
        for i in range(len(sizes)):
            records = await pending
            pending = asyncio.ensure_future(asyncio.to_thread(builder.build, sizes[i + 1])) \
                if i + 1 < len(sizes) else None
            for table, rows in records.items():  # parents first: BULK_COLUMNS order
                await writer.write(table, BULK_COLUMNS[table], rows)
                counts[table] += len(rows)
    finally:
        if pending is not None:  # a write failed: let the running build finish, drop it
            await asyncio.gather(pending, return_exceptions=True)
    return counts


@asynccontextmanager
async def _connection(target: str | URL | AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """An asyncpg connection: borrowed from the engine's pool, or opened from a URL."""
    if isinstance(target, AsyncEngine):
        async with target.connect() as sa_conn:
            yield (await sa_conn.get_raw_connection()).driver_connection
        return
    conn = await asyncpg.connect(asyncpg_dsn(to_asyncpg_url(target)))
    try:
        yield conn
    finally:
        await conn.close()


async def _scoped(conn: asyncpg.Connection, tenant: TenantContext) -> None:
    await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant.id))


async def generate_experts(target: str | URL | AsyncEngine, tenant: TenantContext, n: int,
                           seed: int = 0, *, method: str = "copy", workers: int = 1,
                           password_hash: str | None = None) -> GenerationResult:
    """Create N verified, consenting experts of the mission.

    `target`: a database URL (the owner's or the runtime role's; row-level security applies
    to both) or an AsyncEngine whose pool lends the connections. `method` 'executemany' is
    the slow baseline for benchmarks.

    With one worker everything is one transaction: N experts or none. Most of the time goes
    to PostgreSQL's foreign-key checks (about two per row), which one backend runs on one
    core; `workers=2` splits the experts over two connections and transactions to use a
    second core, at the price of atomicity: if one worker fails, the other's experts may
    already be committed.

    Numbers continue after the mission's highest, reserved under the same advisory lock
    sign-ups take; email addresses carry the number, so calling again adds more experts.
    """
    if method not in WRITERS:
        raise ValueError(f"method {method!r}: choose from {', '.join(WRITERS)}")
    if n < 0 or workers < 1:
        raise ValueError("n must be >= 0 and workers >= 1")
    password_hash = password_hash or demo_password_hash()
    started = time.perf_counter()
    lock_key = number_lock_key("expert_profiles", tenant.id)  # the lock sign-ups take
    now = datetime.now(UTC)
    shares = [n // workers + (1 if i < n % workers else 0) for i in range(workers)]

    async def work(conn: asyncpg.Connection, vocab: Vocabulary, first: int, index: int,
                   count: int) -> dict[str, int]:
        builder = BulkBuilder(tenant, vocab, seed * 1000 + index, first, password_hash, now)
        return await _write_all(conn, WRITERS[method](conn), builder, count)

    async with _connection(target) as conn:
        if workers == 1:
            async with conn.transaction():
                await _scoped(conn, tenant)
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", lock_key)
                first = 1 + await conn.fetchval("SELECT coalesce(max(number), 0) "
                                                "FROM expert_profiles WHERE tenant_id = $1",
                                                tenant.id)
                counts = await work(conn, await _vocabulary_raw(conn, tenant), first, 0, n)
        else:
            # A session-level lock on the numbering key, held while the workers write: it
            # excludes sign-ups' transaction-level lock on the same key just the same.
            await conn.execute("SELECT pg_advisory_lock(hashtext($1))", lock_key)
            try:
                async with conn.transaction():
                    await _scoped(conn, tenant)
                    first = 1 + await conn.fetchval("SELECT coalesce(max(number), 0) "
                                                    "FROM expert_profiles WHERE tenant_id = $1",
                                                    tenant.id)
                    vocab = await _vocabulary_raw(conn, tenant)

                async def worker(index: int) -> dict[str, int]:
                    async with _connection(target) as own, own.transaction():
                        await _scoped(own, tenant)
                        return await work(own, vocab, first + sum(shares[:index]), index,
                                          shares[index])

                results = await asyncio.gather(*(worker(i) for i in range(workers)))
            finally:
                await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", lock_key)
            counts = {t: sum(r[t] for r in results) for t in BULK_COLUMNS}
    return GenerationResult(experts=n, rows=counts, seconds=time.perf_counter() - started,
                            method=method, first_number=first)
