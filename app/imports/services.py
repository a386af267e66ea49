"""Imports, start to end: read the file, check every row (the file's own rules, then the
mission's data), and write the valid rows — all of them in one transaction, so a failure
anywhere (a database constraint, a crash, a second import of the same references at the
same time) leaves nothing half-saved.

If any row is invalid nothing is written, unless the import was asked for the valid rows
only; then exactly the valid rows are written (again all or nothing) and the rejected rows
go to a CSV file with their reasons. Imports of one mission run one at a time (an advisory
lock), and each is audited. The command line and the staff pages both call run_import();
the pages keep their file and progress in an ImportBatch."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from litestar.exceptions import NotFoundException
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.services import record as audit
from app.core.actor import Actor
from app.core.clock import now
from app.core.collector import collector_paused
from app.core.errors import Refusal
from app.core.locks import lock_until_commit
from app.core.roster_format import (
    EXPERTS,
    INITIAL_STATUSES,
    MAX_ROWS,
    import_columns,
    required_columns,
)
from app.documents import clean_filename
from app.i18n import gettext as _
from app.imports import experts as expert_import
from app.imports import requests as request_import
from app.imports.checks import RowError
from app.imports.models import ImportBatch
from app.imports.readers import (
    ENCODING_NAMES,
    ImportFileError,
    SourceFile,
    SourceRow,
    detect_format,
    read_file,
)
from app.jobs import queue as jobs
from app.search.outbox import EXPERTS as EXPERTS_INDEX
from app.search.sync import StagedIndex
from app.storage import DocumentStorage, new_key
from app.web.csv_export import csv_text
from search_index import SearchBackend
from search_index.text import fold
from tenants.context import TenantContext, tenant_scope

log = logging.getLogger(__name__)
MAX_STORED_ERRORS = 500  # in the batch, for the preview; the rejected-rows file has them all
Progress = Callable[[int], Awaitable[None]]


@dataclass
class CheckResult:
    kind: str
    source: SourceFile
    records: list = field(default_factory=list)     # valid rows, ready to write
    errors: list[RowError] = field(default_factory=list)
    created: int = 0                                 # planned (checked) or done (run)
    updated: int = 0
    new_skills: list[str] = field(default_factory=list)  # to be added as free tags

    @property
    def total(self) -> int:
        return len(self.source.rows)

    @property
    def valid(self) -> int:
        return len(self.records)

    @property
    def rejected_rows(self) -> list[SourceRow]:
        bad = {e.row for e in self.errors}
        return [r for r in self.source.rows if r.number in bad]


@dataclass
class Outcome:
    check: CheckResult
    written: bool                  # the valid rows were saved
    failure: str = ""              # why nothing was saved, when it was not
    indexed: int = 0               # of them, searchable when the import returned


def check_columns(source: SourceFile, kind: str) -> None:
    """Missing required columns are reported once, before any row."""
    missing = [c for c in required_columns(kind) if c not in source.columns]
    if missing:
        raise ImportFileError(_("Missing required columns: %(columns)s.")
                              % {"columns": ", ".join(missing)})


def read_upload(data: bytes, kind: str, max_rows: int = MAX_ROWS) -> SourceFile:
    with collector_paused():
        source = read_file(data, kind, max_rows)
    check_columns(source, kind)
    return source


def ignored_columns(source: SourceFile, kind: str) -> list[str]:
    known = set(import_columns(kind))
    return [h for h, c in zip(source.header, source.columns, strict=True) if c not in known]


async def check(db: AsyncSession, tenant: TenantContext, source: SourceFile, kind: str,
                initial_status: str, free_skills: bool = False) -> CheckResult:
    """Every row checked; the database is read, never written. free_skills: an expert's
    skills that the vocabulary does not know are to become free tags, not errors."""
    with collector_paused():
        return await _check(db, tenant, source, kind, initial_status, free_skills)


async def _check(db: AsyncSession, tenant: TenantContext, source: SourceFile, kind: str,
                 initial_status: str, free_skills: bool) -> CheckResult:
    vocab = await expert_import.vocabulary(db, tenant)
    if kind == EXPERTS:
        if vocab.notice_version is None:
            raise ImportFileError(_("The mission has no data-protection notice yet, so consent "
                                    "cannot be recorded. Provision the mission first."))
        experts, errors = expert_import.check_file(source, vocab, free_skills)
        refused = await expert_import.resolve(db, tenant, experts)
        new = sum(1 for r in experts if r.row not in refused and r.profile_id is None)
        records: list = experts
    else:
        known = await request_import.institutions(db, tenant)
        requests, errors = request_import.check_file(source, vocab, known, initial_status)
        refused = await request_import.resolve(db, tenant, requests)
        new = sum(1 for r in requests if r.row not in refused and r.request_id is None)
        records = requests
    errors = sorted(errors + list(refused.values()), key=lambda e: e.row)
    records = [r for r in records if r.row not in refused]
    # Each tag once, as first written (the same name in other capitals is the same tag).
    new_skills = list({fold(n): n for r in reversed(records)
                       for n in reversed(getattr(r, "new_skills", ()))}.values())[::-1]
    return CheckResult(kind, source, records, errors, created=new, updated=len(records) - new,
                       new_skills=new_skills)


async def run_import(session_factory: async_sessionmaker[AsyncSession], tenant: TenantContext,
                     actor: Actor, source: SourceFile, kind: str, initial_status: str,
                     valid_only: bool, *, links: Links, batch_id: uuid.UUID | None = None,
                     dry_run: bool = False, progress: Progress | None = None,
                     free_skills: bool = False, search: SearchBackend | None = None) -> Outcome:
    """Check, then write the valid rows in one transaction (nothing if any row is invalid and
    not valid_only, or on dry_run). progress(n) is told about every batch of n rows
    written (and, before that, checked). free_skills: see check(). search: the engine the
    imported experts are made searchable in as they are written, visible once the import
    has committed (app.search.sync.StagedIndex); without it, or for requests, the search
    outbox's drain does it afterwards."""
    if initial_status not in INITIAL_STATUSES[kind]:
        raise ValueError(f"initial status {initial_status!r} for {kind}")
    with tenant_scope(tenant), collector_paused():
        async with session_factory() as db:
            # One import per mission at a time: the second waits, then sees the first's rows.
            await lock_until_commit(db, f"import:{tenant.id}")
            result = await check(db, tenant, source, kind, initial_status, free_skills)
            if dry_run or not result.records or (result.errors and not valid_only):
                await db.rollback()
                return Outcome(result, written=False)
            staged = StagedIndex(search, tenant, EXPERTS_INDEX) \
                if search is not None and kind == EXPERTS else None
            committed = False
            try:
                if kind == EXPERTS:
                    vocab = await expert_import.vocabulary(db, tenant)
                    # check() refused a mission without a notice
                    assert vocab.notice_version is not None
                    experts_ctx = expert_import.WriteContext(
                        tenant, actor, initial_status, vocab.notice_version,
                        set(source.columns), batch_id, links.confirm(tenant),
                        links.sign_in(tenant), staged, skills=vocab.skills)
                    created, updated = await expert_import.write(db, experts_ctx,
                                                                 result.records, progress)
                else:
                    requests_ctx = request_import.WriteContext(tenant, actor, initial_status,
                                                               set(source.columns), batch_id)
                    created, updated = await request_import.write(db, requests_ctx,
                                                                  result.records, progress)
                audit(db, tenant.id, actor, f"import.{kind}", "import_batch", batch_id or "",
                      after={"rows": result.total, "created": created, "updated": updated,
                             "rejected": len(result.rejected_rows),
                             "initial_status": initial_status, "valid_only": valid_only,
                             "new_skills": len(result.new_skills)})
                await db.commit()
                committed = True
            except (IntegrityError, DBAPIError) as exc:
                await db.rollback()
                log.warning("import of %s into %s failed: %s", kind, tenant.slug, exc)
                return Outcome(result, written=False, failure=database_failure(exc))
            finally:
                if staged is not None and not committed:  # nothing of it may stay
                    await staged.discarded()
            result.created, result.updated = created, updated
        indexed = await staged.committed(session_factory) if staged is not None else 0
        return Outcome(result, written=True, indexed=indexed)


