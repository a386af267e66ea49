"""The `portal` command, run as a user would run it (a subprocess against the test server)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select, text

from app.accounts.models import Membership, User
from app.notifications.models import OutboxMail
from app.partners.models import PartnerAgency
from tenants.context import tenant_scope
from tenants.models import Sector, Tenant


async def _snapshot(session_factory, missions) -> list:
    """Every provisioned row, as comparable tuples."""
    rows = []
    async with session_factory() as db:
        rows += (await db.execute(select(Tenant.slug, Tenant.name, Tenant.names, Tenant.locales,
                                         Tenant.created_at).order_by(Tenant.slug))).all()
        rows += (await db.execute(select(User.id, User.email, func.account_password_hash(User.id))
                                  .order_by(User.email))).all()
    for tenant in missions.values():
        with tenant_scope(tenant):
            async with session_factory() as db:
                rows += (await db.execute(select(Sector.id, Sector.code, Sector.names,
                                                 Sector.position).order_by(Sector.code))).all()
                rows += (await db.execute(select(PartnerAgency.id, PartnerAgency.name,
                                                 PartnerAgency.kind).order_by(PartnerAgency.code))).all()
                rows += (await db.execute(select(Membership.id, Membership.role)
                                          .order_by(Membership.id))).all()
    return rows


async def test_seed_demo_is_idempotent(portal, session_factory, missions):
    result = portal("seed-demo")
    assert result.returncode == 0, result.stderr
    assert "mozambique, sudan" in result.stdout
    before = await _snapshot(session_factory, missions)
    assert any(row[1] == "admin@sudan.demo" for row in before if len(row) == 3)
    assert portal("seed-demo").returncode == 0
    assert await _snapshot(session_factory, missions) == before


def test_create_list_suspend_activate(portal):
    created = portal("tenants", "create", "somalia", "--name", "Somalia", "--country", "so",
                     "--locales", "en,ar", "--time-zone", "Africa/Mogadishu")
    assert created.returncode == 0, created.stderr
    listing = portal("tenants", "list").stdout
    assert "somalia" in listing and "active" in listing
    assert portal("tenants", "suspend", "somalia").returncode == 0
    assert "somalia          suspended" in portal("tenants", "list").stdout
    assert portal("tenants", "activate", "somalia").returncode == 0
    again = portal("tenants", "create", "somalia", "--name", "Somalia", "--country", "SO",
                   "--locales", "en", "--time-zone", "Africa/Mogadishu")
    assert again.returncode == 1 and "already exists" in again.stderr


@pytest.mark.parametrize("args, message", [
    (["Bad Slug", "--country", "SD", "--locales", "en", "--time-zone", "UTC"], "slug"),
    (["static", "--country", "SD", "--locales", "en", "--time-zone", "UTC"], "reserved"),
    (["narnia", "--country", "XX", "--locales", "en", "--time-zone", "UTC"], "country code"),
    (["narnia", "--country", "SD", "--locales", "en,de", "--time-zone", "UTC"], "locales"),
    (["narnia", "--country", "SD", "--locales", "en", "--time-zone", "Mars/Olympus"], "time zone"),
    (["narnia", "--country", "SD", "--locales", "en", "--default-locale", "ar",
      "--time-zone", "UTC"], "default locale"),
])
def test_create_refuses_bad_input_clearly(portal, args, message):
    result = portal("tenants", "create", *args[:1], "--name", "Narnia", *args[1:])
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_suspend_unknown_mission(portal):
    result = portal("tenants", "suspend", "atlantis")
    assert result.returncode == 1 and "no mission with slug 'atlantis'" in result.stderr


def test_provision_refuses_a_broken_mission_file(portal, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text('slug = "x y"\nname = "X"\ncountry_code = "SD"\n'
                      'default_locale = "en"\nlocales = ["en"]\ntime_zone = "UTC"\n')
    result = portal("tenants", "provision", str(broken))
    assert result.returncode == 1 and "broken.toml" in result.stderr and "slug" in result.stderr
    garbage = tmp_path / "garbage.toml"
    garbage.write_text("this is = = not toml")
    result = portal("tenants", "provision", str(garbage))
    assert result.returncode == 1 and "garbage.toml" in result.stderr


async def test_migrate_is_idempotent(portal, app_engine):
    assert portal("migrate").returncode == 0
    async with app_engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1
        assert await conn.scalar(select(func.count()).select_from(Tenant)) >= 2


async def test_worker_runs_the_queue_and_stops_gracefully(portal, session_factory, missions):
    """`portal worker`: a mail written to the outbox leaves through the sweep and the mail
    job; SIGTERM stops the worker cleanly."""
    sudan = missions["sudan"]
    with tenant_scope(sudan):
        async with session_factory() as db:
            db.add(OutboxMail(tenant_id=sudan.id, to_address="cli.worker@example.org",
                              subject="Worker", body="Sent by portal worker.", kind="test"))
            await db.commit()
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--concurrency", "2"],
                            env=portal.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, stdin=subprocess.DEVNULL)
    status = None
    try:
        for _ in range(150):  # start-up, then a sweep every 2 s, then the mail job
            with tenant_scope(sudan):
                async with session_factory() as db:
                    status = await db.scalar(select(OutboxMail.status).where(
                        OutboxMail.to_address == "cli.worker@example.org"))
            if status == "sent" or proc.poll() is not None:
                break
            await asyncio.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert status == "sent", out
    assert proc.returncode == 0, out
    assert "Job worker running, 2 at a time" in out and "Worker stopped." in out


def test_help_loads_nothing_of_the_application():
    """`portal --help` imports click and the command's module only: neither the web
    application, nor the database layer, nor any domain."""
    probe = ("import sys\nfrom app.cli import main\ntry:\n    main(['--help'], prog_name='portal')\n"
             "except SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('app', 'tenants', 'search_index', 'litestar', 'sqlalchemy', 'alembic')))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60, check=True)
    assert "Usage: portal" in result.stdout and "match" in result.stdout
    assert result.stdout.splitlines()[-1] == "['app', 'app.cli']"


def test_match_loads_neither_the_web_application_nor_the_migrations(portal):
    """`portal match` reads an installation that is already set up: no migration check, no
    web application, and a clear word when the database is not there yet."""
    probe = ("import sys\nfrom app.cli import main\ntry:\n"
             "    main(['match', '1', '--tenant', 'atlantis'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('app.main', 'alembic', 'app.demo', 'app.db.migrate') "
             "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], env=portal.env, capture_output=True,
                            text=True, timeout=60)
    assert "no mission with slug 'atlantis'" in result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
    missing = subprocess.run([sys.executable, "-m", "app.cli", "match", "1", "--tenant", "sudan"],
                             env={**portal.env, "DATABASE_NAME": "never_set_up"},
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1
    assert "not set up for this version yet: run 'portal migrate'" in missing.stderr
    assert "Traceback" not in missing.stderr
