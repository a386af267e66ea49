"""Imports that can carry a real roster: sectors that mission admins add, rename and
deactivate in the portal; the import option that adds unknown skills as free tags.

Revision ID: 0024
Revises: 0026
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sectors", sa.Column("active", sa.Boolean, nullable=False,
                                       server_default=sa.true()))
    op.add_column("import_batches", sa.Column("free_skills", sa.Boolean, nullable=False,
                                              server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("import_batches", "free_skills")
    op.drop_column("sectors", "active")