def database_failure(exc: Exception) -> str:
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:300]
    return _("The database refused the import, so nothing was saved: %(detail)s") \
        % {"detail": detail}


@dataclass
class Links:
    """Absolute links for the invitation mails: the portal's public address."""
    base: str

    def confirm(self, tenant: TenantContext) -> Callable[[str], str]:
        return lambda token: f"{self.base}/{tenant.slug}/password/reset/{token}"

    def sign_in(self, tenant: TenantContext) -> str:
        return f"{self.base}/{tenant.slug}/sign-in?next=/{tenant.slug}/me"


# --- the rejected rows -----------------------------------------------------------------------

def rejected_csv(result: CheckResult) -> str:
    """The rejected rows as written in the file, plus the row number and the reasons."""
    reasons: dict[int, list[str]] = {}
    for error in result.errors:
        reasons.setdefault(error.row, []).append(f"{error.column}: {error.reason}")
    header = ["row", *result.source.header, "error"]
    lines = [[row.number, *(row.original + [""] * (len(result.source.header) - len(row.original))),
              "; ".join(reasons.get(row.number, []))] for row in result.rejected_rows]
    return csv_text(header, lines)


def error_dicts(errors: list[RowError]) -> list[dict]:
    return [e.as_dict() for e in errors[:MAX_STORED_ERRORS]]


