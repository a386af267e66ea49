"""The portal under load, over HTTP on 127.0.0.1, with 1 and then 2 web processes.

What it does (printed figures, never a pass/fail test):
1. A throw-away installation (embedded PostgreSQL in a temporary folder, or a database of
   its own on DATABASE_URL's server): the demo missions, Sudan grown to --experts experts
   with bench/expert_generator.py (default 20,000; --experts 100000 for the full figure).
2. `portal run --workers W` for W = 1, then 2; the demo programme officer signs in.
3. The page mix an officer and the public make: the registry list with filters, an
   expert's profile, the request queue, a request's page, the matching workspace, one
   row's reasons (fetched by htmx when the row is opened), search as you type (the htmx
   keystroke: only the results block) and a public mission page.
   - at rest: each page requested one at a time (p50, the yardstick of the p95 below, and
     the CPU per request of the web processes and of PostgreSQL);
   - closed loop with wrk (Debian's `wrk`): the highest throughput of the mix, and of the
     registry page alone;
   - open loop, an asyncio client sending --rate requests/s (default 100) whatever the
     answers' speed, as many users with think time would: p50/p95/p99 and errors per page,
     latency counted from when each request was due;
   - the resident memory of each web process at the end of the load and 2 s later, once
     quiet (when a process gives back what the load freed: app/web/memory.py), all of it
     (Rss, comparable with earlier figures) and its anonymous part (the rest is mapped
     files: shared libraries and the search index's pages); the load client's own CPU,
     and during the open loop the CPU of the web processes, of PostgreSQL and of everything
     else on the machine (the job worker, autovacuum, other work).
4. The baseline, once: a bare Litestar handler rendering the same registry template with
   the same context (captured from one real request of the registry page), served by one
   uvicorn process, under the same wrk run: the registry page's throughput as a ratio of it.

    .venv/bin/python bench/load.py [--experts 20000] [--rate 100] [--seconds 10]

The machine is shared: the load average is printed with the figures, and every run is
bounded (each wrk run and each open-loop run lasts --seconds; the whole about 3 minutes
plus the seeding).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import psutil  # noqa: E402

from app.web.memory import QUIET_SECONDS  # noqa: E402

HOST = "127.0.0.1"
OFFICER = "officer@sudan.demo"


@dataclass
class Page:
    name: str
    path: str
    weight: int
    signed_in: bool = True
    headers: dict[str, str] = field(default_factory=dict)


# --- the installation -----------------------------------------------------------------------

def environment(var: Path) -> dict[str, str]:
    env = {**os.environ, "PORTAL_VAR_DIR": str(var), "SEARCH_BACKEND": "embedded",
           "PORTAL_DEBUG": "", "PYTHONUNBUFFERED": "1"}
    for name in ("SEARCH_DIR", "DOCUMENTS_DIR", "PORTAL_WORKERS", "MEILI_URL"):
        env.pop(name, None)
    if env.get("TEST_DATABASE_URL") and not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = env["TEST_DATABASE_URL"]
    if env.get("DATABASE_URL"):  # a database of its own on that server
        env["DATABASE_NAME"] = f"bench_load_{os.getpid()}"
    return env


async def install(env: dict[str, str], experts: int) -> str:
    """The demo, Sudan grown to `experts` experts; returns the runtime role's URL."""
    os.environ.update(env)
    import asyncpg
    from sqlalchemy import func, select

    from app.cli import prepare_database
    from app.config import get_settings
    from app.db.server import asyncpg_dsn
    from app.db.session import create_engine, create_session_factory
    from app.demo import seed_demo
    from app.experts.models import ExpertProfile
    from tenants.context import tenant_scope
    from tenants.provisioning import get_tenant_by_slug, to_context

    from expert_generator import generate_experts

    urls = await prepare_database()
    engine = create_engine(urls.app)
    try:
        factory = create_session_factory(engine)
        await seed_demo(factory, get_settings())
        async with factory() as db:
            tenant = await get_tenant_by_slug(db, "sudan")
        assert tenant is not None
        sudan = to_context(tenant)
        with tenant_scope(sudan):
            async with factory() as db:
                have = await db.scalar(select(func.count()).select_from(ExpertProfile)) or 0
        if experts > have:
            started = time.perf_counter()
            await generate_experts(urls.app, sudan, experts - have, seed=17)
            print(f"  {experts - have:,} experts generated in {time.perf_counter() - started:.0f} s")
            # Measure the steady state: autovacuum would gather the planner's statistics
            # within a minute or so; right after a bulk load they say the tables are empty
            # and every page query plans as if (the registry page ran 4x slower).
            owner = await asyncpg.connect(asyncpg_dsn(urls.owner))
            try:
                await owner.execute("VACUUM ANALYZE")
            finally:
                await owner.close()
    finally:
        await engine.dispose()
    return urls.app.render_as_string(hide_password=False)


