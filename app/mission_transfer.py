"""Moving one mission between installations: `portal export-mission` writes a zip of its
rows and documents, `portal import-mission` loads it into another installation.

Generic over the SQLAlchemy metadata (app/domains.py imports every model), so a new table
travels without anyone adding it here:
- the `tenants` row of the mission, and every row of every table with a `tenant_id` of
  that mission, in foreign-key order;
- the global rows those rows point to (the users of its memberships, and anyone an audit
  event or a record names), and the global rows that belong to such a row (a user's
  recovery codes), unless the person already has an account in the other installation;
- the mission's documents folder (storage keys start with the mission's id).

Ids are kept (they are UUIDs), so documents' keys and every reference stay valid. A person
who already has an account in the receiving installation (same id or same email address)
keeps it: the mission's rows are pointed at that account, nothing of it is overwritten.

The file holds password hashes, second-factor secrets and personal data: it is written
readable by its owner only (0600) and must be kept like a database backup.
"""

from __future__ import annotations

import json
import os
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Table, any_, bindparam, insert, or_, select, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from app.db.base import Base
from app.db.migrate import current_revision
from app.storage import DocumentStorage

FORMAT = "diaspora-bridge-mission/1"

# Tables a mission's export leaves out, and why.
SKIPPED = {
    "search_outbox": "changes waiting for the search index: the index is rebuilt for the "
                     "mission after the import",
    "outbox_mails": "mail queued by the installation the mission leaves: the other "
                    "installation's worker would send waiting mail a second time",
    "sso_login_states": "single sign-ons in progress, valid for minutes",
    "user_sessions": "sign-ins belong to the installation: people sign in again there",
}
# Tables the export leaves out because the receiving database derives them again.
REBUILT = {
    "expert_sectors": "each profile's sectors as rows, filled by the database's triggers "
                      "as the profiles arrive",
}
_LEFT_OUT = SKIPPED.keys() | REBUILT.keys()
# A global column that grants rights over the whole installation, not over the mission:
# a person new to the receiving installation arrives without it.
INSTALLATION_RIGHTS = {"users": ("is_platform_admin",)}

_BATCH = 1000


class TransferRefused(Exception):
    """An export or import that cannot be done, with the reason for the person at the
    command line."""


@dataclass
class ImportOutcome:
    slug: str
    rows: dict[str, int] = field(default_factory=dict)
    documents: int = 0
    people_linked: int = 0  # people who already had an account here


def _tenant_scoped(table: Table) -> bool:
    return "tenant_id" in table.c and table.name != "tenants"


def _columns(table: Table) -> list[str]:
    return [c.name for c in table.c if c.computed is None]  # computed ones are PostgreSQL's


def _plan() -> tuple[Table, list[Table], list[Table], list[Table]]:
    """The mission's row; the global tables its rows point to (users); the mission's own
    tables; the global tables whose rows belong to a row of the first (recovery codes).
    Each in foreign-key order."""
    tables = list(Base.metadata.sorted_tables)
    scoped = [t for t in tables if _tenant_scoped(t) and t.name not in _LEFT_OUT]
    needed = [t for t in tables
              if not _tenant_scoped(t) and t.name not in _LEFT_OUT and t.name != "tenants"
              and any(fk.column.table is t for s in scoped for fk in s.foreign_keys)]
    belonging = [t for t in tables
                 if not _tenant_scoped(t) and t.name not in _LEFT_OUT and t not in needed
                 and any(fk.column.table in needed for fk in t.foreign_keys)]
    return Base.metadata.tables["tenants"], needed, scoped, belonging


def _encode(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):  # written as text: a float would round it
        return str(value)
    raise TypeError(f"cannot write a {type(value).__name__} into a mission export")


_DECODERS: dict[type, Callable[[str], Any]] = {
    uuid.UUID: uuid.UUID, datetime: datetime.fromisoformat, date: date.fromisoformat,
    time: time.fromisoformat, Decimal: Decimal}


