"""Assignment tracking: dates, modality, duty station and a version on the assignment; the
mission's preparation checklist and its ticks; the expert's final report and the host
institution's evaluation.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id, user_fk
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("assignment_checklist_items", "assignment_checklist_ticks", "assignment_reports",
          "assignment_evaluations")


def _reviewed() -> list[sa.Column]:
    """Sent by one party, accepted or returned by staff (app.assignments.models._Reviewed)."""
    return [sa.Column("assignment_id", pg.UUID(as_uuid=True),
                      sa.ForeignKey("assignments.id", ondelete="CASCADE"), nullable=False),
            sa.Column("status", sa.String(16), nullable=False, server_default="submitted"),
            user_fk("submitted_by_id", ondelete="SET NULL", nullable=True),
            sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False,
                      server_default=sa.func.now()),
            user_fk("reviewed_by_id", ondelete="SET NULL", nullable=True),
            sa.Column("reviewed_at", sa.DateTime(timezone=True)),
            sa.Column("return_reason", sa.Text, nullable=False, server_default=""),
            sa.UniqueConstraint("tenant_id", "assignment_id"),
            sa.CheckConstraint("status IN ('submitted', 'accepted', 'returned')",
                               name="status")]


def upgrade() -> None:
    for name in ("planned_start", "planned_end", "actual_start", "actual_end"):
        op.add_column("assignments", sa.Column(name, sa.Date))
    op.add_column("assignments", sa.Column("modality", sa.String(16), nullable=False,
                                           server_default="on_site"))
    op.add_column("assignments", sa.Column("duty_station", sa.String(200), nullable=False,
                                           server_default=""))
    op.add_column("assignments", sa.Column("status_reason", sa.Text, nullable=False,
                                           server_default=""))
    op.add_column("assignments", sa.Column("closed_without_evaluation", sa.Boolean,
                                           nullable=False, server_default=sa.false()))
    op.add_column("assignments", sa.Column("version", sa.Integer, nullable=False,
                                           server_default="1"))
    op.add_column("assignments", sa.Column("updated_at", sa.DateTime(timezone=True),
                                           nullable=False, server_default=sa.func.now()))
    op.create_check_constraint("modality", "assignments",
                               "modality IN ('on_site', 'remote', 'hybrid')")
    op.create_check_constraint("dates", "assignments",
                               "planned_end IS NULL OR planned_start IS NULL "
                               "OR planned_end >= planned_start")
    op.create_index("ix_assignments_tenant_id_status", "assignments", ["tenant_id", "status"])
    op.create_index("ix_assignments_tenant_id_profile_id", "assignments",
                    ["tenant_id", "profile_id"])
    op.create_table(
        "assignment_checklist_items",
        *base_columns(), tenant_id(),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("label", sa.String(200), nullable=False, server_default=""),
        sa.Column("remote", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.UniqueConstraint("tenant_id", "code"),
    )
    op.create_table(
        "assignment_checklist_ticks",
        *base_columns(), tenant_id(),
        sa.Column("assignment_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("assignments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("item_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("assignment_checklist_items.id", ondelete="CASCADE"),
                  nullable=False),
        user_fk("ticked_by_id", ondelete="SET NULL", nullable=True),
        sa.Column("ticked_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.UniqueConstraint("tenant_id", "assignment_id", "item_id"),
    )
    op.create_table(
        "assignment_reports",
        *base_columns(), tenant_id(), *_reviewed(),
        *(sa.Column(name, sa.Text, nullable=False, server_default="")
          for name in ("activities", "results", "challenges", "recommendations")),
    )
    criteria = ("relevance", "quality", "timeliness", "knowledge_transfer", "would_host_again")
    op.create_table(
        "assignment_evaluations",
        *base_columns(), tenant_id(), *_reviewed(),
        *(sa.Column(name, sa.Integer, nullable=False) for name in criteria),
        sa.Column("comments", sa.Text, nullable=False, server_default=""),
        sa.CheckConstraint(" AND ".join(f"{name} BETWEEN 1 AND 5" for name in criteria),
                           name="scores"),
    )
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_rls(op, table)
        op.drop_table(table)
    op.drop_index("ix_assignments_tenant_id_profile_id", "assignments")
    op.drop_index("ix_assignments_tenant_id_status", "assignments")
    op.drop_constraint("ck_assignments_dates", "assignments")
    op.drop_constraint("ck_assignments_modality", "assignments")
    for name in ("updated_at", "version", "closed_without_evaluation", "status_reason",
                 "duty_station", "modality", "actual_end", "actual_start", "planned_end",
                 "planned_start"):
        op.drop_column("assignments", name)
