"""What an API token may read: the whole API ('full', every token so far) or the report
figures only, with small counts hidden ('aggregates': a donor's or a partner's tool).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_tokens", sa.Column("scope", sa.String(16), nullable=False,
                                          server_default="full"))
    op.create_check_constraint(op.f("ck_api_tokens_scope"), "api_tokens",
                               "scope IN ('full', 'aggregates')")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_api_tokens_scope"), "api_tokens", type_="check")
    op.drop_column("api_tokens", "scope")
