"""Accounts, memberships, sessions, one-time tokens, sign-in throttling, invitations,
audit trail and the mail outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id, timestamp, user_fk
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Users, their sessions and sign-in failures are global (one person, several missions);
# everything a mission sends or decides is scoped to it.
TENANT_TABLES = ("memberships", "one_time_tokens", "invitations", "audit_events", "outbox_mails")


def upgrade() -> None:
    op.create_table(
        "users",
        *base_columns(),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("preferred_locale", sa.String(8)),
        sa.Column("password_hash", sa.String(200)),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        timestamp("email_verified_at"),
        sa.Column("is_platform_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.CheckConstraint("status IN ('active', 'disabled', 'erased')", name="status"),
        sa.CheckConstraint("email = lower(email)", name="email_lower"),
    )
    op.create_table(
        "memberships",
        *base_columns(),
        tenant_id(),
        user_fk("user_id"),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("partner_agency_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("partner_agencies.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.UniqueConstraint("tenant_id", "user_id"),
        sa.CheckConstraint("role IN ('expert', 'institution_focal_point', 'partner_user', "
                           "'staff', 'mission_admin')", name="role"),
        sa.CheckConstraint("status IN ('active', 'revoked')", name="status"),
    )
    op.create_table(
        "user_sessions",
        *base_columns(),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        user_fk("user_id"),
        timestamp("last_seen_at", nullable=False),
        timestamp("expires_at", nullable=False),
        timestamp("revoked_at"),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
        sa.Column("user_agent", sa.String(300), nullable=False, server_default=""),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    op.create_table(
        "one_time_tokens",
        *base_columns(),
        tenant_id(),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        user_fk("user_id"),
        sa.Column("purpose", sa.String(32), nullable=False),
        timestamp("expires_at", nullable=False),
        timestamp("used_at"),
    )
    op.create_index("ix_one_time_tokens_tenant_id_user_id", "one_time_tokens",
                    ["tenant_id", "user_id"])
    op.create_table(
        "sign_in_failures",
        *base_columns(),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
    )
    op.create_index("ix_sign_in_failures_email_created", "sign_in_failures",
                    ["email", "created_at"])
    op.create_index("ix_sign_in_failures_ip_created", "sign_in_failures", ["ip", "created_at"])
    op.create_table(
        "invitations",
        *base_columns(),
        tenant_id(),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("partner_agency_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("partner_agencies.id", ondelete="CASCADE")),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        user_fk("invited_by_id", ondelete="SET NULL", nullable=True),
        timestamp("expires_at", nullable=False),
        timestamp("accepted_at"),
        timestamp("revoked_at"),
    )
    op.create_index("ix_invitations_tenant_id_email", "invitations", ["tenant_id", "email"])
    op.create_table(
        "audit_events",
        *base_columns(),
        tenant_id(),
        user_fk("actor_id", ondelete="SET NULL", nullable=True),
        sa.Column("actor_label", sa.String(320), nullable=False, server_default=""),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object_type", sa.String(64), nullable=False, server_default=""),
        sa.Column("object_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("before", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("after", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
    )
    op.create_index("ix_audit_events_tenant_id_created_at", "audit_events",
                    ["tenant_id", "created_at"])
    op.create_table(
        "outbox_mails",
        *base_columns(),
        tenant_id(),
        sa.Column("to_address", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        timestamp("next_attempt_at"),
        timestamp("sent_at"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
    )
    op.create_index("ix_outbox_mails_tenant_id_status", "outbox_mails", ["tenant_id", "status"])
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        disable_tenant_rls(op, table)
    for table in ("outbox_mails", "audit_events", "invitations", "sign_in_failures",
                  "one_time_tokens", "user_sessions", "memberships", "users"):
        op.drop_table(table)
