"""Columns every table of the portal starts with, for migrations (mirrors app.db.base)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg


def base_columns() -> list[sa.Column]:
    return [
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
    ]


def tenant_id() -> sa.Column:
    return sa.Column("tenant_id", pg.UUID(as_uuid=True),
                     sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)


def user_fk(name: str, ondelete: str = "CASCADE", nullable: bool = False) -> sa.Column:
    return sa.Column(name, pg.UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete=ondelete),
                     nullable=nullable)


def timestamp(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)
