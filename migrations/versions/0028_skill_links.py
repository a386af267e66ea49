"""The skills vocabulary's links (skill_links): a skill's broader concept, or a related
skill, as the mission file names them; matching counts an expert's linked skill as a
partial match.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def _skill(name: str) -> sa.Column:
    return sa.Column(name, pg.UUID(as_uuid=True),
                     sa.ForeignKey("skills.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "skill_links",
        *base_columns(), tenant_id(), _skill("skill_id"), _skill("other_id"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.UniqueConstraint("tenant_id", "skill_id", "other_id", "kind"),
        sa.CheckConstraint("kind IN ('broader', 'related')", name="kind"),
        sa.CheckConstraint("skill_id <> other_id", name="two_skills"),
    )
    enable_tenant_rls(op, "skill_links")


def downgrade() -> None:
    disable_tenant_rls(op, "skill_links")
    op.drop_table("skill_links")
