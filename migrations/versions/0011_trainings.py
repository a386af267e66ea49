"""Trainings recorded by partner agencies: the activity, its participants counted by sex
and by institution.

Revision ID: 0011
Revises: 0010 (0011 is taken by another branch; the merge chains this one after it)
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id, user_fk
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("trainings", "training_institution_counts")
SEXES = ("female", "male", "other", "not_recorded")


def _counts() -> list[sa.Column]:
    return [sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in SEXES]


def _non_negative(table: str) -> None:
    op.create_check_constraint("counts", table,
                               " AND ".join(f"{name} >= 0" for name in SEXES))


def upgrade() -> None:
    op.create_table(
        "trainings",
        *base_columns(), tenant_id(),
        sa.Column("partner_agency_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("partner_agencies.id", ondelete="CASCADE"), nullable=False),
        sa.Column("parent_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("trainings.id", ondelete="SET NULL"), nullable=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("thematic_area", sa.String(32), nullable=False),
        sa.Column("thematic_other", sa.String(200), nullable=False, server_default=""),
        sa.Column("curriculum", sa.String(300), nullable=False, server_default=""),
        sa.Column("target_group", sa.String(300), nullable=False, server_default=""),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("place", sa.String(200), nullable=False, server_default=""),
        sa.Column("facilitators", sa.Text, nullable=False, server_default=""),
        *_counts(),
        sa.Column("status", sa.String(16), nullable=False, server_default="planned"),
        sa.Column("status_reason", sa.Text, nullable=False, server_default=""),
        user_fk("created_by_id", ondelete="SET NULL", nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("end_date >= start_date", name="dates"),
        sa.CheckConstraint("status IN ('planned', 'held', 'submitted', 'returned', "
                           "'approved')", name="status"),
    )
    _non_negative("trainings")
    op.create_index("ix_trainings_tenant_id_partner_agency_id", "trainings",
                    ["tenant_id", "partner_agency_id"])
    op.create_index("ix_trainings_tenant_id_status", "trainings", ["tenant_id", "status"])
    op.create_index("ix_trainings_tenant_id_parent_id", "trainings", ["tenant_id", "parent_id"])
    op.create_table(
        "training_institution_counts",
        *base_columns(), tenant_id(),
        sa.Column("training_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("trainings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("institution", sa.String(300), nullable=False),
        *_counts(),
    )
    _non_negative("training_institution_counts")
    op.create_index("ix_training_institution_counts_tenant_id_training_id",
                    "training_institution_counts", ["tenant_id", "training_id"])
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_rls(op, table)
        op.drop_table(table)