class Portal:
    """`portal run --workers N` in a subprocess, until stopped."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log: Path) -> None:
        self.port, self.workers = port, workers
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "run", "--host", HOST, "--port", str(port),
             "--workers", str(workers)], env=env, stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, cwd=Path(__file__).resolve().parent.parent)

    def wait_ready(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"portal run stopped: see {self.log.name}")
            try:
                if httpx.get(f"http://{HOST}:{self.port}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"portal run did not answer within {timeout:.0f} s")

    def web_processes(self) -> list[tuple[str, psutil.Process]]:
        parent = psutil.Process(self.process.pid)
        if self.workers == 1:
            return [("web + job worker", parent)]
        children = [c for c in parent.children()
                    if "resource_tracker" not in " ".join(c.cmdline())]
        return [(f"web {i + 1}", c) for i, c in enumerate(children)]

    def parent_rss(self) -> int:
        return psutil.Process(self.process.pid).memory_info().rss

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def sign_in(base: str) -> str:
    """The officer's cookies, as a Cookie header (the session cookie is Secure outside
    debug, so it is read from the answer rather than kept by a cookie jar)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        form = client.get("/sudan/sign-in")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
        assert token, "no CSRF token on the sign-in page"
        csrf = form.cookies.get("csrftoken") or ""
        answer = client.post("/sudan/sign-in", headers={"Cookie": f"csrftoken={csrf}"},
                             data={"_csrf_token": token.group(1), "email": OFFICER,
                                   "password": "bridge demo 2026"})
        assert answer.status_code in (302, 303), f"sign-in answered {answer.status_code}"
        session = answer.cookies.get("session")
        assert session, "no session cookie after signing in"
        return f"csrftoken={csrf}; session={session}"


def the_mix(base: str, cookie: str) -> list[Page]:
    """The pages, with real ids of the installation."""
    headers = {"Cookie": cookie}
    registry = httpx.get(f"{base}/sudan/experts?status=verified&sort=name", headers=headers)
    profile = re.search(r'href="/sudan/experts/([0-9a-f-]{36})"', registry.text)
    queue = httpx.get(f"{base}/sudan/requests?state=open", headers=headers)
    request = re.search(r'href="/sudan/requests/([0-9a-f-]{36})"', queue.text)
    assert profile and request, "the registry or the queue lists nothing"
    sector = re.search(r'<option value="([a-z_]+)"[^>]*>[^<]*</option>', registry.text.split(
        'name="sector"', 1)[1])
    keystroke = {"HX-Request": "true", "HX-Target": "search-results"}
    workspace = f"/sudan/requests/{request.group(1)}/matches"
    # A row's reasons, fetched by htmx when the officer opens it (commits before the
    # workspace fetched them on opening rendered every row's, and have no such link).
    reasons = re.search(r'hx-get="(/sudan/requests/[0-9a-f-]{36}/matches/[0-9a-f-]{36})"',
                        httpx.get(f"{base}{workspace}", headers=headers).text)
    return [
        Page("registry list, filtered",
             f"/sudan/experts?status=verified&sector={sector.group(1) if sector else ''}"
             "&language=en&sort=experience", 3),
        Page("expert profile", f"/sudan/experts/{profile.group(1)}", 3),
        Page("request queue", "/sudan/requests", 1),
        Page("request page", f"/sudan/requests/{request.group(1)}", 1),
        Page("matching workspace", workspace, 1),
        *([Page("a candidate's reasons", reasons.group(1), 1, headers={"HX-Request": "true"})]
          if reasons else []),
        Page("search as you type", "/sudan/search?q=hydro", 3, headers=keystroke),
        Page("public mission page", "/sudan/", 2, signed_in=False),
    ]


def headers_of(page: Page, cookie: str) -> dict[str, str]:
    return {**page.headers, **({"Cookie": cookie} if page.signed_in else {})}


# --- measuring ------------------------------------------------------------------------------

