"""Imports that can carry a real roster: sectors that mission admins add, rename and
deactivate in the portal; the import option that adds unknown skills as free tags; likely
duplicate experts flagged for staff to merge or dismiss, and the profile a merged duplicate
points to.

Revision ID: 0024
Revises: 0026
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0024"
down_revision = "0026"
branch_labels = None
depends_on = None

REASONS = "'name_birth_year', 'phone'"
STATUSES = "'open', 'dismissed', 'merged'"


def _profile(name: str) -> sa.Column:
    return sa.Column(name, pg.UUID(as_uuid=True),
                     sa.ForeignKey("expert_profiles.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.add_column("sectors", sa.Column("active", sa.Boolean, nullable=False,
                                       server_default=sa.true()))
    op.add_column("import_batches", sa.Column("free_skills", sa.Boolean, nullable=False,
                                              server_default=sa.false()))
    op.add_column("expert_profiles", sa.Column(
        "duplicate_of_id", pg.UUID(as_uuid=True),
        sa.ForeignKey("expert_profiles.id", ondelete="SET NULL"), nullable=True))
    op.create_table(
        "expert_duplicates",
        *base_columns(), tenant_id(), _profile("profile_id"), _profile("other_id"),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        # A pair is flagged once, in one order: a dismissed pair is never flagged again.
        sa.UniqueConstraint("tenant_id", "profile_id", "other_id"),
        sa.CheckConstraint("profile_id < other_id", name="ordered"),
        sa.CheckConstraint(f"reason IN ({REASONS})", name="reason"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="status"),
    )
    op.create_index("ix_expert_duplicates_tenant_id_status", "expert_duplicates",
                    ["tenant_id", "status"])
    enable_tenant_rls(op, "expert_duplicates")


def downgrade() -> None:
    disable_tenant_rls(op, "expert_duplicates")
    op.drop_table("expert_duplicates")
    op.drop_column("expert_profiles", "duplicate_of_id")
    op.drop_column("import_batches", "free_skills")
    op.drop_column("sectors", "active")
