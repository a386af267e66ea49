"""Mails rendered when they are sent: an outbox mail may carry what its template needs (its
language and values) instead of a subject and body, so that an import of 100,000 experts
stores their invitations without rendering 100,000 templates inside its transaction.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox_mails", sa.Column("locale", sa.String(8), nullable=True))
    op.add_column("outbox_mails", sa.Column("context", pg.JSONB, nullable=True))


def downgrade() -> None:
    op.drop_column("outbox_mails", "context")
    op.drop_column("outbox_mails", "locale")
