"""The expert registry: profiles, languages, education, work history, availability,
skills vocabulary, consent notices and consents, documents (CVs) and staff notes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.columns import base_columns, tenant_id, timestamp, user_fk
from tenants.rls import disable_tenant_rls, enable_tenant_rls

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("expert_profiles", "expert_languages", "expert_education", "expert_work_history",
          "expert_availability", "skills", "expert_skills", "consent_notices",
          "expert_consents", "expert_documents", "expert_notes")


def profile_fk() -> sa.Column:
    return sa.Column("profile_id", pg.UUID(as_uuid=True),
                     sa.ForeignKey("expert_profiles.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "expert_profiles",
        *base_columns(),
        tenant_id(),
        user_fk("user_id", ondelete="SET NULL", nullable=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
        sa.Column("full_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("gender", sa.String(16)),
        sa.Column("birth_year", sa.Integer),
        sa.Column("nationality", sa.String(2)),
        sa.Column("phone", sa.String(40), nullable=False, server_default=""),
        sa.Column("residence_country", sa.String(2)),
        sa.Column("residence_city", sa.String(120), nullable=False, server_default=""),
        sa.Column("years_experience", sa.Integer),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("modality", sa.String(16)),
        sa.Column("min_weeks", sa.Integer),
        sa.Column("max_weeks", sa.Integer),
        sa.Column("sectors", pg.ARRAY(sa.String(64)), nullable=False, server_default="{}"),
        sa.Column("status_reason", sa.Text, nullable=False, server_default=""),
        timestamp("submitted_at"),
        timestamp("verified_at"),
        timestamp("updated_at"),
        timestamp("erased_at"),
        sa.UniqueConstraint("tenant_id", "user_id"),
        sa.UniqueConstraint("tenant_id", "number"),
        sa.CheckConstraint("status IN ('draft', 'submitted', 'verified', 'inactive', "
                           "'withdrawn', 'rejected')", name="status"),
        sa.CheckConstraint("gender IS NULL OR gender IN ('female', 'male', 'other', "
                           "'undisclosed')", name="gender"),
        sa.CheckConstraint("modality IS NULL OR modality IN ('on_site', 'remote', 'hybrid')",
                           name="modality"),
        sa.CheckConstraint("min_weeks IS NULL OR max_weeks IS NULL OR min_weeks <= max_weeks",
                           name="weeks"),
    )
    op.create_index("ix_expert_profiles_tenant_id_status", "expert_profiles",
                    ["tenant_id", "status"])
    op.create_table(
        "expert_languages",
        *base_columns(), tenant_id(), profile_fk(),
        sa.Column("language", sa.String(3), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.UniqueConstraint("tenant_id", "profile_id", "language"),
        sa.CheckConstraint("level IN ('A1', 'A2', 'B1', 'B2', 'C1', 'C2', 'native')",
                           name="level"),
    )
    op.create_table(
        "expert_education",
        *base_columns(), tenant_id(), profile_fk(),
        sa.Column("level", sa.String(2), nullable=False),
        sa.Column("field", sa.String(200), nullable=False),
        sa.Column("institution", sa.String(200), nullable=False),
        sa.Column("year", sa.Integer),
    )
    op.create_index("ix_expert_education_tenant_id_profile_id", "expert_education",
                    ["tenant_id", "profile_id"])
    op.create_table(
        "expert_work_history",
        *base_columns(), tenant_id(), profile_fk(),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("employer", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2)),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates"),
    )
    op.create_index("ix_expert_work_history_tenant_id_profile_id", "expert_work_history",
                    ["tenant_id", "profile_id"])
    op.create_table(
        "expert_availability",
        *base_columns(), tenant_id(), profile_fk(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name="dates"),
        sa.CheckConstraint("kind IN ('available', 'unavailable')", name="kind"),
    )
    op.create_index("ix_expert_availability_tenant_id_profile_id", "expert_availability",
                    ["tenant_id", "profile_id"])
    op.create_table(
        "skills",
        *base_columns(), tenant_id(),
        sa.Column("code", sa.String(120), nullable=False),
        sa.Column("names", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("synonyms", pg.ARRAY(sa.String(200)), nullable=False, server_default="{}"),
        sa.Column("sector", sa.String(64)),
        sa.Column("source", sa.String(16), nullable=False, server_default="mission"),
        sa.Column("external_uri", sa.String(300), nullable=False, server_default=""),
        sa.UniqueConstraint("tenant_id", "code"),
    )
    op.create_table(
        "expert_skills",
        *base_columns(), tenant_id(), profile_fk(),
        sa.Column("skill_id", pg.UUID(as_uuid=True),
                  sa.ForeignKey("skills.id", ondelete="CASCADE"), nullable=False),
        sa.UniqueConstraint("tenant_id", "profile_id", "skill_id"),
    )
    op.create_table(
        "consent_notices",
        *base_columns(), tenant_id(),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.UniqueConstraint("tenant_id", "version", "locale"),
    )
    op.create_table(
        "expert_consents",
        *base_columns(), tenant_id(), profile_fk(),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("notice_version", sa.Integer, nullable=False),
        sa.Column("source", sa.String(40), nullable=False, server_default="expert"),
        timestamp("granted_at", nullable=False),
        timestamp("withdrawn_at"),
    )
    op.create_index("ix_expert_consents_tenant_id_profile_id", "expert_consents",
                    ["tenant_id", "profile_id"])
    op.create_table(
        "expert_documents",
        *base_columns(), tenant_id(), profile_fk(),
        sa.Column("kind", sa.String(16), nullable=False, server_default="cv"),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False),
    )
    op.create_index("ix_expert_documents_tenant_id_profile_id", "expert_documents",
                    ["tenant_id", "profile_id"])
    op.create_table(
        "expert_notes",
        *base_columns(), tenant_id(), profile_fk(),
        user_fk("author_id", ondelete="SET NULL", nullable=True),
        sa.Column("author_label", sa.String(200), nullable=False, server_default=""),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_expert_notes_tenant_id_profile_id", "expert_notes",
                    ["tenant_id", "profile_id"])
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_rls(op, table)
        op.drop_table(table)
