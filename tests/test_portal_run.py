"""`portal run` on the embedded defaults, as the README's first command uses it: it creates
the database, seeds both missions, serves, stops the embedded PostgreSQL on SIGTERM, and a
second run reuses the same data. `portal run --workers 2`: two web processes on one port
and one job worker; what the worker writes to the embedded index, both processes find."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import psutil
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_running(data_dir) -> bool:
    return any(p.info["name"] == "postgres" and str(data_dir) in " ".join(p.info["cmdline"] or [])
               for p in psutil.process_iter(["name", "cmdline"]))


class Portal:
    """`portal run` in a subprocess. Its output is read as it comes: uvicorn says "Uvicorn
    running on ..." once it listens, which is the moment to start (no polling)."""

    READY = "Uvicorn running on"

    def __init__(self, var_dir, debug: bool = False, args: tuple[str, ...] = (),
                 extra_env: dict[str, str] | None = None):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "TEST_DATABASE_URL", "DATABASE_NAME", "DOCUMENTS_DIR")}
        env.update(extra_env or {})
        env["PORTAL_VAR_DIR"] = str(var_dir)
        env["PORTAL_DEBUG"] = "1" if debug else "0"
        env["PYTHONUNBUFFERED"] = "1"
        self.env = env
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "run", "--port", str(self.port), *args], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        self.url = f"http://127.0.0.1:{self.port}"
        self.lines: list[str] = []
        self.ready = threading.Event()  # set when it listens, or when its output ends
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)
            if self.READY in line:
                self.ready.set()
        self.ready.set()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, times: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.output.count(text) < times:
            assert time.monotonic() < deadline and self.proc.poll() is None, \
                f"{text!r} not seen {times} times:\n{self.output}"
            time.sleep(0.2)

    def wait_ready(self, timeout=60.0) -> None:
        assert self.ready.wait(timeout), f"portal run did not listen within {timeout} s:\n{self.output}"
        assert self.proc.poll() is None, f"portal run exited early:\n{self.output}"
        assert httpx.get(self.url + "/healthz", timeout=10).status_code == 200, self.output

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.reader.join(timeout=10)
        return self.output


