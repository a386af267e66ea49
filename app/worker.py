"""Running workers: `portal worker` (any number, on any machine that reaches the database),
one in-process beside the web server for `portal run`, and bursts in tests."""

from __future__ import annotations

import logging

import procrastinate
from procrastinate.periodic import PeriodicRegistry
from sqlalchemy.engine import URL

from app import tasks  # noqa: F401  (registers the tasks on jobs_app)
from app.db.server import asyncpg_dsn
from app.jobs.queue import jobs_app
from app.tasks import Runtime

log = logging.getLogger(__name__)


def connector(database_url: URL, max_size: int = 4) -> procrastinate.PsycopgConnector:
    """psycopg 3 connections as the runtime role, the same as the web app's (the DSN is
    the same, without SQLAlchemy's '+asyncpg')."""
    return procrastinate.PsycopgConnector(conninfo=asyncpg_dsn(database_url),
                                          min_size=1, max_size=max_size)


async def run_worker(database_url: URL, runtime: Runtime, *, concurrency: int = 1,
                     wait: bool = True, name: str = "portal",
                     install_signal_handlers: bool = False,
                     shutdown_graceful_timeout: float | None = 30.0,
                     periodic: bool = True) -> None:
    """Work the queue as the runtime role until cancelled (or, with wait=False, until no job
    is due). Stopping waits up to shutdown_graceful_timeout for running jobs. Successful
    jobs are deleted (the sweep alone makes thousands a day); failed ones stay, for the jobs
    page. periodic=False leaves the periodic sweep out (tests that run a burst and want only
    the jobs they queued)."""
    registry = jobs_app.periodic_registry
    with jobs_app.replace_connector(connector(database_url, max_size=concurrency + 3)) as app:
        if not periodic:
            app.periodic_registry = PeriodicRegistry()
        try:
            async with app.open_async():
                await app.run_worker_async(
                    name=name, concurrency=concurrency, wait=wait, delete_jobs="successful",
                    install_signal_handlers=install_signal_handlers,
                    # None (wait for ever) is what Worker takes; App's TypedDict says float
                    shutdown_graceful_timeout=shutdown_graceful_timeout,  # type: ignore[arg-type]
                    additional_context={"runtime": runtime},
                    # LISTEN/NOTIFY wakes the worker when a job is deferred; polling is the
                    # fallback (and what runs the retries whose time has come).
                    fetch_job_polling_interval=2.0)
        finally:
            app.periodic_registry = registry
