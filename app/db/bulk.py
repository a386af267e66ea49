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
import struct
import time
from contextlib import contextmanager

import asyncpg
from asyncpg.pgproto.pgproto import UUID
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import note_write

UNSECURED_TABLES = frozenset({"users"})
_RANDOM_BITS = 42
_LOW_62 = (1 << 62) - 1


def ascending_ids(n: int) -> list[UUID]:
    """n new ids, in ascending order: version 7 UUIDs (RFC 9562: the time in milliseconds,
    then random bits), whose 74 free bits here hold the position in the batch above 42
    random bits. A B-tree of ascending keys takes each new one on its rightmost page, where
    random (version 4) keys touch a page anywhere in the index for every row, which at an
    import of 100,000 experts (a million index entries per table) was most of PostgreSQL's
    work. Made here rather than with gen_random_uuid(), which the embedded server's build
    makes from /dev/urandom, 5-9 µs a row. As the driver's own UUID type: written as is."""
    if n <= 0:
        return []
    head = (time.time_ns() // 1_000_000) << 80 | 0x7 << 76 | 0b10 << 62
    mask = (1 << _RANDOM_BITS) - 1
    ids = []
    # the random bits unpacked in one call (slicing the bytes row by row cost a third)
    for i, noise in enumerate(struct.unpack(f">{n}Q", os.urandom(8 * n))):
        free = i << _RANDOM_BITS | noise & mask
        ids.append(UUID((head | (free >> 62) << 64 | free & _LOW_62).to_bytes(16, "big")))
    return ids


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
        """new_ids: the rows have no id column; each gets a new one (ascending_ids)."""
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
            records = [(i, *r) for i, r in zip(ascending_ids(len(records)), records,
                                               strict=True)]
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
