"""The `portal` command: run, worker, migrate, reindex, tenants, seed-demo, skills, match,
export-mission and import-mission."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

# Each command imports what it needs when it runs: `portal --help` loads click alone, and
# `portal match` neither the web application nor the migrations (importing the whole
# application took 3.7 of the 5 seconds a match cost).
if TYPE_CHECKING:
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from app.config import Settings
    from app.db.server import DatabaseUrls
    from tenants.provisioning import MissionSpec


def get_settings() -> Settings:
    from app.config import get_settings as settings

    return settings()


def load_domains() -> None:
    """Every domain's registrations (tables, provisioning steps, hooks), before a command
    touches the database."""
    import app.domains  # noqa: F401


async def prepare_database() -> DatabaseUrls:
    """Find or start the server, create database and roles if missing, migrate to head."""
    from app.db import migrate, server

    load_domains()
    settings = get_settings()
    urls = await server.bootstrap(server.admin_url(settings), settings)
    await migrate.upgrade(urls.owner, settings.database_app_role)
    return urls


@asynccontextmanager
async def app_sessions() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions as the runtime role, the same role (and RLS) the web app has, for the
    length of one command."""
    from app.db.session import create_engine, create_session_factory

    urls = await prepare_database()
    engine = create_engine(urls.app)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def app_session() -> AsyncIterator[AsyncSession]:
    async with app_sessions() as factory, factory() as session:
        yield session


async def mission_by_slug(factory: async_sessionmaker[AsyncSession], slug: str):
    """The mission a command names (ProvisioningError, shown as the command's error, if none)."""
    from tenants.services import get_tenant_by_slug, to_context

    async with factory() as session:
        tenant = await get_tenant_by_slug(session, slug)
    if tenant is None:
        from tenants.provisioning import ProvisioningError

        raise ProvisioningError(f"no mission with slug {slug!r}")
    return to_context(tenant)


def run_async(coro):
    try:
        return asyncio.run(coro)
    except Exception as exc:
        # Imported only now: `portal match` needs nothing else of provisioning.
        from tenants.provisioning import ProvisioningError

        if isinstance(exc, ProvisioningError):
            raise click.ClickException(str(exc)) from exc
        raise


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Diaspora Bridge portal."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # pgserver and Alembic narrate every start at INFO; keep their warnings only.
    for noisy in ("pgserver", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    if not verbose and ctx.invoked_subcommand in ("run", "worker"):
        from app.jobs.queue import QuietSweep

        # On the loggers that emit (a filter on a parent does not see its children's records):
        # the job worker is named "portal" (app.worker.run_worker).
        for name in ("procrastinate.worker", "procrastinate.worker.portal",
                     "procrastinate.periodic"):
            logging.getLogger(name).addFilter(QuietSweep())


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default 8000).")
@click.option("--workers", "web_workers", default=None, type=click.IntRange(1, 64),
              help="Web processes serving the port (default PORTAL_WORKERS, else 1). "
                   "The database and the one job worker start once, beside them.")
