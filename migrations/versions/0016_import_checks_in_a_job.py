"""Imports are read and checked by a worker, not in the web request: the batch keeps what
the check found out about the file (type, encoding, ignored columns) for the preview, and
two statuses: checking (waiting for the worker) and unreadable (not a roster at all).

Revision ID: 0016
Revises: 0013 (after the assignment milestones, which were written beside it)
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None


OLD = "status IN ('checked', 'running', 'done', 'failed')"
NEW = "status IN ('checking', 'checked', 'unreadable', 'running', 'done', 'failed')"


def upgrade() -> None:
    op.add_column("import_batches", sa.Column(
        "facts", postgresql.JSONB(astext_type=sa.Text()), nullable=False,
        server_default=sa.text("'{}'::jsonb")))
    op.drop_constraint(op.f("ck_import_batches_status"), "import_batches", type_="check")
    op.create_check_constraint("status", "import_batches", NEW)


def downgrade() -> None:
    op.execute("UPDATE import_batches SET status = 'failed' "
               "WHERE status IN ('checking', 'unreadable')")
    op.drop_constraint(op.f("ck_import_batches_status"), "import_batches", type_="check")
    op.create_check_constraint("status", "import_batches", OLD)
    op.drop_column("import_batches", "facts")
