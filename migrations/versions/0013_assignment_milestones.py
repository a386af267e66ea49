"""Assignments' milestones and deliverables, with their due dates, status and evidence;
the assignment's outputs in donors' figures; the final report's attachment; the expert's
rating of the host institution; the daily reminders sent and who turned them off; the
follow-up questionnaires 3 and 6 months after the work.

Revision ID: 0013
Revises: 0015 (written beside 0012-0015 on another branch: chained after the last of them,
so a database already at 0015 takes this one next)
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id, user_fk
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0013"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLES = ("assignment_milestones", "assignment_host_ratings", "assignment_reminders_sent",
          "assignment_reminder_opt_outs", "assignment_follow_ups")
ATTACHMENT = (("attachment_filename", sa.String(200)), ("attachment_content_type", sa.String(100)),
              ("attachment_size", sa.Integer), ("attachment_sha256", sa.String(64)),
              ("attachment_key", sa.String(300)))
OUTPUTS = ("trained_female", "trained_male", "trained_other", "trained_not_recorded",
           "sessions_held", "documents_produced", "institutions_supported")


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
    op.create_table(
        "assignment_host_ratings",
        *base_columns(), tenant_id(),
        sa.Column("assignment_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("assignments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("support_received", sa.Integer, nullable=False),
        sa.Column("preparation", sa.Integer, nullable=False),
        sa.Column("would_go_again", sa.Integer, nullable=False),
        sa.Column("comments", sa.Text, nullable=False, server_default=""),
        user_fk("submitted_by_id", ondelete="SET NULL", nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.UniqueConstraint("tenant_id", "assignment_id"),
        sa.CheckConstraint("support_received BETWEEN 1 AND 5 AND preparation BETWEEN 1 AND 5 "
                           "AND would_go_again BETWEEN 1 AND 5", name="scores"),
    )
    op.create_table(
        "assignment_reminders_sent",
        *base_columns(), tenant_id(), user_fk("user_id"),
        sa.Column("item", sa.String(60), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.UniqueConstraint("tenant_id", "user_id", "item", "day"),
    )
    op.create_index("ix_assignment_reminders_sent_tenant_id_day", "assignment_reminders_sent",
                    ["tenant_id", "day"])
    op.create_table(
        "assignment_reminder_opt_outs",
        *base_columns(), tenant_id(), user_fk("user_id"),
        sa.UniqueConstraint("tenant_id", "user_id"),
    )
    op.create_table(
        "assignment_follow_ups",
        *base_columns(), tenant_id(),
        sa.Column("assignment_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("assignments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        user_fk("user_id", ondelete="SET NULL", nullable=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("still_used", sa.String(8)),
        sa.Column("staff_applying", sa.Integer),
        sa.Column("changes", sa.Text, nullable=False, server_default=""),
        sa.Column("next_needs", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("tenant_id", "assignment_id", "round", "email"),
        sa.CheckConstraint("round IN (3, 6)", name="round"),
        sa.CheckConstraint("staff_applying IS NULL OR staff_applying >= 0", name="staff"),
    )
    for name, kind in ATTACHMENT:
        op.add_column("assignment_reports", sa.Column(name, kind))
    op.create_index("ix_assignment_milestones_tenant_id_assignment_id",
                    "assignment_milestones", ["tenant_id", "assignment_id"])
    op.create_index("ix_assignment_milestones_tenant_id_status_due_date",
                    "assignment_milestones", ["tenant_id", "status", "due_date"])
    for table in TABLES:
        enable_tenant_rls(op, table)
    for name in OUTPUTS:
        op.add_column("assignments", sa.Column(name, sa.Integer, nullable=False,
                                               server_default="0"))
    op.add_column("assignments", sa.Column("outputs_notes", sa.Text, nullable=False,
                                           server_default=""))
    op.create_check_constraint("outputs", "assignments",
                               " AND ".join(f"{name} >= 0" for name in OUTPUTS))


def downgrade() -> None:
    op.drop_constraint("ck_assignments_outputs", "assignments")
    for name, _kind in ATTACHMENT:
        op.drop_column("assignment_reports", name)
    for name in (*OUTPUTS, "outputs_notes"):
        op.drop_column("assignments", name)
    for table in reversed(TABLES):
        disable_tenant_rls(op, table)
        op.drop_table(table)
