"""Missions, their sectors and partner agencies.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        *base_columns(),
        sa.Column("slug", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("names", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("country_code", sa.String(2), nullable=False),
        sa.Column("default_locale", sa.String(8), nullable=False),
        sa.Column("locales", pg.ARRAY(sa.String(8)), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("settings", pg.JSONB, nullable=False, server_default="{}"),
        sa.CheckConstraint("status IN ('active', 'suspended')", name="status"),
    )
    op.create_table(
        "sectors",
        *base_columns(),
        tenant_id(),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("names", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("tenant_id", "code"),
    )
    enable_tenant_rls(op, "sectors")
    op.create_table(
        "partner_agencies",
        *base_columns(),
        tenant_id(),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("short_name", sa.String(40), nullable=False, server_default=""),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.UniqueConstraint("tenant_id", "code"),
        sa.CheckConstraint(
            "kind IN ('un_agency', 'ministry', 'committee', 'judiciary', 'ngo', 'other')",
            name="kind"),
        sa.CheckConstraint("status IN ('active', 'inactive')", name="status"),
    )
    enable_tenant_rls(op, "partner_agencies")


def downgrade() -> None:
    disable_tenant_rls(op, "partner_agencies")
    op.drop_table("partner_agencies")
    disable_tenant_rls(op, "sectors")
    op.drop_table("sectors")
    op.drop_table("tenants")
