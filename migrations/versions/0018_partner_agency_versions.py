"""Partner agencies are kept by mission admins in forms: a version refuses a stale form.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("partner_agencies", sa.Column("version", sa.Integer, nullable=False,
                                                server_default="1"))
    op.add_column("partner_agencies", sa.Column("updated_at", sa.DateTime(timezone=True),
                                                nullable=False, server_default=sa.func.now()))


def downgrade() -> None:
    op.drop_column("partner_agencies", "updated_at")
    op.drop_column("partner_agencies", "version")
