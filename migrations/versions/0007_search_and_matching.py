"""The search outbox, shortlists, assignments created from a confirmed selection, and
saved registry searches.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id, timestamp, user_fk
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("search_outbox", "shortlist_entries", "assignments", "saved_searches")


def fk(name: str, table: str, ondelete: str = "CASCADE", nullable: bool = False) -> sa.Column:
    return sa.Column(name, pg.UUID(as_uuid=True), sa.ForeignKey(f"{table}.id", ondelete=ondelete),
                     nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "search_outbox",
        *base_columns(), tenant_id(),
        sa.Column("index", sa.String(32), nullable=False),
        sa.Column("object_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        timestamp("next_attempt_at"),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_search_outbox_tenant_id_next_attempt_at", "search_outbox",
                    ["tenant_id", "next_attempt_at"])
    op.add_column("assignment_requests", timestamp("shortlist_shared_at"))
    op.create_table(
        "shortlist_entries",
        *base_columns(), tenant_id(),
        fk("request_id", "assignment_requests"), fk("profile_id", "expert_profiles"),
        sa.Column("status", sa.String(16), nullable=False, server_default="proposed"),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("score", sa.Integer),
        sa.Column("explanation", pg.JSONB, nullable=False, server_default="{}"),
        user_fk("added_by_id", ondelete="SET NULL", nullable=True),
        timestamp("invited_at"), timestamp("responded_at"),
        sa.Column("response_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("chosen_by_institution", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("tenant_id", "request_id", "profile_id"),
        sa.CheckConstraint("status IN ('proposed', 'interested', 'invited', 'accepted', "
                           "'declined', 'selected', 'not_selected')", name="status"),
    )
    op.create_table(
        "assignments",
        *base_columns(), tenant_id(),
        fk("request_id", "assignment_requests"), fk("profile_id", "expert_profiles"),
        fk("shortlist_entry_id", "shortlist_entries", "SET NULL", nullable=True),
        sa.Column("slot", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="planned"),
        user_fk("confirmed_by_id", ondelete="SET NULL", nullable=True),
        sa.UniqueConstraint("tenant_id", "request_id", "slot"),
        sa.UniqueConstraint("tenant_id", "request_id", "profile_id"),
        sa.CheckConstraint("slot >= 1", name="slot"),
        sa.CheckConstraint("status IN ('planned', 'contracted', 'in_progress', 'completed', "
                           "'evaluated', 'cancelled')", name="status"),
    )
    op.create_table(
        "saved_searches",
        *base_columns(), tenant_id(), user_fk("user_id"),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("query", sa.String(2000), nullable=False),
    )
    op.create_index("ix_saved_searches_tenant_id_user_id", "saved_searches",
                    ["tenant_id", "user_id"])
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_rls(op, table)
    for table in ("saved_searches", "assignments", "shortlist_entries"):
        op.drop_table(table)
    op.drop_column("assignment_requests", "shortlist_shared_at")
    op.drop_table("search_outbox")