def run(host: str | None, port: int | None, web_workers: int | None) -> None:
    """Migrate, seed demo data into an empty database, and serve the portal."""
    import uvicorn
    from sqlalchemy import func, select

    from app.db.session import create_engine, create_session_factory
    from app.demo import seed_demo
    from app.main import create_app
    from tenants.models import Tenant

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    web_workers = web_workers or settings.web_workers

    async def prepare() -> DatabaseUrls:
        urls = await prepare_database()
        engine = create_engine(urls.app)
        try:
            factory = create_session_factory(engine)
            async with factory() as session:
                empty = not await session.scalar(select(func.count()).select_from(Tenant))
            if empty:
                seeded = await seed_demo(factory, settings)
                click.echo(f"Empty database: seeding demo data ({', '.join(seeded)}).")
            if empty or search_index_missing(settings):
                click.echo("Building the search index from the database.")
                await reindex_missions(factory, None)
        finally:
            await engine.dispose()
        return urls

    urls = run_async(prepare())
    where = "embedded PostgreSQL in " + str(settings.pg_data_dir) if settings.embedded_database \
        else "PostgreSQL at " + urls.app.render_as_string(hide_password=True)
    click.echo(f"Database: {where}")
    processes = f" with {web_workers} web processes" if web_workers > 1 else ""
    click.echo(f"Diaspora Bridge is running at http://{host}:{port}/{processes}  (Ctrl-C to stop)")
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it with our handler in place:
    # KeyboardInterrupt then a normal exit, so pgserver's exit handler stops the embedded database.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if web_workers == 1:
            uvicorn.run(create_app(urls.app, settings, run_workers=True), host=host, port=port,
                        log_level="info", timeout_graceful_shutdown=10,
                        # X-Forwarded-For is read by the app itself, from PORTAL_TRUSTED_PROXIES
                        # only (app.web.context.client_ip): uvicorn's own reading, trusting
                        # 127.0.0.1 whatever the deployment, stays off.
                        proxy_headers=False)
        else:
            serve_processes(urls.app, settings, host, port, web_workers)
    except KeyboardInterrupt:
        pass
    click.echo("Diaspora Bridge stopped.")


def serve_processes(database_url: URL, settings: Settings, host: str, port: int,
                    count: int) -> None:
    """count web processes on one port (uvicorn's supervisor, each process building the app
    with app.main.create_app_from_env), and the one job worker in a thread of this process.
    This process started the embedded database (if any) and keeps it until they all stop;
    only the job worker writes the embedded search index, the web processes read it."""
    import uvicorn

    from app.config import resolve_secret_key
    from app.main import APP_DATABASE_URL_ENV

    # Generated once here: N processes racing to create var/secret_key would sign with
    # different keys.
    resolve_secret_key(settings)
    os.environ[APP_DATABASE_URL_ENV] = database_url.render_as_string(hide_password=False)
    jobs = JobWorkerThread(database_url, settings)
    jobs.start()
    try:
        # uvicorn's supervisor takes SIGINT/SIGTERM, stops the web processes gracefully and
        # returns.
        uvicorn.run("app.main:create_app_from_env", factory=True, workers=count, host=host,
                    port=port, log_level="info", timeout_graceful_shutdown=10,
                    proxy_headers=False)  # as above: the app trusts PORTAL_TRUSTED_PROXIES only
    finally:
        jobs.stop()


class JobWorkerThread(threading.Thread):
    """`portal run --workers N`'s one job worker: its own event loop in a thread of the
    parent process (whose main thread runs uvicorn's supervisor)."""

    def __init__(self, database_url: URL, settings: Settings) -> None:
        super().__init__(name="job-worker", daemon=True)
        self.database_url, self.settings = database_url, settings
        self.started_loop = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task | None = None

    def run(self) -> None:
        async def main() -> None:
            self.loop, self.task = asyncio.get_running_loop(), asyncio.current_task()
            self.started_loop.set()
            await serve_jobs(self.database_url, self.settings, shutdown_graceful_timeout=10.0)

        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            pass
        except Exception:
            logging.getLogger(__name__).exception("the job worker stopped")
        finally:
            self.started_loop.set()

    def stop(self, timeout: float = 20.0) -> None:
        self.started_loop.wait(timeout)
        if self.loop is not None and self.task is not None and not self.loop.is_closed():
            try:
                self.loop.call_soon_threadsafe(self.task.cancel)
            except RuntimeError:  # the loop closed meanwhile: nothing left to stop
                pass
        self.join(timeout)


