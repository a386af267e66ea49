"""Test fixtures: one PostgreSQL server per run, the schema built once with Alembic into a
template database, and a fresh clone of it per test module (CREATE DATABASE ... TEMPLATE).

The server is the embedded one (pgserver) unless TEST_DATABASE_URL (or DATABASE_URL) names
an external server with a role allowed to create databases and roles. The app under test
connects as the runtime role, exactly as in production.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings, load_settings
from app.db import migrate, server
from app.db.server import DatabaseUrls
from app.db.session import create_engine, create_session_factory
from app.main import create_app
from app.search.sync import drain
from tenants.context import TenantContext
from tenants.provisioning import load_mission, mission_files, provision_mission, to_context

_counter = itertools.count()


def external_server_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""


# Uploaded documents of the whole run. A fixed place (not a fixture) because the object
# factories of the route-driven suites (tests/isolation.py) store CVs too, without fixtures.
TEST_DOCUMENTS_DIR = Path(tempfile.mkdtemp(prefix="portal-test-documents-"))
atexit.register(shutil.rmtree, TEST_DOCUMENTS_DIR, ignore_errors=True)


def base_test_settings() -> Settings:
    return replace(load_settings(), database_url=external_server_url(), debug=True,
                   secret_key="test-secret-key", documents_root=str(TEST_DOCUMENTS_DIR),
                   allowed_hosts=("testserver.local",), search_backend="embedded",
                   # tests/oidc_provider.py serves its provider on this machine over http
                   sso_test_hosts=("127.0.0.1",))


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return replace(base_test_settings(), var_dir=tmp_path_factory.mktemp("var"))


@pytest.fixture(scope="session")
def pg_admin_url(settings: Settings, tmp_path_factory) -> URL:
    if settings.database_url:
        return server.to_asyncpg_url(settings.database_url)
    import pgserver

    data_dir = tmp_path_factory.mktemp("pg")
    srv = pgserver.get_server(data_dir, cleanup_mode="delete")
    return server.to_asyncpg_url(srv.get_uri())


def unique_name(kind: str) -> str:
    return f"dbtest_{os.getpid()}_{kind}_{next(_counter)}"


@pytest.fixture(scope="session")
async def template_database(pg_admin_url: URL, settings: Settings) -> AsyncIterator[str]:
    name = unique_name("template")
    urls = await server.bootstrap(pg_admin_url, settings, database=name)
    await migrate.upgrade(urls.owner, settings.database_app_role)
    yield name
    await server.drop_database(pg_admin_url, name)


@dataclass
class TestDatabase:
    name: str
    urls: DatabaseUrls
    admin: URL


async def new_database(pg_admin_url: URL, settings: Settings, template: str | None) -> TestDatabase:
    name = unique_name("db")
    urls = await server.bootstrap(pg_admin_url, settings, database=name, template=template)
    return TestDatabase(name=name, urls=urls, admin=pg_admin_url)


@pytest.fixture(scope="module")
async def database(pg_admin_url, settings, template_database) -> AsyncIterator[TestDatabase]:
    """A database at the migration head, private to the test module."""
    db = await new_database(pg_admin_url, settings, template_database)
    yield db
    await server.drop_database(pg_admin_url, db.name)


@pytest.fixture
async def superuser(database: TestDatabase):
    """A connection to the test database as the server's administrator, whom row-level
    security does not limit: for counting every mission's rows at once (the owner role is
    held to the policies too, FORCE ROW LEVEL SECURITY)."""
    import asyncpg
    conn = await asyncpg.connect(server.asyncpg_dsn(database.admin.set(database=database.name)))
    yield conn
    await conn.close()


@pytest.fixture(scope="module")
async def app_engine(database: TestDatabase) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database.urls.app)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def session_factory(app_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(app_engine)


@pytest.fixture(scope="module")
async def missions(session_factory) -> dict[str, TenantContext]:
    """Sudan and Mozambique, provisioned from their mission files."""
    result = {}
    for path in mission_files():
        async with session_factory() as session:
            tenant = await provision_mission(session, load_mission(path))
            result[tenant.slug] = to_context(tenant)
    return result


@pytest.fixture(scope="module")
def search_dir(tmp_path_factory) -> Path:
    """The module's own search index: the module's database is its own too."""
    return tmp_path_factory.mktemp("search")


@pytest.fixture(scope="module")
def app(database: TestDatabase, settings: Settings, search_dir: Path) -> Litestar:
    return create_app(database.urls.app, replace(settings, search_root=str(search_dir)))


@pytest.fixture(scope="module")
def index_now(app: Litestar, client, session_factory):
    """Drain the search outbox into the module's index, as the search index job would (with
    the tests' own connections: the app's pool belongs to the client's event loop)."""
    async def drain_outbox() -> int:
        return await drain(session_factory, app.state.search)
    return drain_outbox


