"""A milestone keeps several evidence files (assignment_milestone_evidence), each with who
handed it in and when, instead of one file in the milestone's own columns; the one file a
milestone had moves into the new table. Downgrading keeps each milestone's latest file.

Both copies cross missions, so assignment_milestones and the new table are read and written
without FORCE (the owner is then not filtered) and forced again before the end.

Revision ID: 0026
Revises: 0023
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id, user_fk
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0026"
down_revision = "0023"
branch_labels = None
depends_on = None

TABLE = "assignment_milestone_evidence"
OLD_COLUMNS = (("evidence_filename", sa.String(200)), ("evidence_content_type", sa.String(100)),
               ("evidence_size", sa.Integer), ("evidence_sha256", sa.String(64)),
               ("evidence_key", sa.String(300)))


def upgrade() -> None:
    op.create_table(
        TABLE,
        *base_columns(), tenant_id(),
        sa.Column("milestone_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("assignment_milestones.id", ondelete="CASCADE"), nullable=False),
        sa.Column("assignment_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("assignments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        user_fk("uploaded_by_id", ondelete="SET NULL", nullable=True),
        sa.CheckConstraint("size >= 0", name="size"),
    )
    op.create_index(f"ix_{TABLE}_tenant_id_milestone_id", TABLE, ["tenant_id", "milestone_id"])
    op.create_index(f"ix_{TABLE}_tenant_id_assignment_id", TABLE,
                    ["tenant_id", "assignment_id"])
    op.execute("ALTER TABLE assignment_milestones NO FORCE ROW LEVEL SECURITY")
    # When it was handed in was not kept: the milestone's done time is the nearest.
    op.execute(f"""
        INSERT INTO {TABLE} (id, created_at, tenant_id, milestone_id, assignment_id, filename,
                             content_type, size, sha256, key, uploaded_by_id)
        SELECT gen_random_uuid(), coalesce(done_at, created_at), tenant_id, id, assignment_id,
               coalesce(evidence_filename, 'evidence'),
               coalesce(evidence_content_type, 'application/octet-stream'),
               coalesce(evidence_size, 0), coalesce(evidence_sha256, ''), evidence_key,
               evidence_by_id
          FROM assignment_milestones WHERE evidence_key IS NOT NULL""")
    op.execute("ALTER TABLE assignment_milestones FORCE ROW LEVEL SECURITY")
    enable_tenant_rls(op, TABLE)
    op.drop_column("assignment_milestones", "evidence_by_id")
    for name, _kind in OLD_COLUMNS:
        op.drop_column("assignment_milestones", name)


def downgrade() -> None:
    for name, kind in OLD_COLUMNS:
        op.add_column("assignment_milestones", sa.Column(name, kind))
    op.add_column("assignment_milestones",
                  user_fk("evidence_by_id", ondelete="SET NULL", nullable=True))
    disable_tenant_rls(op, TABLE)
    op.execute("ALTER TABLE assignment_milestones NO FORCE ROW LEVEL SECURITY")
    op.execute(f"""
        UPDATE assignment_milestones m
           SET evidence_filename = e.filename, evidence_content_type = e.content_type,
               evidence_size = e.size, evidence_sha256 = e.sha256, evidence_key = e.key,
               evidence_by_id = e.uploaded_by_id
          FROM (SELECT DISTINCT ON (milestone_id) * FROM {TABLE}
                 ORDER BY milestone_id, created_at DESC) e
         WHERE e.milestone_id = m.id""")
    op.execute("ALTER TABLE assignment_milestones FORCE ROW LEVEL SECURITY")
    op.drop_table(TABLE)