def _decoder(column):
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return None
    if kind is list:
        item = _DECODERS.get(column.type.item_type.python_type)
        return (lambda values: [item(v) for v in values]) if item else None
    return _DECODERS.get(kind)


def _decode_rows(table: Table, lines: Iterator[bytes]) -> Iterator[dict[str, Any]]:
    decoders = {c.name: d for c in table.c if (d := _decoder(c)) is not None}
    for line in lines:
        row = json.loads(line)
        for name, decode in decoders.items():
            if row.get(name) is not None:
                row[name] = decode(row[name])
        yield row


async def _scope(conn: AsyncConnection, tenant_id: uuid.UUID) -> None:
    # The owner role is held to row-level security too (FORCE): the mission's rows only.
    await conn.execute(text("SELECT set_config('app.tenant_id', :id, true)"),
                       {"id": str(tenant_id)})


# --- export ---------------------------------------------------------------------------------

async def export_mission(owner_url: URL, storage: DocumentStorage, slug: str,
                         target: Path) -> dict[str, int]:
    """Write the mission's rows and documents to target (a zip, mode 0600), from one
    consistent snapshot of the database. Returns the row count per table."""
    tenants, needed, scoped, belonging = _plan()
    engine = create_async_engine(owner_url, isolation_level="REPEATABLE READ")
    partial = target.with_name(target.name + ".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when a leftover .part file existed with another mode
    counts: dict[str, int] = {}
    try:
        with os.fdopen(fd, "wb") as out, \
                zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            async with engine.connect() as conn:
                mission = (await conn.execute(select(tenants).where(tenants.c.slug == slug))
                           ).mappings().one_or_none()
                if mission is None:
                    raise TransferRefused(f"no mission with slug {slug!r}")
                tenant_id = mission["id"]
                await _scope(conn, tenant_id)
                revision = await current_revision(conn)
                counts["tenants"] = await _write_rows(
                    archive, conn, tenants, select(tenants).where(tenants.c.id == tenant_id))
                referenced: dict[str, set[uuid.UUID]] = {t.name: set() for t in needed}
                for table in scoped:
                    links = [(fk.parent.name, fk.column.table.name) for fk in table.foreign_keys
                             if fk.column.table.name in referenced]
                    counts[table.name] = await _write_rows(
                        archive, conn, table,
                        select(*table.c).where(table.c.tenant_id == tenant_id),
                        links=links, referenced=referenced)
                for table in needed:
                    ids = list(referenced[table.name])
                    counts[table.name] = await _write_rows(
                        archive, conn, table, select(*table.c).where(_among(table.c.id, ids)))
                for table in belonging:
                    conditions = [_among(fk.parent, list(referenced[fk.column.table.name]))
                                  for fk in table.foreign_keys
                                  if fk.column.table.name in referenced]
                    counts[table.name] = await _write_rows(
                        archive, conn, table, select(*table.c).where(or_(*conditions)))
            documents = await storage.keys(f"{tenant_id}/")
            for key in documents:
                archive.writestr(f"documents/{key}", await storage.get(key))
            archive.writestr("manifest.json", json.dumps({
                "format": FORMAT, "revision": revision, "slug": slug,
                "tenant_id": str(tenant_id), "exported_at": datetime.now(UTC).isoformat(),
                "rows": counts, "documents": len(documents),
                "skipped": SKIPPED | REBUILT}, indent=2))
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        await engine.dispose()
    return counts


def _among(column, values: list) -> ColumnElement[bool]:
    """column = ANY(one array parameter): a mission's 100,000 people are more than the
    32,767 parameters one statement may have."""
    return column == any_(bindparam(None, values, type_=ARRAY(column.type)))


async def _write_rows(archive: zipfile.ZipFile, conn: AsyncConnection, table: Table, query,
                      links: list[tuple[str, str]] | None = None,
                      referenced: dict[str, set[uuid.UUID]] | None = None) -> int:
    columns = _columns(table)
    count = 0
    with archive.open(f"tables/{table.name}.jsonl", "w") as member:
        result = await conn.stream(query.execution_options(yield_per=_BATCH))
        async for row in result.mappings():
            member.write(json.dumps({c: row[c] for c in columns}, default=_encode,
                                    ensure_ascii=False).encode() + b"\n")
            for column, parent in links or ():
                if row[column] is not None and referenced is not None:
                    referenced[parent].add(row[column])
            count += 1
    return count


# --- import ---------------------------------------------------------------------------------

def _manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise TransferRefused("not a mission export (no manifest)") from exc
    if manifest.get("format") != FORMAT:
        raise TransferRefused(f"not a mission export of this kind ({manifest.get('format')!r})")
    return manifest


def _lines(archive: zipfile.ZipFile, table: Table) -> Iterator[bytes]:
    try:
        member = archive.open(f"tables/{table.name}.jsonl")
    except KeyError:  # a table the exporting installation did not have
        return
    with member:
        yield from member  # line by line


async def import_mission(owner_url: URL, storage: DocumentStorage, source: Path) -> ImportOutcome:
    """Load an export into this installation in one transaction: all of it or nothing.
    Refuses a mission whose slug or id is already here, and a file written at another
    schema revision. The caller rebuilds the mission's search index afterwards."""
    tenants, needed, scoped, belonging = _plan()
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile as exc:
        raise TransferRefused(f"{source.name} is not a mission export (not a zip file)") from exc
    engine = create_async_engine(owner_url)
    written: list[str] = []
    try:
        with archive:
            manifest = _manifest(archive)
            tenant_id = uuid.UUID(manifest["tenant_id"])
            outcome = ImportOutcome(slug=manifest["slug"])
            async with engine.connect() as conn:
                revision = await current_revision(conn)
                if manifest["revision"] != revision:
                    raise TransferRefused(
                        f"the file was written at schema revision {manifest['revision']}, this "
                        f"installation is at {revision}: bring both to the same version "
                        "(portal migrate) first")
                await _refuse_existing(conn, tenants, tenant_id, outcome.slug)
                if await storage.keys(f"{tenant_id}/"):
                    raise TransferRefused(f"documents of mission {tenant_id} are already in "
                                          "the documents folder; remove them first")
                async with conn.begin():
                    await _scope(conn, tenant_id)
                    outcome.rows["tenants"] = await _insert(
                        conn, tenants, _decode_rows(tenants, _lines(archive, tenants)))
                    same_people: dict[uuid.UUID, uuid.UUID] = {}
                    new_ids: dict[str, set[uuid.UUID]] = {}
                    for table in needed:
                        new_ids[table.name] = await _insert_global(
                            conn, table, _decode_rows(table, _lines(archive, table)),
                            same_people)
                        outcome.rows[table.name] = len(new_ids[table.name])
                    outcome.people_linked = len(same_people)
                    for table in scoped:
                        outcome.rows[table.name] = await _insert(
                            conn, table, _parents_first(table, _repointed(
                                _decode_rows(table, _lines(archive, table)), table,
                                same_people)))
                    for table in belonging:
                        # Only what belongs to a row new here: a person who had an
                        # account keeps their own recovery codes.
                        owners = [(fk.parent.name, new_ids[fk.column.table.name])
                                  for fk in table.foreign_keys if fk.column.table.name in new_ids]
                        rows = (row for row in _decode_rows(table, _lines(archive, table))
                                if all(row[c] is None or row[c] in ids for c, ids in owners))
                        outcome.rows[table.name] = await _insert(conn, table, rows)
                    for name in archive.namelist():
                        if name.startswith("documents/") and not name.endswith("/"):
                            key = name.removeprefix("documents/")
                            if not key.startswith(f"{tenant_id}/"):
                                raise TransferRefused(f"a document outside the mission: {key}")
                            await storage.put(key, archive.read(name))
                            written.append(key)
                    outcome.documents = len(written)
    except BaseException:
        for key in written:  # the rows were rolled back: their files go too
            await storage.delete(key)
        raise
    finally:
        await engine.dispose()
    return outcome


async def _refuse_existing(conn: AsyncConnection, tenants: Table, tenant_id: uuid.UUID,
                           slug: str) -> None:
    existing = (await conn.execute(select(tenants.c.slug).where(
        or_(tenants.c.slug == slug, tenants.c.id == tenant_id)))).scalars().all()
    await conn.rollback()
    if existing:
        raise TransferRefused(
            f"this installation already has the mission {existing[0]!r}: importing over it is "
            "refused (remove or rename it first)")


async def _insert(conn: AsyncConnection, table: Table, rows) -> int:
    columns = set(_columns(table))
    count, batch = 0, []
    for row in rows:
        batch.append({c: v for c, v in row.items() if c in columns})
        if len(batch) == _BATCH:
            await conn.execute(insert(table), batch)
            count, batch = count + len(batch), []
    if batch:
        await conn.execute(insert(table), batch)
        count += len(batch)
    return count


async def _insert_global(conn: AsyncConnection, table: Table, rows,
                         same: dict[uuid.UUID, uuid.UUID]) -> set[uuid.UUID]:
    """Insert the global rows this installation does not have; a row it has, by id or by
    a unique column (a person's email address), is used instead, unchanged: `same` maps
    the file's id to this installation's. Returns the ids of the rows inserted."""
    unique = [c for c in table.c if c.unique and c.name != "id"]
    new: set[uuid.UUID] = set()
    batch: list[dict[str, Any]] = []

    async def flush() -> None:
        found = (await conn.execute(select(table.c.id, *unique).where(or_(
            table.c.id.in_([r["id"] for r in batch]),
            *[c.in_([r[c.name] for r in batch]) for c in unique])))).all()
        here: dict[tuple[str | None, Any], uuid.UUID] = {(None, row.id): row.id for row in found}
        here |= {(c.name, row._mapping[c.name]): row.id for row in found for c in unique}
        fresh = []
        for row in batch:
            keys = [(None, row["id"])] + [(c.name, row[c.name]) for c in unique]
            match = next((here[k] for k in keys if k in here), None)
            if match is not None:
                same[row["id"]] = match
                continue
            for column in INSTALLATION_RIGHTS.get(table.name, ()):
                row[column] = False
            fresh.append(row)
            new.add(row["id"])
        await _insert(conn, table, fresh)
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) == _BATCH:
            await flush()
    if batch:
        await flush()
    return new


def _repointed(rows, table: Table, same: dict[uuid.UUID, uuid.UUID]):
    """Rows whose references to a person who already had an account here point at that
    account (any UUID column: an audit event's subject names a person without a foreign
    key; ids are unique across tables, so nothing else can match)."""
    moved = {a: b for a, b in same.items() if a != b}
    columns = [c.name for c in table.c if c.name != "id" and _decoder(c) is uuid.UUID]
    for row in rows:
        if moved:
            for column in columns:
                if row.get(column) in moved:
                    row[column] = moved[row[column]]
        yield row


def _parents_first(table: Table, rows):
    """A table pointing at itself (a cascade training's parent) gets its parents inserted
    before their children."""
    own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    if not own:
        yield from rows
        return
    pending = list(rows)
    placed: set[Any] = set()
    ids = {row["id"] for row in pending}
    while pending:
        ready = [r for r in pending
                 if all(r[c] is None or r[c] not in ids or r[c] in placed for c in own)]
        if not ready:
            raise TransferRefused(f"{table.name}: rows that point at each other in a circle")
        for row in ready:
            placed.add(row["id"])
            yield row
        ready_ids = {id(r) for r in ready}
        pending = [r for r in pending if id(r) not in ready_ids]
