"""Donor viewers: a read-only role per mission, scoped to funding projects (issue 19). The
role joins the memberships' allowed roles; an invitation carries the projects chosen, and
donor_projects links the membership to them once accepted.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

ROLES = "'expert', 'institution_focal_point', 'partner_user', 'staff', 'mission_admin'"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_memberships_role"), "memberships", type_="check")
    op.create_check_constraint("role", "memberships", f"role IN ({ROLES}, 'donor_viewer')")
    op.add_column("invitations", sa.Column("funding_project_ids",
                                           pg.ARRAY(pg.UUID(as_uuid=True)), nullable=False,
                                           server_default=sa.text("'{}'")))
    op.create_table(
        "donor_projects",
        *base_columns(), tenant_id(),
        sa.Column("membership_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("memberships.id", ondelete="CASCADE"), nullable=False),
        sa.Column("funding_project_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("funding_projects.id", ondelete="CASCADE"), nullable=False),
        sa.UniqueConstraint("tenant_id", "membership_id", "funding_project_id"),
    )
    enable_tenant_rls(op, "donor_projects")


def downgrade() -> None:
    disable_tenant_rls(op, "donor_projects")
    op.drop_table("donor_projects")
    op.drop_column("invitations", "funding_project_ids")
    # Donor viewers have no role to go back to: their memberships go with the role (every
    # mission's: row-level security is lifted for the owner while they are deleted).
    op.execute("ALTER TABLE memberships NO FORCE ROW LEVEL SECURITY")
    op.execute("DELETE FROM memberships WHERE role = 'donor_viewer'")
    op.execute("ALTER TABLE memberships FORCE ROW LEVEL SECURITY")
    op.drop_constraint(op.f("ck_memberships_role"), "memberships", type_="check")
    op.create_check_constraint("role", "memberships", f"role IN ({ROLES})")