# --- batches (the staff pages) ---------------------------------------------------------------

def rejected_key(batch: ImportBatch) -> str:
    return f"{batch.storage_key}.rejected.csv"


async def receive_upload(db: AsyncSession, tenant: TenantContext, actor: Actor,
                         storage: DocumentStorage, kind: str, filename: str, data: bytes,
                         initial_status: str, locale: str,
                         free_skills: bool = False) -> ImportBatch:
    """Keep an uploaded file and queue its check (app.tasks.check_import): reading and
    checking every row happens in a worker, never in the web process. What is no
    spreadsheet at all is refused here from its first bytes (ImportFileError)."""
    detect_format(data)
    batch = ImportBatch(tenant_id=tenant.id, kind=kind, filename=clean_filename(filename, ""),
                        storage_key=new_key(tenant.id, "imports", ".upload"), status="checking",
                        initial_status=initial_status, valid_only=False,
                        free_skills=free_skills and kind == EXPERTS, total_rows=0,
                        valid_rows=0, processed=0, created_count=0, updated_count=0, errors=[],
                        failure="", facts={}, created_by_id=actor.user_id)
    await storage.put(batch.storage_key, data)
    db.add(batch)
    await db.flush()
    audit(db, tenant.id, actor, "import.uploaded", "import_batch", batch.id,
          after={"kind": kind, "file": batch.filename, "bytes": len(data),
                 "initial_status": initial_status, "free_skills": batch.free_skills})
    # The check reads the database only; it speaks the uploader's language.
    await jobs.defer(db, jobs.CHECK_IMPORT, tenant.id, lock=f"import:{batch.id}",
                     batch_id=batch.id, locale=locale,
                     actor_id=str(actor.user_id) if actor.user_id else None,
                     actor_email=actor.email, actor_ip=actor.ip)
    await db.commit()
    return batch


async def check_batch(db: AsyncSession, storage: DocumentStorage, tenant: TenantContext,
                      actor: Actor, batch_id: uuid.UUID,
                      max_rows: int = MAX_ROWS) -> ImportBatch | None:
    """The job behind an upload, in the mission's scope: read the kept file and check every
    row (the database is read, never written), then record what the preview shows; a file
    that cannot be read as a roster ends 'unreadable' with the reason."""
    batch = await db.scalar(select(ImportBatch).where(
        ImportBatch.tenant_id == tenant.id, ImportBatch.id == batch_id).with_for_update())
    if batch is None or batch.status != "checking":  # a retried job whose check is done
        return batch
    data = await storage.get(batch.storage_key)
    try:
        source = read_upload(data, batch.kind, max_rows)
        result = await check(db, tenant, source, batch.kind, batch.initial_status,
                             batch.free_skills)
    except ImportFileError as exc:
        batch.status, batch.failure = "unreadable", exc.message
        audit(db, tenant.id, actor, "import.unreadable", "import_batch", batch.id,
              after={"reason": exc.message})
        await db.commit()
        return batch
    batch.status, batch.total_rows, batch.valid_rows = "checked", result.total, result.valid
    batch.created_count, batch.updated_count = result.created, result.updated
    batch.errors = error_dicts(result.errors)
    batch.facts = {"format": source.format.upper(),
                   "encoding": ENCODING_NAMES.get(source.encoding, source.encoding)
                   if source.encoding else "",
                   "ignored": ignored_columns(source, batch.kind),
                   "new_skills": result.new_skills[:MAX_STORED_ERRORS]}
    if result.errors:
        await storage.put(rejected_key(batch), rejected_csv(result).encode("utf-8"))
    audit(db, tenant.id, actor, "import.checked", "import_batch", batch.id,
          after={"kind": batch.kind, "file": batch.filename, "rows": result.total,
                 "valid": result.valid, "initial_status": batch.initial_status})
    await db.commit()
    return batch


async def get_batch(db: AsyncSession, tenant: TenantContext,
                    batch_id: uuid.UUID) -> ImportBatch:
    """The mission's batch, or 404 (another mission's id is simply not found)."""
    batch = await db.scalar(select(ImportBatch).where(ImportBatch.tenant_id == tenant.id,
                                                      ImportBatch.id == batch_id))
    if batch is None:
        raise NotFoundException()
    return batch


async def recent_batches(db: AsyncSession, tenant: TenantContext,
                         limit: int = 20) -> list[ImportBatch]:
    return list(await db.scalars(select(ImportBatch).where(ImportBatch.tenant_id == tenant.id)
                                 .order_by(ImportBatch.created_at.desc()).limit(limit)))


