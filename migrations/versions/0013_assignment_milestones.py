"""Assignments' milestones and deliverables, with their due dates, status and evidence.

Revision ID: 0013
Revises: 0011 (0012 is another branch's; the merge chains this one after it)
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id, user_fk
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("assignment_milestones",)


def upgrade() -> None:
    op.create_table(
        "assignment_milestones",
        *base_columns(), tenant_id(),
        sa.Column("assignment_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("assignments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("kind", sa.String(16), nullable=False, server_default="milestone"),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.Column("evidence_filename", sa.String(200)),
        sa.Column("evidence_content_type", sa.String(100)),
        sa.Column("evidence_size", sa.Integer),
        sa.Column("evidence_sha256", sa.String(64)),
        sa.Column("evidence_key", sa.String(300)),
        user_fk("evidence_by_id", ondelete="SET NULL", nullable=True),
        sa.CheckConstraint("kind IN ('milestone', 'deliverable')", name="kind"),
        sa.CheckConstraint("status IN ('pending', 'done', 'dropped')", name="status"),
    )
    op.create_index("ix_assignment_milestones_tenant_id_assignment_id",
                    "assignment_milestones", ["tenant_id", "assignment_id"])
    op.create_index("ix_assignment_milestones_tenant_id_status_due_date",
                    "assignment_milestones", ["tenant_id", "status", "due_date"])
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_rls(op, table)
        op.drop_table(table)
