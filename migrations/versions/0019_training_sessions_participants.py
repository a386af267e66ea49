"""A training's sessions (day, hours, place or online), its participants one by one
(chosen per training instead of counts, each with a certificate's verification code) and
its participants counted by age group.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

TABLES = ("training_sessions", "training_participants", "training_age_counts")
SEXES = "'female', 'male', 'other', 'not_recorded'"
AGE_GROUPS = "'under_18', '18_24', '25_34', '35_49', '50_plus', 'not_recorded'"


def _training() -> sa.Column:
    return sa.Column("training_id", pg.UUID(as_uuid=True),
                     sa.ForeignKey("trainings.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.add_column("trainings", sa.Column("participant_mode", sa.String(16), nullable=False,
                                         server_default="counts"))
    op.create_check_constraint("participant_mode", "trainings",
                               "participant_mode IN ('counts', 'individual')")
    op.create_table(
        "training_sessions",
        *base_columns(), tenant_id(), _training(),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("hours", sa.Numeric(4, 1), nullable=False),
        sa.Column("place", sa.String(200), nullable=False, server_default=""),
        sa.Column("online", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.CheckConstraint("hours > 0 AND hours <= 24", name="hours"),
    )
    op.create_index("ix_training_sessions_tenant_id_training_id", "training_sessions",
                    ["tenant_id", "training_id"])
    op.create_table(
        "training_participants",
        *base_columns(), tenant_id(), _training(),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("sex", sa.String(16), nullable=False),
        sa.Column("age_group", sa.String(16), nullable=False),
        sa.Column("institution", sa.String(300), nullable=False, server_default=""),
        sa.Column("role", sa.String(200), nullable=False, server_default=""),
        sa.Column("contact", sa.String(200), nullable=False, server_default=""),
        sa.Column("consent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        # What a certificate's public verification page is found by.
        sa.Column("certificate_code", sa.String(24), nullable=True),
        sa.UniqueConstraint("tenant_id", "certificate_code"),
        sa.CheckConstraint(f"sex IN ({SEXES})", name="sex"),
        sa.CheckConstraint(f"age_group IN ({AGE_GROUPS})", name="age_group"),
        # Without consent nothing identifies the person.
        sa.CheckConstraint("consent OR (name = '' AND contact = '' AND role = '')",
                           name="consent"),
    )
    op.create_index("ix_training_participants_tenant_id_training_id", "training_participants",
                    ["tenant_id", "training_id"])
    op.create_table(
        "training_age_counts",
        *base_columns(), tenant_id(), _training(),
        sa.Column("age_group", sa.String(16), nullable=False),
        sa.Column("participants", sa.Integer, nullable=False),
        sa.UniqueConstraint("tenant_id", "training_id", "age_group"),
        sa.CheckConstraint(f"age_group IN ({AGE_GROUPS})", name="age_group"),
        sa.CheckConstraint("participants >= 0", name="participants"),
    )
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_rls(op, table)
        op.drop_table(table)
    op.drop_column("trainings", "participant_mode")
