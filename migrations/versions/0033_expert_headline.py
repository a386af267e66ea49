"""The expert's headline: their profession in one line ("Hydrologist | groundwater and
flood modelling"), what a CV or a roster says first. A column of expert_profiles, empty for
every profile until the expert, staff's import or the demo writes it. Matching and search
read it from the search documents: `portal reindex` puts it there for profiles that have
one (documents written before it simply lack it).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("expert_profiles", sa.Column("headline", sa.String(160), nullable=False,
                                               server_default=""))


def downgrade() -> None:
    op.drop_column("expert_profiles", "headline")
