"""A profile's sectors as rows of expert_sectors, kept by triggers on expert_profiles, so
that the registry's sector filter is read from an index under row-level security.

The filter was `sectors @> ARRAY[code]`: array containment is not leakproof, so PostgreSQL
evaluates it after the policy's predicate, row by row, and no index on it can be used (at
100,000 experts the registry's count then read every profile of the mission). An equality
on a child table's column is leakproof: the semi-join reads the sector's rows from
(tenant_id, sector, profile_id). expert_profiles.sectors stays the one place every writer
(forms, imports, the demo, erasure) sets; the triggers derive the rows, statement by
statement (COPY included).

Revision ID: 0031
Revises: 0029
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0031"
down_revision = "0029"
branch_labels = None
depends_on = None

TABLE = "expert_sectors"

SYNC = f"""
CREATE FUNCTION expert_sectors_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM {TABLE} s USING old_rows o JOIN new_rows n ON n.id = o.id
         WHERE s.profile_id = o.id AND n.sectors IS DISTINCT FROM o.sectors;
        INSERT INTO {TABLE} (id, tenant_id, profile_id, sector)
        SELECT gen_random_uuid(), tenant_id, id, sector
          FROM (SELECT DISTINCT n.tenant_id, n.id, unnest(n.sectors) AS sector
                  FROM old_rows o JOIN new_rows n ON n.id = o.id
                 WHERE n.sectors IS DISTINCT FROM o.sectors) changed;
    ELSE
        INSERT INTO {TABLE} (id, tenant_id, profile_id, sector)
        SELECT gen_random_uuid(), tenant_id, id, sector
          FROM (SELECT DISTINCT tenant_id, id, unnest(sectors) AS sector FROM new_rows) added;
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("tenant_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("profile_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("expert_profiles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.UniqueConstraint("profile_id", "sector"),
    )
    op.create_index(f"ix_{TABLE}_tenant_id_sector_profile_id", TABLE,
                    ["tenant_id", "sector", "profile_id"])
    op.execute("ALTER TABLE expert_profiles NO FORCE ROW LEVEL SECURITY")
    op.execute(f"""
        INSERT INTO {TABLE} (id, tenant_id, profile_id, sector)
        SELECT gen_random_uuid(), tenant_id, id, sector
          FROM (SELECT DISTINCT tenant_id, id, unnest(sectors) AS sector
                  FROM expert_profiles) present""")
    op.execute("ALTER TABLE expert_profiles FORCE ROW LEVEL SECURITY")
    enable_tenant_rls(op, TABLE)
    op.execute(SYNC)
    op.execute("CREATE TRIGGER expert_sectors_added AFTER INSERT ON expert_profiles "
               "REFERENCING NEW TABLE AS new_rows "
               "FOR EACH STATEMENT EXECUTE FUNCTION expert_sectors_sync()")
    # (A trigger with transition tables cannot name columns: UPDATE OF sectors is checked
    # inside, on the rows whose sectors changed.)
    op.execute("CREATE TRIGGER expert_sectors_changed AFTER UPDATE ON expert_profiles "
               "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
               "FOR EACH STATEMENT EXECUTE FUNCTION expert_sectors_sync()")


def downgrade() -> None:
    op.execute("DROP TRIGGER expert_sectors_changed ON expert_profiles")
    op.execute("DROP TRIGGER expert_sectors_added ON expert_profiles")
    op.execute("DROP FUNCTION expert_sectors_sync()")
    disable_tenant_rls(op, TABLE)
    op.drop_table(TABLE)