class LightClient:
    """HTTP/1.1 GETs over keep-alive connections of asyncio's own streams, the body read
    but never decoded: the open loop's client shares the machine's 2 cores with the portal,
    and httpx (which decompresses every answer) took half a core at 100 requests/s. It asks
    for compressed answers as browsers do, so the portal's work is the same."""

    def __init__(self, host: str, port: int, most: int = 400) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(most)

    async def get(self, path: str, headers: dict[str, str]) -> int:
        """The answer's status, once its whole body has arrived."""
        async with self.slots:
            if self.idle:
                try:
                    return await self._exchange(*self.idle.pop(), path, headers)
                except (ConnectionError, asyncio.IncompleteReadError):
                    pass  # closed by the server while idle (its keep-alive timeout): again
            return await self._exchange(*await asyncio.open_connection(self.host, self.port),
                                        path, headers)

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        path: str, headers: dict[str, str]) -> int:
        try:
            lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n"
                         f"Accept-Encoding: br, gzip\r\n{lines}\r\n".encode())
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            status = int(head.split(" ", 2)[1])
            length = re.search(r"\r\ncontent-length: *(\d+)", head)
            if length:
                await reader.readexactly(int(length.group(1)))
            elif "transfer-encoding: chunked" in head:
                while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    await reader.readexactly(size + 2)
                await reader.readuntil(b"\r\n")
        except BaseException:
            writer.close()
            raise
        if "connection: close" in head:
            writer.close()
        else:
            self.idle.append((reader, writer))
        return status

    def close(self) -> None:
        for _reader, writer in self.idle:
            writer.close()


def at_rest(port: int, pages: list[Page], cookie: str, servers: list[psutil.Process],
            var: Path, n: int = 30) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """Each page's median time, one request at a time (after one warm-up request), by the
    open loop's own client, and its CPU per request (web processes, PostgreSQL): on the
    shared machine the times move with what else runs, the CPU much less."""
    async def measure() -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
        medians, cpu = {}, {}
        client = LightClient(HOST, port)
        try:
            for page in pages:
                times = []
                for i in range(n + 1):
                    if i == 1:
                        web_before = cpu_seconds(servers)
                        db_before = cpu_seconds(database_processes(var))
                    started = time.perf_counter()
                    status = await client.get(page.path, headers_of(page, cookie))
                    if i:
                        times.append(time.perf_counter() - started)
                    assert status == 200, f"{page.name}: {status}"
                medians[page.name] = statistics.median(times)
                # PostgreSQL listed again: a web process's new connection is a new backend
                cpu[page.name] = (spent(web_before, cpu_seconds(servers)) * 1000 / n,
                                  spent(db_before, cpu_seconds(database_processes(var)))
                                  * 1000 / n)
        finally:
            client.close()
        return medians, cpu
    return asyncio.run(measure())


@dataclass
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    bad: int
    cpu_s: float            # wrk's own
    server_cpu_s: float     # the web processes' (or the bare handler's)
    database_cpu_s: float   # the embedded PostgreSQL's
    seconds: int

    def cpu_ms_per_request(self) -> tuple[float, float]:
        """(web, database) CPU per request: unlike the throughput, barely moved by what else
        the shared machine runs."""
        done = max(self.requests_per_s, 1e-9) * self.seconds
        return self.server_cpu_s * 1000 / done, self.database_cpu_s * 1000 / done


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    """User and system CPU seconds of each process so far, by pid."""
    spent = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        spent[process.pid] = times.user + times.system
    return spent


def database_processes(var: Path) -> list[psutil.Process]:
    """The embedded PostgreSQL's processes (none on DATABASE_URL's server, which may be
    another machine)."""
    pid_file = var / "pgdata" / "postmaster.pid"
    if not pid_file.exists():
        return []
    postmaster = psutil.Process(int(pid_file.read_text().split()[0]))
    return [postmaster, *postmaster.children()]