async def serve_jobs(database_url: URL, settings: Settings, *, concurrency: int = 1,
                     install_signal_handlers: bool = False,
                     shutdown_graceful_timeout: float | None = 30.0) -> None:
    """One job worker as the runtime role, until cancelled (or, with signal handlers, until
    SIGINT/SIGTERM, letting running jobs finish)."""
    from app.db.session import create_engine, create_session_factory
    from app.notifications.delivery import transport_for
    from app.search.engine import search_backend
    from app.tasks import Runtime
    from app.worker import run_worker

    engine = create_engine(database_url)
    backend = search_backend(settings)
    try:
        runtime = Runtime(create_session_factory(engine), backend, transport_for(settings),
                          settings)
        await run_worker(database_url, runtime, concurrency=concurrency,
                         install_signal_handlers=install_signal_handlers,
                         shutdown_graceful_timeout=shutdown_graceful_timeout)
    finally:
        await backend.close()
        await engine.dispose()


@main.command()
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(1, 64),
              help="How many jobs this worker runs at the same time.")
def worker(concurrency: int) -> None:
    """Run a job worker (mail, search index, imports; app.jobs) on its own. Start any
    number, on any machine that reaches the database; `portal run` runs one in-process."""
    settings = get_settings()

    async def go() -> None:
        urls = await prepare_database()
        click.echo(f"Job worker running, {concurrency} at a time (Ctrl-C to stop).")
        # procrastinate's signal handlers: SIGINT/SIGTERM let running jobs finish.
        await serve_jobs(urls.app, settings, concurrency=concurrency,
                         install_signal_handlers=True)

    try:
        run_async(go())
    except KeyboardInterrupt:
        pass
    click.echo("Worker stopped.")


def search_index_missing(settings) -> bool:
    """An embedded index that is new (new machine, var/search deleted) or was built with
    other fields (an upgrade added one, as 0033 did the headline) must be filled."""
    if settings.search_backend != "embedded":
        return False
    from app.search.documents import INDEXES
    from search_index.embedded import holds_fields
    return not all(holds_fields(settings.search_dir / name, fields)
                   for name, fields in INDEXES.items())


async def reindex_missions(factory, slug: str | None) -> int:
    """Rebuild the search index of one mission (or all) from PostgreSQL, with a progress bar."""
    from app.search.engine import search_backend
    from app.search.sync import ensure_indexes, reindex
    from tenants.provisioning import ProvisioningError, all_tenants

    async with factory() as session:
        missions = [t for t in await all_tenants(session) if slug in (None, t.slug)]
    if slug and not missions:
        raise ProvisioningError(f"no mission with slug {slug!r}")
    backend = search_backend(get_settings())
    total = 0
    try:
        await ensure_indexes(backend)
        for mission in missions:
            with click.progressbar(length=1, label=f"Indexing {mission.slug}",
                                   show_pos=True) as bar:
                def progress(done: int, of: int) -> None:
                    bar.length = of
                    bar.update(done - bar.pos)
                total += await reindex(factory, backend, mission, progress=progress)
    finally:
        await backend.close()
    return total


@main.command("reindex")
@click.option("--tenant", "slug", default=None, help="Only this mission (slug), e.g. sudan.")
def reindex_cmd(slug: str | None) -> None:
    """Rebuild the search index from PostgreSQL (the source of truth): every expert profile
    and assignment request of the mission(s), in batches, with a progress bar."""

    async def go() -> int:
        async with app_sessions() as factory:
            return await reindex_missions(factory, slug)

    total = run_async(go())
    click.echo(f"Search index rebuilt: {total:,} objects.")


@main.command("export-mission")
@click.argument("slug")
@click.option("--to", "target", required=True,
              type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The file to write (a zip), e.g. sudan.mission.zip.")
def export_mission_cmd(slug: str, target: Path) -> None:
    """Write one mission (its rows, the accounts of its people, its documents) to a file
    that `portal import-mission` loads into another installation. The file holds password
    hashes and personal data: it is readable by its owner only; keep it like a backup."""
    from app.mission_transfer import TransferRefused, export_mission
    from app.storage import storage_for

    async def go() -> dict[str, int]:
        urls = await prepare_database()
        return await export_mission(urls.owner, storage_for(get_settings()), slug, target)

    try:
        counts = run_async(go())
    except TransferRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Mission {slug!r} written to {target}: {sum(counts.values()):,} rows in "
               f"{sum(1 for n in counts.values() if n)} tables.")


