"""Attendance per session of a training: which participant listed one by one attended
which session, and for the attendees counted (a training that counts its participants, or
people of a list who withdrew consent) their number per session.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _fk(name: str, table: str) -> sa.Column:
    return sa.Column(name, pg.UUID(as_uuid=True),
                     sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.add_column("training_sessions", sa.Column("attended_count", sa.Integer, nullable=True))
    op.create_check_constraint("attended_count", "training_sessions", "attended_count >= 0")
    op.create_table(
        "training_attendance",
        *base_columns(), tenant_id(), _fk("training_id", "trainings"),
        _fk("session_id", "training_sessions"), _fk("participant_id", "training_participants"),
        sa.UniqueConstraint("tenant_id", "session_id", "participant_id"),
    )
    op.create_index("ix_training_attendance_tenant_id_training_id", "training_attendance",
                    ["tenant_id", "training_id"])
    enable_tenant_rls(op, "training_attendance")


def downgrade() -> None:
    disable_tenant_rls(op, "training_attendance")
    op.drop_table("training_attendance")
    op.drop_column("training_sessions", "attended_count")