def wrk(base: str, requests: list[tuple[str, dict[str, str], int]], seconds: int,
        connections: int, script: Path, servers: list[psutil.Process], var: Path) -> WrkResult:
    """wrk over the weighted list of requests, cycled in the same order by every thread;
    with the CPU the servers and the database spent meanwhile (a database connection opened
    during the run counts from its start, one closed during it is missed)."""
    lines = []
    for path, headers, weight in requests:
        lua_headers = ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items())
        lines += [f'  table.insert(reqs, wrk.format("GET", "{path}", {{{lua_headers}}}))'] * weight
    # Built in init: wrk.format needs the Host header wrk sets up before it.
    script.write_text("local reqs = {}\ninit = function(args)\n" + "\n".join(lines)
                      + "\nend\nlocal i = 0\n"
                      "request = function()\n  i = i % #reqs + 1\n  return reqs[i]\nend\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    servers_before, database_before = cpu_seconds(servers), cpu_seconds(database_processes(var))
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "--timeout", "10s", "-s", str(script), base],
                         capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    servers_after, database_after = cpu_seconds(servers), cpu_seconds(database_processes(var))

    def latency(label: str) -> float:
        found = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not found:
            return float("nan")
        return float(found.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[found.group(2)]

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=latency("50"), p99_ms=latency("99"),
        bad=(int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0),
        cpu_s=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        server_cpu_s=spent(servers_before, servers_after),
        database_cpu_s=spent(database_before, database_after), seconds=seconds)


class CpuWatch:
    """CPU seconds spent while it is open by the web processes, the embedded PostgreSQL and
    the whole machine: on 2 shared cores an open-loop window's latencies say little without
    what else ran meanwhile (the job worker, autovacuum, other work on the machine)."""

    def __init__(self, servers: list[psutil.Process], var: Path) -> None:
        self.servers, self.var = servers, var

    def __enter__(self) -> CpuWatch:
        self.started = time.perf_counter()
        self.web = cpu_seconds(self.servers)
        self.database = cpu_seconds(database_processes(self.var))
        self.machine = machine_busy_seconds()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started
        self.web_s = spent(self.web, cpu_seconds(self.servers))
        self.database_s = spent(self.database, cpu_seconds(database_processes(self.var)))
        self.machine_s = machine_busy_seconds() - self.machine

    def shares(self) -> str:
        """Each part's CPU as a share of one core, over the window."""
        other = max(0.0, self.machine_s - self.web_s - self.database_s)
        return (f"web {self.web_s / self.seconds:.0%}, PostgreSQL "
                f"{self.database_s / self.seconds:.0%}, everything else on the machine "
                f"(this client included) {other / self.seconds:.0%} of a core "
                f"({psutil.cpu_count()} cores)")


