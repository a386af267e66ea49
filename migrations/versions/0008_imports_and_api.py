"""Imports (batches with their preview errors and progress, external references on
experts and requests so a re-import updates) and API tokens.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id, timestamp, user_fk
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("import_batches", "api_tokens")


def upgrade() -> None:
    for table in ("expert_profiles", "assignment_requests"):
        op.add_column(table, sa.Column("external_ref", sa.String(120)))
        op.create_unique_constraint(f"uq_{table}_tenant_id_external_ref", table,
                                    ["tenant_id", "external_ref"])
    op.create_table(
        "import_batches",
        *base_columns(), tenant_id(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="checked"),
        sa.Column("initial_status", sa.String(16), nullable=False, server_default="submitted"),
        sa.Column("valid_only", sa.Boolean, nullable=False, server_default=sa.false()),
        *(sa.Column(name, sa.Integer, nullable=False, server_default="0")
          for name in ("total_rows", "valid_rows", "processed", "created_count",
                       "updated_count")),
        sa.Column("errors", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("failure", sa.Text, nullable=False, server_default=""),
        user_fk("created_by_id", ondelete="SET NULL", nullable=True),
        timestamp("finished_at"),
        sa.CheckConstraint("kind IN ('experts', 'requests')", name="kind"),
        sa.CheckConstraint("status IN ('checked', 'running', 'done', 'failed')", name="status"),
    )
    op.create_index("ix_import_batches_tenant_id_created_at", "import_batches",
                    ["tenant_id", "created_at"])
    op.create_table(
        "api_tokens",
        *base_columns(), tenant_id(),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(12), nullable=False),
        user_fk("created_by_id", ondelete="SET NULL", nullable=True),
        timestamp("last_used_at"), timestamp("revoked_at"),
    )
    op.create_index("ix_api_tokens_tenant_id_created_at", "api_tokens",
                    ["tenant_id", "created_at"])
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_rls(op, table)
    op.drop_table("api_tokens")
    op.drop_table("import_batches")
    for table in ("assignment_requests", "expert_profiles"):
        op.drop_constraint(f"uq_{table}_tenant_id_external_ref", table, type_="unique")
        op.drop_column(table, "external_ref")