@pytest.fixture(scope="module")
def run_jobs(app: Litestar, client, database: TestDatabase, session_factory):
    """Run the jobs that are due, as `portal worker` would, and return once none is left
    (a burst: procrastinate's wait=False; without the periodic sweep, so that only the jobs
    a test queued run). `transport` and `search` replace the mail transport and the search
    backend (a spy, a broken engine)."""
    from app.notifications.delivery import transport_for
    from app.tasks import Runtime
    from app.worker import run_worker

    async def run(transport=None, search=None) -> None:
        settings = app.state.settings
        runtime = Runtime(session_factory, search or app.state.search,
                          transport or transport_for(settings), settings)
        await run_worker(database.urls.app, runtime, wait=False, periodic=False)
    return run


@pytest.fixture(scope="module")
async def client(app: Litestar, missions) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield c


async def csrf_token(client: AsyncTestClient, path: str = "/") -> str:
    """Visit a page so the CSRF cookie is set, and return the token forms must send."""
    await client.get(path)
    return client.cookies["csrftoken"]


def random_uuid() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture(scope="module")
def portal(database, settings, search_dir):
    """Run the `portal` command as a user would: a subprocess on the module's database."""
    env = {**os.environ,
           "DATABASE_URL": database.admin.render_as_string(hide_password=False),
           "DATABASE_NAME": database.name, "PORTAL_VAR_DIR": str(settings.var_dir),
           "DOCUMENTS_DIR": str(settings.documents_dir), "SEARCH_DIR": str(search_dir),
           "SEARCH_BACKEND": "embedded"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env,
                              capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
    run.env = env  # for commands that keep running (portal worker)
    return run


@pytest.fixture
def in_english(client):
    """For modules that assert English messages (Sudan's default language is Arabic):
    `pytestmark = pytest.mark.usefixtures("in_english")`."""
    speak(client, "en")
    yield
    speak(client, None)


def speak(client: AsyncTestClient, locale: str | None) -> None:
    """Choose the interface language as the language switcher does (None: no choice)."""
    for cookie in [c for c in client.cookies.jar if c.name == "lang"]:
        client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
    if locale:
        client.cookies.set("lang", locale, domain="testserver.local", path="/")


# --- people signed in -----------------------------------------------------------------------
# (tests.accounts_helpers imports this module, so its helpers are imported where used.)

@pytest.fixture
async def signed_in_as(client, missions, session_factory):
    """Sign the client in as a new person with a role in a mission (Sudan unless told):
    `user = await signed_in_as("staff")`, with make_user's options (host_institution_id=...).
    Signed out again after the test."""
    from tests.accounts_helpers import signed_in, use_session

    async def sign_in_as(role: str, tenant: TenantContext | None = None, **options):
        return await signed_in(client, session_factory, tenant or missions["sudan"], role,
                               **options)
    yield sign_in_as
    use_session(client, None)


@pytest.fixture
async def officer(signed_in_as):
    """A programme officer (staff) of Sudan, signed in."""
    return await signed_in_as("staff")


@pytest.fixture
async def expert(signed_in_as):
    """An expert of Sudan (no profile yet), signed in."""
    return await signed_in_as("expert")


@pytest.fixture
async def mission_admin(signed_in_as):
    """A mission admin of Sudan, signed in."""
    return await signed_in_as("mission_admin")
