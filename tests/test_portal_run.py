"""`portal run` on the embedded defaults, as the README's first command uses it: it creates
the database, seeds both missions, serves, stops the embedded PostgreSQL on SIGTERM, and a
second run reuses the same data."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading

import httpx
import psutil


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

    def __init__(self, var_dir, debug: bool = False):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "TEST_DATABASE_URL", "DATABASE_NAME", "DOCUMENTS_DIR")}
        env["PORTAL_VAR_DIR"] = str(var_dir)
        env["PORTAL_DEBUG"] = "1" if debug else "0"
        env["PYTHONUNBUFFERED"] = "1"
        self.env = env
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "run", "--port", str(self.port)], env=env,
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

    second = Portal(tmp_path)
    try:
        second.wait_ready()
        assert "Somalia" in httpx.get(second.url + "/").text  # data persisted
    finally:
        out = second.stop()
    assert "seeding" not in out  # not empty any more: no second seed
    assert second.proc.returncode == 0
    assert not postgres_running(data_dir)