@main.command("import-mission")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_mission_cmd(source: Path) -> None:
    """Load a mission written by `portal export-mission` into this installation, all of it
    or nothing, then build its search index. A mission with the same slug is never
    overwritten; people who already have an account here keep it."""
    from app.db.session import create_engine, create_session_factory
    from app.mission_transfer import TransferRefused, import_mission
    from app.storage import storage_for

    async def go():
        urls = await prepare_database()
        outcome = await import_mission(urls.owner, storage_for(get_settings()), source)
        engine = create_engine(urls.app)
        try:
            indexed = await reindex_missions(create_session_factory(engine), outcome.slug)
        finally:
            await engine.dispose()
        return outcome, indexed

    try:
        outcome, indexed = run_async(go())
    except TransferRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Mission {outcome.slug!r} imported: {sum(outcome.rows.values()):,} rows, "
               f"{outcome.documents:,} documents (people with an account here already: "
               f"{outcome.people_linked:,}); {indexed:,} search documents built.")


@main.command("migrate")
@click.option("--revision", default="head", show_default=True)
def migrate_cmd(revision: str) -> None:
    """Bring the schema to a revision (default: the latest)."""

    from app.db import migrate, server

    load_domains()

    async def go() -> None:
        settings = get_settings()
        urls = await server.bootstrap(server.admin_url(settings), settings)
        await migrate.upgrade(urls.owner, settings.database_app_role, revision)

    run_async(go())
    click.echo(f"Database migrated to {revision}.")


@main.command("seed-demo")
def seed_demo_cmd() -> None:
    """Provision both missions and their demo content (idempotent)."""
    from app.demo import seed_demo

    async def go() -> list[str]:
        async with app_sessions() as factory:
            return await seed_demo(factory, get_settings())

    click.echo(f"Demo data in place for: {', '.join(run_async(go()))}.")


@main.group()
def tenants() -> None:
    """Create, list, provision and suspend missions."""


@tenants.command("list")
def tenants_list() -> None:
    from tenants.provisioning import list_tenants

    async def go():
        async with app_session() as session:
            return await list_tenants(session)

    rows = run_async(go())
    if not rows:
        click.echo("No missions yet. Create one with 'portal tenants create' or 'portal seed-demo'.")
    for t in rows:
        click.echo(f"{t.slug:<16} {t.status:<10} {t.country_code}  {t.default_locale} "
                   f"[{','.join(t.locales)}]  {t.time_zone:<20} {t.name}")


@tenants.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Mission name, e.g. 'Sudan'.")
@click.option("--country", "country_code", required=True, help="ISO 3166 code, e.g. SD.")
@click.option("--locales", required=True, help="Comma-separated, e.g. 'ar,en'.")
@click.option("--default-locale", default=None, help="Default: the first of --locales.")
@click.option("--time-zone", required=True, help="IANA time zone, e.g. Africa/Khartoum.")
def tenants_create(slug: str, name: str, country_code: str, locales: str,
                   default_locale: str | None, time_zone: str) -> None:
    """Create an empty mission."""
    from tenants.provisioning import MissionSpec, create_tenant

    locale_list = [x.strip() for x in locales.split(",") if x.strip()]
    spec = MissionSpec(slug=slug, name=name, country_code=country_code.upper(),
                       default_locale=default_locale or (locale_list[0] if locale_list else ""),
                       locales=locale_list, time_zone=time_zone)

    async def go():
        async with app_session() as session:
            return await create_tenant(session, spec)

    tenant = run_async(go())
    click.echo(f"Mission {tenant.slug!r} created.")


