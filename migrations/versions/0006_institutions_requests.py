"""Host institutions, focal points' link to them, and assignment requests with their
skills, languages and terms-of-reference documents.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id, timestamp, user_fk
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("host_institutions", "assignment_requests", "assignment_request_skills",
          "assignment_request_languages", "assignment_request_documents")


def request_fk() -> sa.Column:
    return sa.Column("request_id", pg.UUID(as_uuid=True),
                     sa.ForeignKey("assignment_requests.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "host_institutions",
        *base_columns(), tenant_id(),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("other_name", sa.String(300), nullable=False, server_default=""),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("sectors", pg.ARRAY(sa.String(64)), nullable=False, server_default="{}"),
        sa.Column("city", sa.String(120), nullable=False, server_default=""),
        sa.Column("address", sa.Text, nullable=False, server_default=""),
        sa.Column("website", sa.String(300), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("status_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("contact_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("contact_email", sa.String(320), nullable=False, server_default=""),
        sa.Column("contact_title", sa.String(200), nullable=False, server_default=""),
        timestamp("approved_at"),
        sa.CheckConstraint("kind IN ('ministry', 'public_agency', 'university', 'ngo', "
                           "'private_sector', 'other')", name="kind"),
        sa.CheckConstraint("status IN ('pending', 'approved', 'suspended', 'declined')",
                           name="status"),
    )
    op.create_index("ix_host_institutions_tenant_id_status", "host_institutions",
                    ["tenant_id", "status"])
    for table in ("memberships", "invitations"):
        op.add_column(table, sa.Column(
            "host_institution_id", pg.UUID(as_uuid=True),
            sa.ForeignKey("host_institutions.id",
                          ondelete="SET NULL" if table == "memberships" else "CASCADE")))
    op.create_table(
        "assignment_requests",
        *base_columns(), tenant_id(),
        sa.Column("institution_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("host_institutions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
        sa.Column("status_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("background", sa.Text, nullable=False, server_default=""),
        sa.Column("objectives", sa.Text, nullable=False, server_default=""),
        sa.Column("tasks", sa.Text, nullable=False, server_default=""),
        sa.Column("deliverables", sa.Text, nullable=False, server_default=""),
        sa.Column("expected_outputs", sa.Text, nullable=False, server_default=""),
        sa.Column("sector", sa.String(64)),
        sa.Column("min_years_experience", sa.Integer),
        sa.Column("education_level", sa.String(2)),
        sa.Column("modality", sa.String(16)),
        sa.Column("city", sa.String(120), nullable=False, server_default=""),
        sa.Column("duration_weeks", sa.Integer),
        sa.Column("earliest_start", sa.Date),
        sa.Column("latest_start", sa.Date),
        sa.Column("finish_by", sa.Date),
        sa.Column("experts_wanted", sa.Integer, nullable=False, server_default="1"),
        sa.Column("priority", sa.String(8), nullable=False, server_default="normal"),
        user_fk("created_by_id", ondelete="SET NULL", nullable=True),
        timestamp("submitted_at"),
        timestamp("opened_at"),
        timestamp("updated_at"),
        sa.UniqueConstraint("tenant_id", "number"),
        sa.CheckConstraint("status IN ('draft', 'submitted', 'open', 'shortlisting', 'filled', "
                           "'closed', 'rejected', 'cancelled')", name="status"),
        sa.CheckConstraint("modality IS NULL OR modality IN ('on_site', 'remote', 'hybrid')",
                           name="modality"),
        sa.CheckConstraint("priority IN ('low', 'normal', 'high', 'urgent')", name="priority"),
        sa.CheckConstraint("experts_wanted >= 1", name="experts_wanted"),
        sa.CheckConstraint("duration_weeks IS NULL OR duration_weeks >= 1", name="duration"),
        sa.CheckConstraint("earliest_start IS NULL OR latest_start IS NULL "
                           "OR earliest_start <= latest_start", name="start_window"),
    )
    op.create_index("ix_assignment_requests_tenant_id_status", "assignment_requests",
                    ["tenant_id", "status"])
    op.create_index("ix_assignment_requests_tenant_id_institution_id", "assignment_requests",
                    ["tenant_id", "institution_id"])
    op.create_table(
        "assignment_request_skills",
        *base_columns(), tenant_id(), request_fk(),
        sa.Column("skill_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("skills.id", ondelete="CASCADE"), nullable=False),
        sa.Column("required", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.UniqueConstraint("tenant_id", "request_id", "skill_id"),
    )
    op.create_table(
        "assignment_request_languages",
        *base_columns(), tenant_id(), request_fk(),
        sa.Column("language", sa.String(3), nullable=False),
        sa.Column("min_level", sa.String(8), nullable=False),
        sa.UniqueConstraint("tenant_id", "request_id", "language"),
        sa.CheckConstraint("min_level IN ('A1', 'A2', 'B1', 'B2', 'C1', 'C2', 'native')",
                           name="min_level"),
    )
    op.create_table(
        "assignment_request_documents",
        *base_columns(), tenant_id(), request_fk(),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False),
    )
    op.create_index("ix_assignment_request_documents_tenant_id_request_id",
                    "assignment_request_documents", ["tenant_id", "request_id"])
    op.create_index("ix_audit_events_tenant_id_object_id", "audit_events",
                    ["tenant_id", "object_id"])
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    op.drop_index("ix_audit_events_tenant_id_object_id", "audit_events")
    for table in reversed(TABLES):
        disable_tenant_rls(op, table)
    for table in ("assignment_request_documents", "assignment_request_languages",
                  "assignment_request_skills", "assignment_requests"):
        op.drop_table(table)
    for table in ("invitations", "memberships"):
        op.drop_column(table, "host_institution_id")
    op.drop_table("host_institutions")