class RunRefused(Refusal):
    """An import that cannot start (already started, nothing valid to import)."""


async def start_batch(db: AsyncSession, tenant: TenantContext, actor: Actor,
                      batch_id: uuid.UUID, valid_only: bool, links: Links) -> ImportBatch:
    """Mark the batch running (once: two clicks start one import) and queue the job that
    runs it, in one transaction: the import waits in the database for a worker, through any
    restart of the web process."""
    batch = await db.scalar(select(ImportBatch).where(
        ImportBatch.tenant_id == tenant.id, ImportBatch.id == batch_id).with_for_update())
    if batch is None:
        raise NotFoundException()
    if batch.status == "checking":
        raise RunRefused(_("The file is still being checked. Wait a moment."))
    if batch.status == "unreadable":
        raise RunRefused(_("This file cannot be imported: upload a corrected one."))
    if batch.status not in ("checked", "failed"):
        raise RunRefused(_("This import has already run."))
    if batch.valid_rows == 0:
        raise RunRefused(_("No row of this file can be imported."))
    if batch.errors and not valid_only:
        raise RunRefused(_("Some rows have errors: correct the file and upload it again, or "
                           "import the valid rows only."))
    batch.status, batch.valid_only, batch.processed, batch.failure = "running", valid_only, 0, ""
    audit(db, tenant.id, actor, "import.started", "import_batch", batch.id,
          after={"kind": batch.kind, "valid_only": valid_only})
    await jobs.defer(db, jobs.RUN_IMPORT, tenant.id, lock=f"import:{batch.id}",
                     batch_id=batch.id, base_url=links.base,
                     actor_id=str(actor.user_id) if actor.user_id else None,
                     actor_email=actor.email, actor_ip=actor.ip)
    await db.commit()
    return batch


async def run_batch(session_factory: async_sessionmaker[AsyncSession], storage: DocumentStorage,
                    tenant: TenantContext, actor: Actor, batch_id: uuid.UUID,
                    links: Links, max_rows: int = MAX_ROWS,
                    search: SearchBackend | None = None) -> None:
    """The job behind the staff page (app.tasks.run_import): the rows are written in
    one transaction (experts made searchable as they are, in search: see run_import); the progress counter is updated in short transactions of its own, so
    the page can poll it while the import runs. A file or its rows that cannot be imported
    end the batch failed, with the reason; an unexpected error does too, and is raised
    again so that the job is retried (the import writes all or nothing)."""
    with tenant_scope(tenant):
        async def set_batch(**values) -> None:
            async with session_factory() as db:
                await db.execute(update(ImportBatch).where(
                    ImportBatch.tenant_id == tenant.id, ImportBatch.id == batch_id)
                    .values(**values))
                await db.commit()

        done = 0

        async def progress(n: int) -> None:
            nonlocal done
            done += n
            await set_batch(processed=done)

        try:
            async with session_factory() as db:
                batch = await get_batch(db, tenant, batch_id)
            if batch.status == "done":  # a retried job whose import went through
                return
            await set_batch(status="running", failure="", processed=0)
            data = await storage.get(batch.storage_key)
            source = read_upload(data, batch.kind, max_rows)
            outcome = await run_import(session_factory, tenant, actor, source, batch.kind,
                                       batch.initial_status, batch.valid_only, links=links,
                                       batch_id=batch_id, progress=progress,
                                       free_skills=batch.free_skills, search=search)
            result = outcome.check
            if result.errors:
                await storage.put(rejected_key(batch), rejected_csv(result).encode("utf-8"))
            failure = outcome.failure
            if not outcome.written and not failure:
                failure = _("Some rows have errors, so nothing was imported.") if result.errors \
                    else _("No row of this file can be imported.")
            await set_batch(status="done" if outcome.written else "failed",
                            total_rows=result.total, valid_rows=result.valid,
                            processed=result.valid if outcome.written else done,
                            created_count=result.created if outcome.written else 0,
                            updated_count=result.updated if outcome.written else 0,
                            errors=error_dicts(result.errors), failure=failure,
                            finished_at=now())
            if outcome.written:
                await storage.delete(batch.storage_key)
        except ImportFileError as exc:
            await set_batch(status="failed", failure=exc.message, finished_at=now())
        except Exception as exc:  # the page must say it failed, not spin forever
            log.exception("import batch %s failed", batch_id)
            await set_batch(status="failed", finished_at=now(),
                            failure=_("The import failed and nothing was saved: %(reason)s")
                            % {"reason": str(exc)[:300]})
            raise

