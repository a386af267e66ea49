"""Single sign-on: identity providers per mission, sign-ins in flight, linked identities.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id, timestamp, user_fk
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TENANT_TABLES = ("identity_providers", "sso_login_states", "user_identities")


def _provider_fk() -> sa.Column:
    return sa.Column("provider_id", pg.UUID(as_uuid=True),
                     sa.ForeignKey("identity_providers.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "identity_providers",
        *base_columns(),
        tenant_id(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("client_secret_encrypted", sa.Text, nullable=False),
        sa.Column("allowed_domains", pg.ARRAY(sa.String(253)), nullable=False),
        sa.Column("default_role", sa.String(32), nullable=False),
        sa.Column("partner_agency_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("partner_agencies.id")),
        sa.Column("existing_members_only", sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        timestamp("updated_at"),
        sa.UniqueConstraint("tenant_id", "name"),
        sa.CheckConstraint("default_role IN ('partner_user', 'staff', 'institution_focal_point')",
                           name="default_role"),
    )
    op.create_table(
        "sso_login_states",
        *base_columns(),
        tenant_id(),
        _provider_fk(),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("browser_hash", sa.String(64), nullable=False),
        sa.Column("next_path", sa.String(500), nullable=False, server_default=""),
        timestamp("expires_at", nullable=False),
        timestamp("used_at"),
        sa.UniqueConstraint("tenant_id", "state"),
    )
    op.create_index("ix_sso_login_states_tenant_id_expires_at", "sso_login_states",
                    ["tenant_id", "expires_at"])
    op.create_table(
        "user_identities",
        *base_columns(),
        tenant_id(),
        _provider_fk(),
        sa.Column("subject", sa.String(255), nullable=False),
        user_fk("user_id"),
        sa.Column("email", sa.String(320), nullable=False),
        timestamp("last_sign_in_at"),
        sa.UniqueConstraint("provider_id", "subject"),
        sa.UniqueConstraint("provider_id", "user_id"),
    )
    op.create_index("ix_user_identities_tenant_id_user_id", "user_identities",
                    ["tenant_id", "user_id"])
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        disable_tenant_rls(op, table)
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
