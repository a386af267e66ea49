"""create_app(): the Litestar application, its plugins, middleware, routes and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar, Request, Router
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncSession

import app.domains  # noqa: F401  (every domain's registrations, before anything runs)
from app.accounts.audit_controllers import audit_trail
from app.accounts.context import RequestContextMiddleware
from app.accounts.controllers import ACCOUNT_ROUTES
from app.accounts.member_controllers import MEMBER_ROUTES
from app.accounts.passwords import dummy_hash
from app.accounts.sso_controllers import SSO_ROUTES
from app.api.admin_controllers import API_TOKEN_ROUTES
from app.api.controllers import API_PREFIX, api_router, openapi_config
from app.assignment_requests.controllers import REQUEST_ROUTES
from app.assignments.controllers import ASSIGNMENT_ROUTES
from app.config import PROJECT_ROOT, Settings, get_settings, resolve_secret_key
from app.core.collector import settle_after_start
from app.core.templates import environment
from app.db.migrate import head_revision
from app.db.session import create_engine, create_session_factory
from app.experts.cv_controllers import CV_ROUTES
from app.experts.me_controllers import ME_ROUTES
from app.experts.sector_controllers import SECTOR_ROUTES
from app.experts.staff_controllers import STAFF_EXPERT_ROUTES
from app.home.controllers import choose_language, dev_mail, healthz, landing, mission_home
from app.imports.controllers import IMPORT_ROUTES
from app.imports.participant_controllers import PARTICIPANT_IMPORT_ROUTES
from app.institutions.controllers import INSTITUTION_ROUTES
from app.jobs.controllers import JOB_ROUTES
from app.matching.controllers import MATCHING_ROUTES
from app.matching.duplicate_controllers import DUPLICATE_ROUTES
from app.matching.participant_controllers import PARTICIPANT_ROUTES
from app.matching.search_controllers import SEARCH_ROUTES
from app.notifications.delivery import transport_for
from app.partners.controllers import PARTNER_ROUTES
from app.platform.controllers import platform_router
from app.reports.controllers import REPORT_ROUTES
from app.search.engine import search_backend
from app.search.sync import ensure_indexes
from app.trainings.controllers import TRAINING_ROUTES
from app.web.context import (
    MISSION_PARAM,
    close_request_session,
    provide_actor,
    provide_tenant,
    request_session,
)
from app.web.errors import EXCEPTION_HANDLERS
from app.web.forms import refuse_control_characters
from app.web.memory import release, release_memory_when_quiet
from app.web.security import security_headers
from search_index import SearchUnavailable
from tenants.directory import MissionDirectory
from tenants.provisioning import active_tenants

log = logging.getLogger(__name__)


def provide_search(state: State):
    return state.search


async def provide_db(request: Request) -> AsyncGenerator[AsyncSession, None]:
    """The request's session (app/web/context.py: request_session); services commit what
    they change, anything else rolls back when the handler is done, before the response is
    sent (a slow download holds no connection)."""
    try:
        yield request_session(request)
    finally:
        await close_request_session(request)


# Every page of a mission lives under /<mission slug>/.
MISSION_ROUTES = [mission_home, *PARTNER_ROUTES, *ACCOUNT_ROUTES, *MEMBER_ROUTES, audit_trail, *SSO_ROUTES,
                  *ME_ROUTES, *STAFF_EXPERT_ROUTES, *CV_ROUTES, *INSTITUTION_ROUTES,
                  *REQUEST_ROUTES, *ASSIGNMENT_ROUTES, *MATCHING_ROUTES, *PARTICIPANT_ROUTES, *SEARCH_ROUTES, *IMPORT_ROUTES,
                  *API_TOKEN_ROUTES, *JOB_ROUTES, *TRAINING_ROUTES, *REPORT_ROUTES,
                  *PARTICIPANT_IMPORT_ROUTES, *SECTOR_ROUTES, *DUPLICATE_ROUTES]


def _report_worker_end(task: asyncio.Task) -> None:
    """The in-process job worker should run as long as the web server: say so if it ends."""
    if not task.cancelled() and task.exception() is not None:
        log.error("the in-process job worker stopped", exc_info=task.exception())


def create_app(database_url: URL, settings: Settings | None = None,
               run_workers: bool = False) -> Litestar:
    """The web app, connected as the runtime role at database_url. With run_workers (one
    process: `portal run`), one job worker (app.jobs) runs in-process beside the web server."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        engine = create_engine(database_url, pool_size=10, max_overflow=10)
        app.state.session_factory = create_session_factory(engine)
        app.state.missions = MissionDirectory(app.state.session_factory, active_tenants)
        app.state.search = search_backend(settings)
        try:
            await ensure_indexes(app.state.search)
        except SearchUnavailable as exc:  # pages fall back; the worker sets it up later
            log.warning("search engine not ready at start: %s", exc)
        dummy_hash()  # before the first sign-in, which it would otherwise make slower
        settle_after_start()
        release()  # what start-up freed (imports, the index's set-up)
        worker = None
        if run_workers:
            from app.tasks import Runtime
            from app.worker import run_worker

            runtime = Runtime(app.state.session_factory, app.state.search,
                              transport_for(settings), settings)
            worker = asyncio.create_task(run_worker(database_url, runtime,
                                                    shutdown_graceful_timeout=10.0))
            worker.add_done_callback(_report_worker_end)
        try:
            yield
        finally:
            if worker is not None:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            await app.state.search.close()
            await engine.dispose()

    mission_router = Router(
        path=f"/{{{MISSION_PARAM}:str}}",
        route_handlers=MISSION_ROUTES,
        dependencies={"tenant": Provide(provide_tenant, sync_to_thread=False)},
    )
    secret_key = resolve_secret_key(settings)
    return Litestar(
        route_handlers=[
            landing, choose_language, healthz, mission_router, platform_router, dev_mail,
            api_router(),
            create_static_files_router(path="/static", directories=[PROJECT_ROOT / "static"],
                                       name="static"),
        ],
        dependencies={"db": Provide(provide_db),
                      "search": Provide(provide_search, sync_to_thread=False),
                      "actor": Provide(provide_actor, sync_to_thread=False)},
        # Outermost: what a request freed goes back to the system once the process is quiet
        # (app/web/memory.py).
        middleware=[release_memory_when_quiet, RequestContextMiddleware()],
        lifespan=[lifespan],
        template_config=TemplateConfig(
            instance=JinjaTemplateEngine.from_environment(environment())),
        csrf_config=CSRFConfig(secret=secret_key, cookie_secure=not settings.debug,
                               cookie_httponly=False,
                               # The API is read-only and authenticated by a token, not a cookie.
                               exclude=["^/healthz$", f"^{API_PREFIX}/"]),
        exception_handlers=EXCEPTION_HANDLERS,
        # The one input boundary: control characters refused before any handler runs.
        before_request=refuse_control_characters,
        before_send=[security_headers],
        # Pages, CSS and scripts travel compressed (brotli, else gzip): a slow link carries
        # a fifth of the bytes.
        compression_config=CompressionConfig(backend="brotli", gzip_fallback=True,
                                             gzip_compress_level=6, minimum_size=500),
        state=State({
            "settings": settings,
            "secret_key": secret_key,
            "secure_cookies": not settings.debug,
            "migration_head": head_revision(),
        }),
        # No OpenAPI for the HTML portal: only the JSON API's routes (its router sets
        # include_in_schema=True) are in the schema it publishes at /api/v1/schema.
        include_in_schema=False,
        openapi_config=openapi_config(),
        debug=False,
    )


# `portal run --workers N`: the parent prepares the database (and starts the embedded
# server), then hands each web process the runtime role's URL through this variable.
APP_DATABASE_URL_ENV = "PORTAL_APP_DATABASE_URL"


def create_app_from_env() -> Litestar:
    """uvicorn's app factory for several web processes. Each process builds the app from
    the environment its parent set: settings as usual, the database its parent prepared.
    It starts no database and no job worker (the parent runs the one job worker)."""
    url = os.environ.get(APP_DATABASE_URL_ENV)
    if not url:
        raise RuntimeError(f"{APP_DATABASE_URL_ENV} is not set: start web processes with "
                           "`portal run --workers N`")
    return create_app(make_url(url), get_settings(), run_workers=False)
