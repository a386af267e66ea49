"""A profile part refers to its profile by (tenant_id, profile_id) -> expert_profiles
(tenant_id, id): one foreign key instead of two (tenant_id -> tenants, profile_id ->
expert_profiles), and a stricter one, since a part can no longer name a profile of
another mission. The mission is reached through the profile, whose own key refers to
tenants (a mission's deletion still cascades, through its profiles).

Each foreign key is a check PostgreSQL runs for every row written: an import of 100,000
experts writes about 700,000 rows into these tables (and the expert_sectors rows its
trigger derives), and the checks against tenants were a fifth of its database time.
The parent needs a unique constraint on (tenant_id, id) for the key to refer to.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

# The parts an import writes, and the sectors derived from a profile.
PARTS = ("expert_languages", "expert_education", "expert_work_history", "expert_availability",
         "expert_skills", "expert_consents", "expert_sectors")
PARENT_KEY = "uq_expert_profiles_tenant_id_id"


def upgrade() -> None:
    op.create_unique_constraint(PARENT_KEY, "expert_profiles", ["tenant_id", "id"])
    for table in PARTS:
        op.drop_constraint(f"fk_{table}_tenant_id_tenants", table, type_="foreignkey")
        op.drop_constraint(f"fk_{table}_profile_id_expert_profiles", table, type_="foreignkey")
        op.create_foreign_key(f"fk_{table}_tenant_id_expert_profiles", table, "expert_profiles",
                              ["tenant_id", "profile_id"], ["tenant_id", "id"],
                              ondelete="CASCADE")


def downgrade() -> None:
    for table in PARTS:
        op.drop_constraint(f"fk_{table}_tenant_id_expert_profiles", table, type_="foreignkey")
        op.create_foreign_key(f"fk_{table}_tenant_id_tenants", table, "tenants",
                              ["tenant_id"], ["id"], ondelete="CASCADE")
        op.create_foreign_key(f"fk_{table}_profile_id_expert_profiles", table,
                              "expert_profiles", ["profile_id"], ["id"], ondelete="CASCADE")
    op.drop_constraint(PARENT_KEY, "expert_profiles", type_="unique")
