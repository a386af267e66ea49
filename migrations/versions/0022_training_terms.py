"""A mission's thematic areas and curricula for its trainings, from its mission file (until
a mission is provisioned again, the portal offers the built-in thematic areas).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_terms",
        *base_columns(), tenant_id(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("names", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("tenant_id", "kind", "code"),
        sa.CheckConstraint("kind IN ('area', 'curriculum')", name="kind"),
    )
    enable_tenant_rls(op, "training_terms")


def downgrade() -> None:
    disable_tenant_rls(op, "training_terms")
    op.drop_table("training_terms")