def test_run_seeds_serves_stops_and_reuses(tmp_path):
    data_dir = tmp_path / "pgdata"
    first = Portal(tmp_path)
    try:
        first.wait_ready()
        landing = httpx.get(first.url + "/")
        assert "Sudan" in landing.text and "Mozambique" in landing.text
        assert httpx.get(first.url + "/sudan/").status_code == 200
        # A CLI command beside the running portal shares the embedded server.
        created = subprocess.run(
            [sys.executable, "-m", "app.cli", "tenants", "create", "somalia", "--name", "Somalia",
             "--country", "SO", "--locales", "en", "--time-zone", "Africa/Mogadishu"],
            env=first.env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert created.returncode == 0, created.stderr
    finally:
        out = first.stop()
    assert first.proc.returncode == 0, out
    assert "Empty database: seeding demo data" in out
    assert "Diaspora Bridge stopped." in out
    assert "Starting worker on all queues" in out  # the in-process job worker (app.jobs)
    assert "Traceback" not in out, out
    assert not postgres_running(data_dir), "the embedded PostgreSQL outlived portal run"

    # An upgrade that changes the experts' searchable fields (as migration 0033 did): the
    # embedded index is refilled before serving, not left empty until someone reindexes.
    fingerprint = tmp_path / "search" / "experts" / "settings.json"
    assert fingerprint.exists()
    fingerprint.write_text(fingerprint.read_text().replace('"summary"', '"resume"'))
    second = Portal(tmp_path)
    try:
        second.wait_ready()
        assert "Somalia" in httpx.get(second.url + "/").text  # data persisted
    finally:
        out = second.stop()
    assert "seeding" not in out  # not empty any more: no second seed
    assert "Building the search index from the database." in out
    assert '"resume"' not in fingerprint.read_text()
    assert second.proc.returncode == 0
    assert not postgres_running(data_dir)


DEMO_PASSWORD = "bridge demo 2026"
WORD = "quokkamarine"  # in no demo profile


def pinned_client(portal: Portal, cookies: httpx.Cookies) -> httpx.Client:
    """One keep-alive connection: every request of this client reaches the same process."""
    return httpx.Client(base_url=portal.url, cookies=cookies, timeout=20,
                        limits=httpx.Limits(max_connections=1))


def test_two_web_processes_one_worker_and_the_index_in_both(tmp_path):
    portal = Portal(tmp_path, debug=True, args=("--workers", "2"))
    try:
        # The parent binds the port; each web process listens once its app has started.
        portal.wait_for("Application startup complete.", 2, timeout=180)
        portal.wait_ready()
        assert "with 2 web processes" in portal.output

        # A staff member imports one expert through the pages; the job worker runs the
        # import and then writes the embedded index.
        cookies = httpx.Cookies()
        with pinned_client(portal, cookies) as client:
            client.get("/sudan/sign-in")
            signed = client.post("/sudan/sign-in", data={
                "email": "officer@sudan.demo", "password": DEMO_PASSWORD,
                "_csrf_token": client.cookies["csrftoken"]})
            assert signed.status_code == 303, signed.text
            roster = ("external_ref,full_name,email,summary\n"
                      f"MP-1,Nadia Multiprocess,nadia.mp@example.org,Expert in {WORD} systems\n")
            client.get("/sudan/imports")
            token = client.cookies["csrftoken"]
            uploaded = client.post("/sudan/imports", headers={"X-CSRFToken": token},
                                   data={"kind": "experts", "status_experts": "verified",
                                         "_csrf_token": token},
                                   files={"file": ("roster.csv", roster.encode(), "text/csv")})
            assert uploaded.status_code == 303, uploaded.text
            batch = uploaded.headers["location"]
            checked_by = time.monotonic() + 60  # the worker reads and checks the file
            while "HX-Refresh" not in client.get(batch + "/progress?was=checking").headers:
                assert time.monotonic() < checked_by, portal.output
                time.sleep(0.2)
            started = client.post(batch + "/run", data={"_csrf_token": token})
            assert started.status_code == 303, started.text
            cookies = client.cookies  # the signed-in session, for the next connections

        # Each web process (a new connection lands on either; its keep-alive stays there)
        # finds the new expert once the worker committed.
        found: dict[int, bool] = {}
        deadline = time.monotonic() + 90
        while len(found) < 2 or not all(found.values()):
            assert time.monotonic() < deadline, f"searchable in {found}:\n{portal.output}"
            with pinned_client(portal, cookies) as client:
                pid = client.get("/healthz").json()["process"]
                if not found.get(pid):
                    page = client.get("/sudan/search", params={"q": WORD})
                    assert page.status_code == 200
                    found[pid] = "Nadia Multiprocess" in page.text
            if not all(found.values()):
                time.sleep(0.3)
        assert len(found) == 2
        assert portal.proc.pid not in found  # the parent serves no request itself
    finally:
        out = portal.stop()
    assert portal.proc.returncode == 0, out
    assert out.count("Starting worker on all queues") == 1, out  # one job worker, not per process
    assert "Diaspora Bridge stopped." in out
    assert "Traceback" not in out, out
    assert not postgres_running(tmp_path / "pgdata"), "the embedded PostgreSQL outlived portal run"


def test_workers_option_and_environment(monkeypatch):
    """PORTAL_WORKERS is read into the settings (`--workers` overrides it), and the web
    processes' factory refuses to start outside `portal run`, which hands them the database."""
    from click.testing import CliRunner

    from app.cli import main
    from app.config import load_settings
    from app.main import APP_DATABASE_URL_ENV, create_app_from_env

    monkeypatch.setenv("PORTAL_WORKERS", "3")
    assert load_settings().web_workers == 3
    monkeypatch.delenv("PORTAL_WORKERS")
    assert load_settings().web_workers == 1
    assert "--workers" in CliRunner().invoke(main, ["run", "--help"]).output
    monkeypatch.delenv(APP_DATABASE_URL_ENV, raising=False)
    with pytest.raises(RuntimeError, match="portal run --workers"):
        create_app_from_env()
