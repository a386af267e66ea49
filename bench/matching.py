"""How fast is matching on a large registry? The full match of the matching workspace
(`find_candidates`: retrieve from the search engine with the hard filters, re-rank with the
scoring module, explain the candidates shown) against the engine query alone, measured in
the same run on the same index and requests.

Starts a throw-away PostgreSQL the way the tests do (the embedded pgserver, or the server
in TEST_DATABASE_URL / DATABASE_URL), builds the schema with the migrations, provisions the
Sudan mission and fills it with `generate_experts` (COPY; every generated profile is
verified, consents to matching and has languages with levels, skills, sectors and
availability windows in the coming months). Then, writing as the runtime role (row-level
security on):

1. index build: `app.search.sync.reindex` of the mission into a fresh index (embedded
   Tantivy in a temporary directory by default). COPY bypasses the search outbox, which is
   why the whole mission is reindexed; the figure includes building the documents from
   PostgreSQL.
2. --requests open assignment requests (ORM rows, one host institution made for the run):
   different sectors, 1-4 required and 0-2 desired skills from the mission's vocabulary,
   0-2 languages with minimum levels, work windows in the coming months, 2-12 weeks,
   various modalities. Their outbox rows are deleted (the engine's request index is not
   what is measured).
3. per request, after a warm-up, --rounds times over all requests:
   - full match: `find_candidates(..., MatchFilters(), "en", limit=50)` plus
     `candidate.explanation(...)` for every returned candidate (the JSON API and
     `portal match` send them all), in a fresh session whose transaction has begun (the
     page loaded the request), as a page would call it;
   - raw query: the same SearchQuery (`match_query`, the function find_candidates builds
     it with) sent straight to `backend.search`. Neither marks text snippets: a
     candidate's are marked when the officer opens its row's reasons.
   The two take turns at going first (the second finds the engine's caches warm), and the
   highlighter's word cache is emptied before each. The full match is split into
   PostgreSQL (request_and_settings), the engine call (who is on a confirmed assignment,
   and the texts of the mission's latest requests, are asked of PostgreSQL meanwhile),
   scoring and sorting, and the explanations (which make the criteria of the candidates
   shown: the pool is ranked by its totals), by wrapping those calls; the garbage
   collector's pauses are counted
   (app.core.collector.settle_after_start() first, as the portal does once started:
   gc.freeze() and young collections every 10,000 allocations; --no-freeze-gc to see
   without).

    .venv/bin/python bench/matching.py [--experts 100000] [--requests 50] [--backend embedded]

Prints figures; asserts nothing. Everything it created (database, index) is dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import platform
import random
import resource
import time
from datetime import date, timedelta
from pathlib import Path

from scratch_database import scratch_database  # sets the import path to the project

# isort: split

from sqlalchemy import delete, func, select  # noqa: E402

import app.matching.services as matching  # noqa: E402
from app.assignment_requests.models import AssignmentRequest, RequestLanguage, RequestSkill  # noqa: E402
from app.core.collector import settle_after_start  # noqa: E402
from app.experts.models import ExpertConsent, ExpertProfile, Skill  # noqa: E402
from app.institutions.models import HostInstitution  # noqa: E402
from app.matching.services import MatchFilters, find_candidates, match_query  # noqa: E402
from app.search.models import SearchOutbox  # noqa: E402
from app.search.outbox import EXPERTS  # noqa: E402
from app.search.sync import ensure_indexes, reindex  # noqa: E402
from search_index import open_backend  # noqa: E402
from search_index import text as search_text  # noqa: E402
from tenants.context import tenant_scope  # noqa: E402
from tenants.models import Sector  # noqa: E402

from expert_generator import demo_password_hash, generate_experts  # noqa: E402

TARGET = "target: full match p95 < 50 ms, re-ranking overhead < 1.5x the raw query"
WARM_UP = 5
LIMIT = 50

TITLES = {
    "water_management": ["Rehabilitate the water treatment plant of {city}",
                         "Irrigation scheme design for smallholder farmers",
                         "Groundwater monitoring for the state water corporation"],
    "education": ["Revise the secondary school science curriculum",
                  "Train primary school teachers in active learning methods",
                  "Design a teacher training programme for returnee teachers"],
    "health": ["Strengthen disease surveillance in {city} hospitals",
               "Public health training for community health workers"],
    "agriculture": ["Improve sorghum yields with climate-smart agronomy",
                    "Set up a seed certification laboratory"],
    "corporate_governance": ["Board governance review of a state-owned enterprise",
                             "Draft the corporate governance code for public companies"],
    "project_management": ["Set up a project management office in the ministry",
                           "Coach project managers on donor-funded programmes"],
    "counter_trafficking": ["Train police officers in victim identification",
                            "Support criminal investigation of smuggling networks"],
    "disability_inclusion": ["Braille instruction for teachers of blind pupils",
                             "Train instructors of visually impaired adults"],
    "media_development": ["Journalism training for local radio reporters",
                          "Coach newsroom editors on fact-checking"],
}
CITIES = ["Khartoum", "Port Sudan", "Kassala", "Wad Madani", "El Obeid", ""]
# (language, minimum levels to draw from, weight)
LANGUAGES = [("en", ("B1", "B2", "C1"), 6), ("ar", ("B2", "C1", "native"), 4),
             ("fr", ("A2", "B1"), 1), ("de", ("A2", "B1"), 1)]


# --- measuring ---------------------------------------------------------------------------------

def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def stats(values: list[float]) -> str:
    return (f"p50 {pct(values, 50) * 1000:7.2f} ms   p95 {pct(values, 95) * 1000:7.2f} ms   "
            f"mean {sum(values) / len(values) * 1000:7.2f} ms   max {max(values) * 1000:7.2f} ms")


def memory() -> str:
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    try:
        import psutil

        current_mb = psutil.Process().memory_info().rss / 2**20
    except ImportError:
        with open("/proc/self/statm") as f:
            current_mb = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return f"RSS {current_mb:,.0f} MB (peak {peak_mb:,.0f} MB)"


def directory_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def forget_highlights() -> None:
    """Empty the embedded backend's cache of highlighted words (search_index.text), so
    that neither measurement profits from the other having just run the same query."""
    cache_clear = getattr(getattr(search_text, "_marker", None), "cache_clear", None)
    if cache_clear:
        cache_clear()


class Collections:
    """Time the cyclic garbage collector stops the process for, per generation."""

    def __init__(self):
        self.seconds = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self._started
            self.count[info["generation"]] += 1

    @property
    def total(self) -> float:
        return sum(self.seconds)

    def line(self, matches: int) -> str:
        return (f"{sum(self.count)} collections ({self.count[2]} full), "
                f"{sum(self.seconds) * 1000:.0f} ms in all, {self.seconds[2] * 1000:.0f} ms "
                f"in full ones, {sum(self.seconds) * 1000 / matches:.2f} ms per match")


class Sections:
    """Time spent in the calls find_candidates makes, collected by wrapping them: in
    PostgreSQL (request_and_settings: the request and the mission's settings) and in the
    engine (backend.search; who is busy, and the mission's requests' texts, are asked of
    PostgreSQL meanwhile)."""

    def __init__(self):
        self.database = 0.0
        self.engine = 0.0

    def install(self):
        originals = (matching.request_and_settings, matching.request_facts,
                     matching.matching_settings)

        def timed(fn):
            async def wrapper(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return await fn(*args, **kwargs)
                finally:
                    self.database += time.perf_counter() - started
            return wrapper

        matching.request_and_settings, matching.request_facts, matching.matching_settings = \
            map(timed, originals)
        return originals

    def backend(self, backend):
        sections = self

        class Timed:
            name = backend.name

            async def search(self, index, tenant_id, query):
                started = time.perf_counter()
                try:
                    return await backend.search(index, tenant_id, query)
                finally:
                    sections.engine += time.perf_counter() - started

        return Timed()

    def take(self) -> tuple[float, float]:
        taken = (self.database, self.engine)
        self.database = self.engine = 0.0
        return taken


# --- the requests --------------------------------------------------------------------------------

async def make_requests(db, tenant, rng: random.Random, n: int) -> list:
    sectors = list(await db.scalars(select(Sector.code).where(Sector.tenant_id == tenant.id)
                                    .order_by(Sector.position, Sector.code)))
    skills = list(await db.execute(select(Skill.id, Skill.sector).where(
        Skill.tenant_id == tenant.id).order_by(Skill.code)))
    institution = HostInstitution(tenant_id=tenant.id, name="Bench Ministry of Everything",
                                  kind="ministry", sectors=sectors, city="Khartoum",
                                  status="approved")
    db.add(institution)
    await db.flush()
    today = date.today()
    requests = []
    for number in range(1, n + 1):
        sector = sectors[(number - 1) % len(sectors)]  # every sector, in turn
        city = rng.choice(CITIES)
        own = [s for s, code in skills if code == sector]
        others = [s for s, code in skills if code != sector]
        rng.shuffle(own)
        rng.shuffle(others)
        pool = own + others  # the sector's skills first
        required = pool[:rng.randint(1, 4)]
        desired = pool[len(required):len(required) + rng.randint(0, 2)]
        languages, left = [], list(LANGUAGES)
        for _ in range(rng.choice((0, 1, 1, 1, 2))):  # by weight, without repeating
            languages.append(rng.choices(left, weights=[w for *_rest, w in left])[0])
            left.remove(languages[-1])
        earliest = today + timedelta(days=rng.randint(10, 120))
        request = AssignmentRequest(
            tenant_id=tenant.id, institution_id=institution.id, number=number, status="open",
            title=rng.choice(TITLES.get(sector, ["Expert support"])).format(
                city=city or "Khartoum"),
            objectives="Build the capacity of the institution's staff.",
            tasks="Assess, train, coach, report.", sector=sector,
            min_years_experience=rng.choice((None, 3, 5, 8, 10, 15)),
            modality=rng.choice(("on_site", "on_site", "hybrid", "remote", None)), city=city,
            duration_weeks=rng.randint(2, 12), earliest_start=earliest,
            latest_start=earliest + timedelta(days=rng.randint(0, 60)),
            experts_wanted=rng.choice((1, 1, 2, 3)), priority="normal")
        db.add(request)
        await db.flush()
        db.add_all([RequestSkill(tenant_id=tenant.id, request_id=request.id, skill_id=s,
                                 required=True) for s in required])
        db.add_all([RequestSkill(tenant_id=tenant.id, request_id=request.id, skill_id=s,
                                 required=False) for s in desired])
        db.add_all([RequestLanguage(tenant_id=tenant.id, request_id=request.id, language=code,
                                    min_level=rng.choice(levels))
                    for code, levels, _weight in languages])
        requests.append(request.id)
    await db.commit()
    return requests


# --- the run -------------------------------------------------------------------------------------

async def run(experts: int, n_requests: int, backend_kind: str, rounds: int, workers: int,
              seed: int, freeze_gc: bool) -> None:
    out: list[str] = []
    started = time.perf_counter()
    async with scratch_database("matching") as scratch:
        settings, urls, factory = scratch.settings, scratch.urls, scratch.factory
        tenant, version, external = scratch.tenant, scratch.server_version, scratch.external
        backend = open_backend(backend_kind, scratch.directory / "search", settings.meili_url,
                               settings.meili_key, index_prefix=f"bench_{os.getpid()}_")
        try:
            setup = time.perf_counter() - started

            # 1. the registry
            generated = await generate_experts(urls.app, tenant, experts, seed=seed,
                                               workers=workers,
                                               password_hash=demo_password_hash())
            with tenant_scope(tenant):
                async with factory() as db:
                    # COPY leaves no outbox rows; drop any, the reindex covers everything.
                    outbox = (await db.execute(delete(SearchOutbox).where(
                        SearchOutbox.tenant_id == tenant.id))).rowcount
                    matchable = await db.scalar(select(func.count()).select_from(ExpertProfile)
                                                .where(ExpertProfile.status == "verified",
                                                       ExpertProfile.id.in_(select(
                                                           ExpertConsent.profile_id).where(
                                                           ExpertConsent.purpose == "matching",
                                                           ExpertConsent.withdrawn_at.is_(
                                                               None)))))
                    await db.commit()
            mem_generated = memory()

            # 2. the index
            await ensure_indexes(backend)
            started = time.perf_counter()
            indexed = await reindex(factory, backend, tenant)
            build = time.perf_counter() - started
            mem_indexed = memory()
            on_disk = directory_size(scratch.directory / "search") \
                if backend_kind == "embedded" else 0

            # 3. the requests
            rng = random.Random(seed)
            with tenant_scope(tenant):
                async with factory() as db:
                    request_ids = await make_requests(db, tenant, rng, n_requests)
                    skill_rows = await db.scalar(select(func.count()).select_from(RequestSkill))
                    wanted = dict((await db.execute(
                        select(RequestLanguage.language, func.count())
                        .group_by(RequestLanguage.language).order_by(func.count().desc()))).all())
                    await db.execute(delete(SearchOutbox).where(
                        SearchOutbox.tenant_id == tenant.id))
                    await db.commit()
                    queries = {}
                    for rid in request_ids:  # what find_candidates will ask the engine
                        request = await db.get(AssignmentRequest, rid)
                        facts, _names, words = await matching.request_facts(db, tenant, request,
                                                                            "en")
                        _weights, margins = await matching.matching_settings(db, tenant)
                        queries[rid] = match_query(facts, words, MatchFilters(), margins)

            # 4. matching
            sections = Sections()
            timed_backend = sections.backend(backend)
            originals = sections.install()
            full, raw, database, engine_time, rest, explaining = [], [], [], [], [], []
            totals, shown, sorted_by_score, fallbacks = [], [], True, 0
            tid = str(tenant.id)
            gc_full, gc_raw = [], []
            tracked = len(gc.get_objects())
            if freeze_gc:  # as the portal does once started: older objects are never
                settle_after_start()  # scanned, the young collected less often
            collections = Collections()
            gc.callbacks.append(collections)
            try:
                with tenant_scope(tenant):
                    schedule = [(0, rid) for rid in request_ids[:WARM_UP]] + \
                        [(r, rid) for r in range(1, rounds + 1) for rid in request_ids]
                    async def full_match(rid):
                        async with factory() as db:
                            request = await db.get(AssignmentRequest, rid)  # as the page does
                            sections.take()
                            forget_highlights()
                            g0 = collections.total
                            t0 = time.perf_counter()
                            matches = await find_candidates(db, tenant, timed_backend, request,
                                                            MatchFilters(), "en", limit=LIMIT)
                            t1 = time.perf_counter()
                            explained = [c.explanation(matches.skill_names)
                                         for c in matches.candidates]
                            t2 = time.perf_counter()
                            g1 = collections.total
                        return matches, explained, t2 - t0, t2 - t1, g1 - g0

                    async def raw_query(rid):
                        forget_highlights()
                        g0 = collections.total
                        t0 = time.perf_counter()
                        await backend.search(EXPERTS, tid, queries[rid])
                        t1 = time.perf_counter()
                        return t1 - t0, collections.total - g0

                    for round_, rid in schedule:
                        # Taking turns at going first: whichever runs second finds the
                        # engine's caches warm for that query.
                        if round_ % 2:
                            raw_seconds, raw_gc = await raw_query(rid)
                            matches, explained, seconds, explain_seconds, full_gc = \
                                await full_match(rid)
                            in_db, in_engine = sections.take()
                        else:
                            matches, explained, seconds, explain_seconds, full_gc = \
                                await full_match(rid)
                            in_db, in_engine = sections.take()
                            raw_seconds, raw_gc = await raw_query(rid)
                        if not round_:
                            continue  # warm-up
                        full.append(seconds)
                        raw.append(raw_seconds)
                        gc_full.append(full_gc)
                        gc_raw.append(raw_gc)
                        database.append(in_db)
                        engine_time.append(in_engine)
                        explaining.append(explain_seconds)
                        rest.append(seconds - explain_seconds - in_db - in_engine)
                        if round_ == 1:
                            totals.append(matches.total)
                            shown.append(len(explained))
                            scores = [c.score.total for c in matches.candidates]
                            sorted_by_score &= scores == sorted(scores, reverse=True)
                        fallbacks += not matches.from_engine
            finally:
                gc.callbacks.remove(collections)
                matching.request_and_settings, matching.request_facts, \
                    matching.matching_settings = originals
            mem_matched = memory()
        finally:
            await backend.close()

    n = len(full)
    mean = lambda values: sum(values) / len(values)  # noqa: E731
    out += [
        f"Matching benchmark — {version.split(',')[0]}, "
        f"{'external server' if external else 'embedded pgserver'}, {backend_kind} search "
        f"backend, {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f}), "
        f"Python {platform.python_version()}",
        f"  (server start, migrations and provisioning: {setup:.1f} s, not counted)",
        f"  registry: {generated.experts:,} experts generated in {generated.seconds:.1f} s "
        f"({generated.total_rows:,} rows); {matchable:,} verified with an active matching "
        f"consent; {outbox} outbox rows",
        f"  memory after generating: {mem_generated}",
        f"  index build (reindex, documents built from PostgreSQL): {indexed:,} documents in "
        f"{build:.1f} s = {indexed / build:,.0f} docs/s"
        + (f", {on_disk / 2**20:,.0f} MB on disk" if on_disk else ""),
        f"  memory after building the index: {mem_indexed}",
        f"  requests: {n_requests} open ({skill_rows} skill rows; languages required: "
        f"{', '.join(f'{k} {v}' for k, v in wanted.items()) or 'none'}), {WARM_UP} warm-up matches, then {rounds} rounds = {n} timed matches each",
        f"  candidates passing the hard filters: mean {mean(totals):,.0f} "
        f"(min {min(totals):,}, max {max(totals):,}, {totals.count(0)} requests with none); shown {mean(shown):.1f} of "
        f"limit {LIMIT}; engine pool {matching.CANDIDATE_POOL}; ranked by score: "
        f"{'yes' if sorted_by_score else 'NO'}"
        + (f"; {fallbacks} matches answered by PostgreSQL, the engine failed" if fallbacks
           else ""),
        f"  full match (find_candidates + {LIMIT} explanations): {stats(full)}",
        f"  raw engine query (same SearchQuery):               {stats(raw)}",
        f"  full / raw: p50 {pct(full, 50) / pct(raw, 50):.2f}x, "
        f"p95 {pct(full, 95) / pct(raw, 95):.2f}x, mean {mean(full) / mean(raw):.2f}x",
        f"  full match breakdown (mean): PostgreSQL (request_and_settings) "
        f"{mean(database) * 1000:.2f} ms, engine {mean(engine_time) * 1000:.2f} ms, "
        f"scoring + sorting {mean(rest) * 1000:.2f} ms, explanations "
        f"{mean(explaining) * 1000:.2f} ms",
        f"  garbage collector during matching: "
        f"{tracked:,} objects tracked at the start{' (then frozen)' * freeze_gc}, thresholds {gc.get_threshold()}; over {len(schedule) * 2} calls (warm-up, "
        f"full and raw): {collections.line(len(schedule) * 2)}",
        f"    full match without its GC pauses: "
        f"{stats([f - g for f, g in zip(full, gc_full, strict=True)])}",
        f"    raw query without its GC pauses:  "
        f"{stats([r - g for r, g in zip(raw, gc_raw, strict=True)])}",
        f"  memory after matching: {mem_matched}",
        f"  {TARGET}",
    ]
    print("\n".join(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--backend", choices=("embedded", "meilisearch"), default="embedded",
                        help="meilisearch: the server in MEILI_URL (MEILI_KEY)")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the requests")
    parser.add_argument("--workers", type=int, default=2, help="generate_experts connections")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-freeze-gc", dest="freeze_gc", action="store_false",
                        help="skip app.core.collector.settle_after_start() before matching "
                             "(gc.freeze() and a higher young threshold: the portal calls it "
                             "once started, app.main)")
    args = parser.parse_args()
    asyncio.run(run(args.experts, args.requests, args.backend, args.rounds, args.workers,
                    args.seed, args.freeze_gc))


if __name__ == "__main__":
    main()