@tenants.command("provision")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def tenants_provision(files: tuple[Path, ...]) -> None:
    """Create or update missions from mission files (default: tenants/missions/*.toml)."""
    from tenants.provisioning import mission_files, provision_mission

    specs = [load_mission_or_fail(p) for p in (files or mission_files())]

    async def go():
        async with app_session() as session:
            return [(await provision_mission(session, s)).slug for s in specs]

    click.echo(f"Provisioned: {', '.join(run_async(go()))}.")


def load_mission_or_fail(path: Path) -> MissionSpec:
    from tenants.provisioning import ProvisioningError, load_mission

    try:
        return load_mission(path)
    except ProvisioningError as exc:
        raise click.ClickException(str(exc)) from exc


def _status_command(name: str, status: str, help_text: str) -> None:
    @tenants.command(name, help=help_text)
    @click.argument("slug")
    def command(slug: str) -> None:
        from tenants.provisioning import set_tenant_status

        async def go():
            async with app_session() as session:
                return await set_tenant_status(session, slug, status)

        run_async(go())
        click.echo(f"Mission {slug!r} is now {status}.")


_status_command("suspend", "suspended", "Suspend a mission: its pages answer 404 until reactivated.")
_status_command("activate", "active", "Reactivate a suspended mission.")


@main.group()
def skills() -> None:
    """The missions' skills vocabularies."""


@skills.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", "slug", required=True, help="Mission slug, e.g. sudan.")
@click.option("--locale", default="en", show_default=True,
              help="Language of the file's labels (ESCO publishes one file per language).")
@click.option("--source", default="esco", show_default=True,
              help="Taxonomy name, stored with each skill and prefixed to its code.")
def skills_import(file: Path, slug: str, locale: str, source: str) -> None:
    """Load a skills taxonomy CSV (ESCO's skills_<language>.csv: conceptUri, preferredLabel,
    altLabels, ...) into a mission's vocabulary. Importing again updates the same skills;
    if any row is invalid nothing is written."""
    from app.experts.skills_import import (
        SkillsImportError,
        check_options,
        import_skills,
        read_skills_file,
    )

    try:  # the whole file is checked before the database is even started
        check_options(locale, source)
        rows = read_skills_file(file, source=source)
    except SkillsImportError as exc:
        raise click.ClickException(str(exc)) from exc

    async def go():
        async with app_sessions() as factory:
            mission = await mission_by_slug(factory, slug)
            with click.progressbar(length=len(rows), label=f"Importing {len(rows):,} skills "
                                   f"into {slug}") as bar:
                return await import_skills(factory, mission, rows, locale, source,
                                           file_name=file.name, progress=bar.update)

    result = run_async(go())
    click.echo(f"{result.total:,} skills in {slug}'s vocabulary from {file.name}: "
               f"{result.created:,} new, {result.updated:,} updated.")


@main.command("match")
@click.argument("request_ref", metavar="REQUEST_ID")
@click.option("--tenant", "slug", required=True, help="Mission slug, e.g. sudan.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the JSON the API answers at /api/v1/<mission>/requests/<id>/matches.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 50),
              help="How many candidates.")
@click.option("--lang", default="en", show_default=True,
              type=click.Choice(["en", "ar", "pt", "fr"]), help="Language of skill names.")
