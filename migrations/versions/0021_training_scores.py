"""Pre- and post-test scores of a training: each listed participant's (0 to 100, each
optional), and for a training counting its participants the average scores and how many
were tested.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

SCORES = {"training_participants": ("pre_score", "post_score"),
          "trainings": ("pre_score_avg", "post_score_avg")}


def upgrade() -> None:
    for table, columns in SCORES.items():
        for column in columns:
            op.add_column(table, sa.Column(column, sa.Numeric(4, 1), nullable=True))
            op.create_check_constraint(column, table, f"{column} BETWEEN 0 AND 100")
    op.add_column("trainings", sa.Column("tested", sa.Integer, nullable=True))
    op.create_check_constraint("tested", "trainings", "tested >= 0")


def downgrade() -> None:
    op.drop_column("trainings", "tested")
    for table, columns in SCORES.items():
        for column in columns:
            op.drop_column(table, column)