def resident(pid: int) -> dict[str, int]:
    """A process's resident memory in bytes, from /proc/PID/smaps_rollup: all of it (Rss,
    what `ps` and the earlier figures show) and its anonymous part (the process's own heap:
    Python objects, the allocator's arenas). The rest is pages of mapped files (the shared
    libraries and the embedded search index's segments, which the kernel may drop and read
    again, and shares with every process mapping them)."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        fields[key] = int(value.split()[0]) * 1024
    return {"rss": fields["Rss"], "anonymous": fields["Anonymous"]}


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two cpu_seconds() readings (a process started between them
    counts from its start)."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent not idle (all cores, all processes)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


async def open_loop(port: int, pages: list[Page], cookie: str, rate: float,
                    seconds: int) -> tuple[dict[str, list[float]], dict[str, int], float]:
    """Requests sent at a fixed rate whatever the answers' speed; each one's time counts
    from when it was due, so a slow server is not flattered by a waiting client."""
    order = [p for p in pages for _ in range(p.weight)]
    times: dict[str, list[float]] = {p.name: [] for p in pages}
    errors: dict[str, int] = dict.fromkeys(times, 0)
    client = LightClient(HOST, port)

    async def one(page: Page, due: float) -> None:
        try:
            status = await asyncio.wait_for(client.get(page.path, headers_of(page, cookie)), 15)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError):
            errors[page.name] += 1
            return
        if status != 200:
            errors[page.name] += 1
            return
        times[page.name].append(time.perf_counter() - due)

    cpu, start = time.process_time(), time.perf_counter()
    tasks = []
    try:
        for i in range(int(rate * seconds)):
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(order[i % len(order)], due)))
        await asyncio.gather(*tasks)
    finally:
        client.close()
    cpu_share = (time.process_time() - cpu) / (time.perf_counter() - start)
    return times, errors, cpu_share


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# --- the baseline: the same template, no portal around it -----------------------------------

def serve_baseline(port: int, cookie: str, path: str) -> None:
    """(Run as a subprocess.) Capture the registry page's template and context from one real
    request of `path`, then serve them with a bare Litestar handler in one uvicorn process."""
    import logging

    import uvicorn
    from litestar import Litestar, get
    from litestar.plugins.jinja import JinjaTemplateEngine
    from litestar.response import Template
    from litestar.template.config import TemplateConfig
    from litestar.testing import TestClient

    import app.experts.staff_controllers as registry_controllers
    from app.core.templates import environment as portal_environment
    from app.i18n import set_locale
    from app.main import create_app_from_env

    captured: dict = {}
    real_page = registry_controllers.page

    def capturing_page(request, template, **kwargs):
        answer = real_page(request, template, **kwargs)
        captured.update(template=template, context=dict(answer.context))
        return answer

    registry_controllers.page = capturing_page  # type: ignore[assignment]
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with TestClient(app=create_app_from_env(), base_url=f"http://{HOST}") as client:
        answer = client.get(path, headers={"Cookie": cookie})
        assert answer.status_code == 200 and captured, answer.status_code
    locale = captured["context"]["locale"]

    @get("/sudan/experts", sync_to_thread=False, signature_namespace={"Template": Template})
    def registry_template() -> Template:
        set_locale(locale)
        return Template(template_name=captured["template"], context=captured["context"])

    bare = Litestar([registry_template], template_config=TemplateConfig(
        instance=JinjaTemplateEngine.from_environment(portal_environment())))
    uvicorn.run(bare, host=HOST, port=port, log_level="warning")


# --- the run --------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--experts", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=100.0, help="open-loop requests/s")
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run")
    parser.add_argument("--connections", type=int, default=32, help="wrk's connections")
    parser.add_argument("--port", type=int, default=8140, help="the portal's (and +1: the "
                        "baseline's) port on 127.0.0.1")
    parser.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.port, os.environ["BENCH_COOKIE"], os.environ["BENCH_PATH"])
        return
    if subprocess.run(["which", "wrk"], capture_output=True).returncode:
        sys.exit("wrk is missing: apt-get install wrk (see bench/README.md)")

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        var = Path(tmp)
        env = environment(var)
        pg = None
        if not env.get("DATABASE_URL"):
            import pgserver  # kept running by this process for the portal runs to join
            pg = pgserver.get_server(var / "pgdata", cleanup_mode="stop")
        try:
            run(args, env, var)
        finally:
            if pg is not None:
                pg.cleanup()
            if env.get("DATABASE_URL"):
                asyncio.run(drop_database(env))


async def drop_database(env: dict[str, str]) -> None:
    from app.db import server

    await server.drop_database(server.to_asyncpg_url(env["DATABASE_URL"]), env["DATABASE_NAME"])


def run(args, env: dict[str, str], var: Path) -> None:
    print(f"Installing: demo missions, Sudan grown to {args.experts:,} experts ...")
    app_url = asyncio.run(install(env, args.experts))
    base = f"http://{HOST}:{args.port}"
    script = var / "mix.lua"
    results: dict[int, dict] = {}
    baseline = None
    for workers in (1, 2):
        portal = Portal(env, args.port, workers, var / f"portal-{workers}.log")
        try:
            started = time.perf_counter()
            portal.wait_ready()
            print(f"\n== {workers} web process{'es' if workers > 1 else ''} "
                  f"(ready in {time.perf_counter() - started:.0f} s) ==")
            cookie = sign_in(base)
            pages = the_mix(base, cookie)
            servers = [p for _, p in portal.web_processes()]
            rest, rest_cpu = at_rest(args.port, pages, cookie, servers, var)
            mix = wrk(base, [(p.path, headers_of(p, cookie), p.weight) for p in pages],
                      args.seconds, args.connections, script, servers, var)
            registry = wrk(base, [(pages[0].path, headers_of(pages[0], cookie), 1)],
                           args.seconds, args.connections, script, servers, var)
            with CpuWatch(servers, var) as watch:
                times, errors, cpu_share = asyncio.run(open_loop(args.port, pages, cookie,
                                                                 args.rate, args.seconds))
            memory = [(name, resident(p.pid)) for name, p in portal.web_processes()]
            # ... and once the processes have been quiet a moment: they give back what the
            # load freed then (app/web/memory.py)
            time.sleep(QUIET_SECONDS + 1)
            quiet = [(name, resident(p.pid)) for name, p in portal.web_processes()]
            results[workers] = dict(rest=rest, rest_cpu=rest_cpu, mix=mix, registry=registry, times=times,
                                    errors=errors, cpu=cpu_share, memory=memory, quiet=quiet,
                                    open_loop_cpu=watch.shares())
            report(workers, pages, results[workers], args)
            if baseline is None:
                baseline = measure_baseline(args, env, app_url, cookie, pages[0], script, var)
        finally:
            portal.stop()
    assert baseline is not None
    print("\n== baseline: a bare Litestar handler rendering the registry page's template with "
          "the context of one real request of it, 1 uvicorn process ==")
    bare_cpu = baseline.cpu_ms_per_request()[0]
    print(f"  wrk {args.connections} connections: {baseline.requests_per_s:,.0f} req/s "
          f"(p50 {baseline.p50_ms:.1f} ms, p99 {baseline.p99_ms:.1f} ms, "
          f"wrk CPU {baseline.cpu_s / args.seconds:.0%} of a core; "
          f"CPU per request {bare_cpu:.1f} ms)")
    for workers, result in results.items():
        web, database = result["registry"].cpu_ms_per_request()
        print(f"  registry page with {workers} web process(es): "
              f"{result['registry'].requests_per_s / baseline.requests_per_s:.0%} of the "
              f"bare handler's throughput; its CPU per request {web:.1f} ms web + "
              f"{database:.1f} ms PostgreSQL, the bare handler's {bare_cpu:.1f} ms = "
              f"{bare_cpu / (web + database):.0%}")
    print(f"\nuptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


def measure_baseline(args, env: dict[str, str], app_url: str, cookie: str, page: Page,
                     script: Path, var: Path) -> WrkResult:
    from app.main import APP_DATABASE_URL_ENV

    port = args.port + 1
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-baseline", "--port", str(port)],
        env={**env, APP_DATABASE_URL_ENV: app_url, "BENCH_COOKIE": cookie,
             "BENCH_PATH": page.path},
        stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://{HOST}:{port}/sudan/experts", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the baseline server did not start")
            time.sleep(0.3)
        return wrk(f"http://{HOST}:{port}", [(page.path.split("?")[0], {}, 1)], args.seconds,
                   args.connections, script, [psutil.Process(process.pid)], var)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)


def report(workers: int, pages: list[Page], result: dict, args) -> None:
    mix, registry = result["mix"], result["registry"]
    for label, r in (("the mix", mix), (pages[0].name + " alone", registry)):
        web, database = r.cpu_ms_per_request()
        print(f"  closed loop, wrk {args.connections} connections, {label}: "
              f"{r.requests_per_s:,.0f} req/s (p50 {r.p50_ms:.0f} ms, p99 {r.p99_ms:.0f} ms, "
              f"{r.bad} errors; wrk CPU {r.cpu_s / args.seconds:.0%} of a core; CPU per "
              f"request {web:.1f} ms web + {database:.1f} ms PostgreSQL)")
    print(f"  open loop at {args.rate:.0f} req/s for {args.seconds} s "
          f"(client CPU {result['cpu']:.0%} of a core; meanwhile {result['open_loop_cpu']}):")
    print(f"    {'page':<26}{'at rest p50':>12}{'CPU web+pg':>14}{'p50':>9}{'p95':>9}{'p99':>9}"
          f"{'p95/rest':>10}{'errors':>8}")
    for page in pages:
        t = result["times"][page.name]
        rest = result["rest"][page.name]
        web, database = result["rest_cpu"][page.name]
        p95 = percentile(t, 0.95)
        print(f"    {page.name:<26}{rest * 1000:>10.1f}ms{web:>7.1f}+{database:.1f}ms"
              f"{percentile(t, 0.5) * 1000:>7.0f}ms"
              f"{p95 * 1000:>7.0f}ms{percentile(t, 0.99) * 1000:>7.0f}ms"
              f"{p95 / rest:>9.1f}x{result['errors'][page.name]:>8}")
    for when, key in (("at the end of the load", "memory"),
                      (f"{QUIET_SECONDS + 1:.0f} s later, quiet", "quiet")):
        print(f"  resident memory {when}: " + ", ".join(
            f"{name} {m['rss'] / 2**20:.0f} MB (anonymous {m['anonymous'] / 2**20:.0f} MB, "
            f"mapped files {(m['rss'] - m['anonymous']) / 2**20:.0f} MB)"
            for name, m in result[key]))


if __name__ == "__main__":
    main()
