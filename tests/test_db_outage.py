"""A database outage (issue 18, finding 3): pages answer 503 with Retry-After, in the
person's language, the API a JSON 503, and the app recovers without a restart.

The outage is real: a throw-away embedded PostgreSQL of this module's own (not the run's
shared server) is stopped and started again under a running app."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.exc import OperationalError

from app.db import migrate, server
from app.db.session import create_engine, create_session_factory
from app.main import create_app
from app.web.errors import database_unreachable
from tenants.provisioning import load_mission, mission_files, provision_mission
from tests.api_helpers import api_token, bearer
from tests.conftest import speak


@pytest.fixture(scope="module")
def own_server():
    import pgserver
    from pgserver._commands import pg_ctl

    data_dir = Path(tempfile.mkdtemp(prefix="portal-outage-pg-"))
    srv = pgserver.get_server(data_dir, cleanup_mode="delete")

    def stop() -> None:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=srv.system_user)

    def start() -> None:
        srv.ensure_postgres_running()

    yield server.to_asyncpg_url(srv.get_uri()), stop, start
    start()  # pgserver's clean-up expects a running server
    srv.cleanup()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
async def outage_scene(own_server, settings, tmp_path_factory):
    admin, stop, start = own_server
    urls = await server.bootstrap(admin, settings, database="outage")
    await migrate.upgrade(urls.owner, settings.database_app_role)
    engine = create_engine(urls.app)
    factory = create_session_factory(engine)
    missions = {}
    for path in mission_files():
        async with factory() as session:
            tenant = await provision_mission(session, load_mission(path))
            missions[tenant.slug] = tenant
    sudan = next(iter(m for m in missions.values() if m.slug == "sudan"))
    from tenants.provisioning import to_context
    token = await api_token(factory, to_context(sudan))
    await engine.dispose()
    app = create_app(urls.app, replace(settings, search_root=str(tmp_path_factory.mktemp("s"))))
    return app, token, stop, start


async def _until(check, attempts: int = 20):
    for _ in range(attempts):
        if await check():
            return True
        await asyncio.sleep(0.5)
    return False


async def test_outage_answers_503_with_retry_after_and_recovers(outage_scene):
    app, token, stop, start = outage_scene
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await client.get("/sudan/sign-in")).status_code == 200
        api = await client.get("/api/v1/sudan/experts", headers=bearer(token))
        assert api.status_code == 200
        stop()
        try:
            speak(client, "ar")
            page = await client.get("/sudan/sign-in")
            assert page.status_code == 503, page.text[:500]
            assert int(page.headers["retry-after"]) > 0
            assert "text/html" in page.headers["content-type"]
            assert "الخدمة غير متاحة مؤقتًا" in page.text
            assert "Traceback" not in page.text
            api = await client.get("/api/v1/sudan/experts", headers=bearer(token))
            assert api.status_code == 503 and int(api.headers["retry-after"]) > 0
            assert api.json()["error"]["status"] == 503
            health = await client.get("/healthz")
            assert health.status_code == 503
            # A session cookie makes the request middleware read the session first: the
            # failure there is a 503 too, and the mission list past its cache lifetime.
            client.cookies.set("session", "some-session", domain="testserver.local", path="/")
            signed = await client.get("/sudan/account")
            assert signed.status_code == 503 and "retry-after" in signed.headers
            client.cookies.delete("session", domain="testserver.local", path="/")
            await asyncio.sleep(5.5)
            later = await client.get("/sudan/sign-in")
            assert later.status_code == 503 and "retry-after" in later.headers
        finally:
            start()
        speak(client, None)

        async def page_back():
            return (await client.get("/sudan/sign-in")).status_code == 200

        async def api_back():
            r = await client.get("/api/v1/sudan/experts", headers=bearer(token))
            return r.status_code == 200

        assert await _until(page_back)  # same app, same pool: no restart
        assert await _until(api_back)


def test_connection_errors_are_told_from_bugs():
    assert database_unreachable(OperationalError("select 1", {}, ConnectionRefusedError()))
    assert not database_unreachable(ValueError("a bug"))
    assert not database_unreachable(FileNotFoundError("a missing file, not the database"))
