"""Many rows at once, inside the caller's transaction: COPY, PostgreSQL's fastest way in.

PostgreSQL refuses COPY FROM into a table with row-level security, so rows of a mission's
tables are COPYed into a temporary staging table (dropped at commit) and moved with one
INSERT ... SELECT, which the policy's WITH CHECK still sees row by row; a table without
row-level security (users are global) takes the COPY straight in. Columns left out take
their server defaults only: Python-side defaults of the models do not apply here.

JSONB values are passed as JSON text (json.dumps), as the connection's codec expects. The
driver's errors are raised as SQLAlchemy's (IntegrityError, DBAPIError), like those of
statements run through the session."""

from __future__ import annotations

import os
from contextlib import contextmanager

import asyncpg
from asyncpg.pgproto.pgproto import UUID
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import note_write

UNSECURED_TABLES = frozenset({"users"})
# Version 4 UUIDs from 16 random bytes each: the version and variant bits set in one
# operation on a whole batch's bytes.
_KEEP, _SET = bytes.fromhex("ffffffffffff0fff3fffffffffffffff"), \
    bytes.fromhex("00000000000040008000000000000000")


def random_ids(n: int) -> list[UUID]:
    """n random (version 4) UUIDs, as the driver's own UUID type (written without
    conversion). PostgreSQL's gen_random_uuid() cost 5-9 µs a row in the embedded server,
    whose build reads /dev/urandom for every call: a tenth of an import's write."""
    if n <= 0:
        return []
    size = 16 * n
    raw = (int.from_bytes(os.urandom(size), "big") & int.from_bytes(_KEEP * n, "big")
           | int.from_bytes(_SET * n, "big")).to_bytes(size, "big")
    return [UUID(raw[i:i + 16]) for i in range(0, size, 16)]


class CopyWriter:
    def __init__(self, conn, db: AsyncSession | None = None):
        self.conn = conn  # an asyncpg connection: the session's, when there is one
        self.db = db
        self.staged: dict[str, tuple[str, ...]] = {}  # table -> the columns its stage has

    @classmethod
    async def of(cls, db: AsyncSession) -> CopyWriter:
        """On the session's own connection and transaction (begun if it was not)."""
        connection = await db.connection()
        raw = await connection.get_raw_connection()
        return cls(raw.driver_connection, db)

    async def write(self, table: str, columns: tuple[str, ...], records: list[tuple], *,
                    new_ids: bool = False) -> None:
        """new_ids: the rows have no id column; each gets a new random one (random_ids)."""
        if not records:
            return
        if self.db is not None:  # its commit tells the caches (app/db/session.py)
            note_write(self.db.sync_session, table)
        with _as_sqlalchemy_error(table):
            await self._write(table, columns, records, new_ids)

    async def _write(self, table: str, columns: tuple[str, ...], records: list[tuple],
                     new_ids: bool) -> None:
        if new_ids:
            columns = ("id", *columns)
            records = [(i, *r) for i, r in zip(random_ids(len(records)), records, strict=True)]
        if table in UNSECURED_TABLES:
            await self.conn.copy_records_to_table(table, records=records, columns=columns)
            return
        stage, cols = f"_stage_{table}", ", ".join(columns)
        if self.staged.get(table) != columns:
            await self.conn.execute(f"DROP TABLE IF EXISTS {stage}")
            await self.conn.execute(f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS "
                                    f"SELECT {cols} FROM {table} WITH NO DATA")
            self.staged[table] = columns
        await self.conn.copy_records_to_table(stage, records=records, columns=columns)
        await self.conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage}")
        await self.conn.execute(f"TRUNCATE {stage}")


@contextmanager
def _as_sqlalchemy_error(table: str):
    try:
        yield
    except asyncpg.PostgresError as exc:
        error = IntegrityError if isinstance(exc, asyncpg.IntegrityConstraintViolationError) \
            else DBAPIError
        raise error(f"COPY into {table}", None, exc) from exc
