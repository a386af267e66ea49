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

from contextlib import contextmanager

import asyncpg
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import note_write

UNSECURED_TABLES = frozenset({"users"})


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
        """new_ids: the rows have no id column; each gets gen_random_uuid() (cheaper than
        uuid4() in Python, for rows nobody refers to by id right away)."""
        if not records:
            return
        if self.db is not None:  # its commit tells the caches (app/db/session.py)
            note_write(self.db.sync_session, table)
        with _as_sqlalchemy_error(table):
            await self._write(table, columns, records, new_ids)

    async def _write(self, table: str, columns: tuple[str, ...], records: list[tuple],
                     new_ids: bool) -> None:
        if table in UNSECURED_TABLES and not new_ids:
            await self.conn.copy_records_to_table(table, records=records, columns=columns)
            return
        stage, cols = f"_stage_{table}", ", ".join(columns)
        if self.staged.get(table) != columns:
            await self.conn.execute(f"DROP TABLE IF EXISTS {stage}")
            await self.conn.execute(f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS "
                                    f"SELECT {cols} FROM {table} WITH NO DATA")
            self.staged[table] = columns
        await self.conn.copy_records_to_table(stage, records=records, columns=columns)
        if new_ids:
            await self.conn.execute(f"INSERT INTO {table} (id, {cols}) "
                                    f"SELECT gen_random_uuid(), {cols} FROM {stage}")
        else:
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
