"""Funding projects of a mission (name, donor, code, period, active or closed), named by
trainings and assignments; a training also names the assignment that delivered it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _project_fk() -> sa.Column:
    return sa.Column("funding_project_id", pg.UUID(as_uuid=True),
                     sa.ForeignKey("funding_projects.id", ondelete="SET NULL"), nullable=True)


def upgrade() -> None:
    op.create_table(
        "funding_projects",
        *base_columns(), tenant_id(),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("donor", sa.String(200), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.UniqueConstraint("tenant_id", "code"),
        sa.CheckConstraint("end_date >= start_date", name="dates"),
        sa.CheckConstraint("status IN ('active', 'closed')", name="status"),
    )
    enable_tenant_rls(op, "funding_projects")
    op.add_column("trainings", _project_fk())
    op.add_column("trainings", sa.Column(
        "assignment_id", pg.UUID(as_uuid=True),
        sa.ForeignKey("assignments.id", ondelete="SET NULL"), nullable=True))
    op.add_column("assignments", _project_fk())


def downgrade() -> None:
    op.drop_column("assignments", "funding_project_id")
    op.drop_column("trainings", "assignment_id")
    op.drop_column("trainings", "funding_project_id")
    disable_tenant_rls(op, "funding_projects")
    op.drop_table("funding_projects")