def match_cmd(request_ref: str, slug: str, as_json: bool, limit: int, lang: str) -> None:
    """The ranked candidates for an assignment request (its id, or its number), scored and
    explained exactly as the matching workspace shows them."""
    # One short read: the cyclic collector would only rescan the modules just imported
    # (a fifth of the command's time), and the process ends before garbage could matter.
    gc.disable()
    from litestar.exceptions import NotFoundException

    # Matching asks the assignments domain who is already taken: its registration, not
    # every domain's (app.domains).
    import app.assignments.availability  # noqa: F401
    from app.api.matches import request_id_for, request_matches
    from app.api.schemas import matches_text, to_json
    from app.search.documents import INDEXES
    from app.search.engine import search_backend
    from app.search.outbox import EXPERTS
    from search_index import SearchUnavailable
    from tenants.context import tenant_scope

    async def go():
        settings = get_settings()
        backend = search_backend(settings)
        try:
            try:
                await backend.configure(EXPERTS, INDEXES[EXPERTS])
            except SearchUnavailable:  # then PostgreSQL answers, as on the workspace page
                pass
            async with running_database(settings) as factory:
                mission = await mission_by_slug(factory, slug)
                with tenant_scope(mission):
                    async with factory() as db:
                        request_id = await request_id_for(db, mission, request_ref)
                        return await request_matches(db, mission, backend, request_id, limit,
                                                     lang)
        finally:
            await backend.close()

    try:
        matches = run_async(go())
    except NotFoundException as exc:
        raise click.ClickException(f"no assignment request {request_ref!r} in {slug} "
                                   "(drafts are never matched)") from exc
    if as_json:
        click.echo(to_json(matches).decode())
    else:
        click.echo("\n".join(matches_text(matches)))


@asynccontextmanager
async def running_database(settings: Settings) -> AsyncIterator[
        async_sessionmaker[AsyncSession]]:
    """Sessions as the runtime role on a database that is already set up: no bootstrap and
    no migration check (they cost more than a read-only command's work). A database not
    set up yet is told as such."""
    from sqlalchemy.exc import DBAPIError

    from app.db import server
    from app.db.session import create_engine, create_session_factory

    admin = settings.embedded_database and server.running_embedded_server(
        settings.pg_data_dir) or server.admin_url(settings)
    engine = create_engine(server.derive_urls(admin, settings).app)
    try:
        yield create_session_factory(engine)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) in NOT_SET_UP:
            raise click.ClickException("the database is not set up for this version yet: run "
                                       "'portal migrate' (or 'portal run') first") from exc
        raise
    finally:
        await engine.dispose()


# PostgreSQL's codes for a database that does not exist, a role that does not, and a
# table or column that does not (the migrations never ran, or not the latest).
NOT_SET_UP = ("3D000", "28000", "42P01", "42703")


@main.group("import")
def import_group() -> None:
    """Bring rosters in: experts and assignment requests from CSV, XLSX or JSON files
    (the schema is in README.md; templates at /<mission>/imports)."""


# Experts only, as the web import's checkbox: the same check and write (free_skills).
FREE_TAGS = click.option(
    "--free-tags", "free_skills", is_flag=True,
    help="Add skills the mission's vocabulary does not know as free tags (as the expert's "
         "profile form does) instead of refusing their rows; staff merge or promote them "
         "at /<mission>/skills.")


def _import_command(kind: str, statuses: tuple[str, ...], default_status: str) -> None:
    @import_group.command(kind, help=f"Import {kind} from FILE (CSV, XLSX or JSON) into a "
                          "mission. Re-importing the same file updates the same rows (by "
                          "external_ref). If any row is invalid nothing is written, unless "
                          "--valid-only.")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--tenant", "slug", required=True, help="Mission slug, e.g. sudan.")
    @click.option("--status", "initial_status", type=click.Choice(statuses),
                  default=default_status, show_default=True,
                  help="The state new rows start in.")
    @click.option("--valid-only", is_flag=True,
                  help="Import the valid rows and write the rejected ones to a CSV file.")
    @click.option("--dry-run", is_flag=True, help="Check the file; write nothing.")
    @click.option("--rejected", "rejected_path", type=click.Path(dir_okay=False, path_type=Path),
                  default=None, help="Where to write the rejected rows (default: next to FILE).")
    @(FREE_TAGS if kind == "experts" else lambda f: f)
    def command(file: Path, slug: str, initial_status: str, valid_only: bool, dry_run: bool,
                rejected_path: Path | None, free_skills: bool = False) -> None:
        _run_import(kind, file, slug, initial_status, valid_only, dry_run, rejected_path,
                    free_skills)


