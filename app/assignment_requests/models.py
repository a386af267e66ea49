"""An assignment request: one host institution's need for experts, its terms of reference,
the profile it asks for, and where it stands in its life cycle (states.py)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantScoped

REQUEST_STATUSES = ("draft", "submitted", "open", "shortlisting", "filled", "closed",
                    "rejected", "cancelled")
PRIORITIES = ("low", "normal", "high", "urgent")


def _request_fk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True),
                         ForeignKey("assignment_requests.id", ondelete="CASCADE"))


class AssignmentRequest(TenantScoped, Base):
    __tablename__ = "assignment_requests"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),
                      UniqueConstraint("tenant_id", "external_ref"),
                      Index("ix_assignment_requests_tenant_id_status", "tenant_id", "status"),
                      Index("ix_assignment_requests_tenant_id_institution_id", "tenant_id",
                            "institution_id"))

    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("host_institutions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # per mission, shown as "Request #12"
    status: Mapped[str] = mapped_column(String(16), default="draft")
    status_reason: Mapped[str] = mapped_column(Text, default="")  # rejection, cancellation, changes
    # Terms of reference
    title: Mapped[str] = mapped_column(String(200))
    background: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[str] = mapped_column(Text, default="")
    tasks: Mapped[str] = mapped_column(Text, default="")
    deliverables: Mapped[str] = mapped_column(Text, default="")
    expected_outputs: Mapped[str] = mapped_column(Text, default="")  # "20 engineers trained"
    # The expert wanted
    sector: Mapped[str | None] = mapped_column(String(64))
    min_years_experience: Mapped[int | None] = mapped_column(Integer)
    education_level: Mapped[str | None] = mapped_column(String(2))  # ISCED, as on profiles
    # Logistics
    modality: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str] = mapped_column(String(120), default="")
    duration_weeks: Mapped[int | None] = mapped_column(Integer)
    earliest_start: Mapped[date | None] = mapped_column(Date)
    latest_start: Mapped[date | None] = mapped_column(Date)
    finish_by: Mapped[date | None] = mapped_column(Date)  # optional: the work must end by then
    experts_wanted: Mapped[int] = mapped_column(Integer, default=1)
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When staff shared the shortlist with the institution's focal points.
    shortlist_shared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The row's reference in the spreadsheet it was imported from (re-import updates it).
    external_ref: Mapped[str | None] = mapped_column(String(120))


class RequestSkill(TenantScoped, Base):
    """A skill from the vocabulary (or a free tag) the request requires or desires."""

    __tablename__ = "assignment_request_skills"
    __table_args__ = (UniqueConstraint("tenant_id", "request_id", "skill_id"),)

    request_id: Mapped[uuid.UUID] = _request_fk()
    skill_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("skills.id", ondelete="CASCADE"))
    required: Mapped[bool] = mapped_column(Boolean, default=True)


class RequestLanguage(TenantScoped, Base):
    __tablename__ = "assignment_request_languages"
    __table_args__ = (UniqueConstraint("tenant_id", "request_id", "language"),)

    request_id: Mapped[uuid.UUID] = _request_fk()
    language: Mapped[str] = mapped_column(String(3))
    min_level: Mapped[str] = mapped_column(String(8))


class RequestDocument(TenantScoped, Base):
    """The terms of reference as a file (PDF/DOCX), bytes in the document storage."""

    __tablename__ = "assignment_request_documents"
    __table_args__ = (Index("ix_assignment_request_documents_tenant_id_request_id", "tenant_id",
                            "request_id"),)

    request_id: Mapped[uuid.UUID] = _request_fk()
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