def _run_import(kind: str, file: Path, slug: str, initial_status: str, valid_only: bool,
                dry_run: bool, rejected_path: Path | None, free_skills: bool) -> None:
    from app.core.actor import Actor
    from app.imports.readers import ENCODING_NAMES, ImportFileError
    from app.imports.services import Links, ignored_columns, read_upload, rejected_csv, run_import
    from app.search.engine import search_backend
    from app.search.sync import drain, ensure_indexes
    from search_index import SearchBackend, SearchUnavailable

    try:  # the whole file is read before the database is even started
        source = read_upload(file.read_bytes(), kind, get_settings().import_max_rows)
    except ImportFileError as exc:
        raise click.ClickException(f"{file.name}: {exc.message}") from exc
    encoding = f", {ENCODING_NAMES.get(source.encoding, source.encoding)}" \
        if source.encoding else ""
    click.echo(f"{file.name}: {source.format.upper()}{encoding}, {len(source.rows):,} rows.")
    if ignored := ignored_columns(source, kind):
        click.echo(f"Ignored columns (not in the {kind} schema): {', '.join(ignored)}")
    settings = get_settings()
    links = Links(settings.links_base)

    async def go():
        async with app_sessions() as factory:
            tenant = await mission_by_slug(factory, slug)
            backend = search_backend(settings)
            try:
                try:
                    await ensure_indexes(backend)
                    search: SearchBackend | None = backend
                except SearchUnavailable as exc:  # the import goes on; the outbox waits
                    click.echo(f"Search engine unavailable ({exc}): the search index job "
                               "will make the imported rows searchable.", err=True)
                    search = None
                with click.progressbar(length=max(1, len(source.rows)),
                                       label=f"Importing {kind} into {slug}") as bar:
                    async def progress(n: int) -> None:
                        bar.update(n)
                    outcome = await run_import(factory, tenant, Actor(email="portal import"),
                                               source, kind, initial_status, valid_only,
                                               links=links, dry_run=dry_run, progress=progress,
                                               free_skills=free_skills, search=search)
                indexed = outcome.indexed
                if outcome.written and search is not None:  # the rest searchable now, as
                    # the search index job would make it
                    indexed += await drain(factory, backend, batch=5000)
            finally:
                await backend.close()
            return outcome, indexed

    outcome, indexed = run_async(go())
    result = outcome.check
    for error in result.errors[:50]:
        click.echo(f"  row {error.row}, {error.column}: {error.reason}", err=True)
    if len(result.errors) > 50:
        click.echo(f"  ... and {len(result.errors) - 50:,} more", err=True)
    if result.new_skills:  # as the web import's preview lists them
        click.echo(f"Skills not in the vocabulary, {'to be ' if dry_run else ''}added as free "
                   f"tags: {', '.join(result.new_skills)}")
    rejected = len(result.rejected_rows)
    if rejected:
        target = rejected_path or file.with_name(f"{file.stem}.rejected.csv")
        target.write_text(rejected_csv(result), encoding="utf-8")
        click.echo(f"Rejected rows with their reasons: {target}")
    if dry_run:
        click.echo(f"Dry run, nothing written: {result.created:,} would be created, "
                   f"{result.updated:,} updated, {rejected:,} rejected.")
        if rejected and not valid_only:
            sys.exit(1)
        return
    if not outcome.written:
        reason = outcome.failure or ("some rows have errors (use --valid-only to import the "
                                     "others)" if rejected else "no row to import")
        raise click.ClickException(f"Nothing was imported: {reason}.")
    click.echo(f"Imported {kind} into {slug}: {result.created:,} created, "
               f"{result.updated:,} updated, {rejected:,} rejected; "
               f"{indexed:,} search documents brought up to date.")


_import_command("experts", ("submitted", "verified"), "submitted")
_import_command("requests", ("draft", "submitted", "open"), "submitted")


if __name__ == "__main__":
    main()
