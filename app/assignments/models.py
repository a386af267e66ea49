"""The assignment, its preparation checklist, the expert's final report and the host
institution's evaluation."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantScoped

ASSIGNMENT_STATUSES = ("planned", "contracted", "in_progress", "completed", "evaluated",
                       "cancelled")
# How the expert works on this assignment (the same words as profiles and requests).
ASSIGNMENT_MODALITIES = ("on_site", "remote", "hybrid")
# A final report or an evaluation: written (and sent again after a return), then reviewed.
REVIEW_STATUSES = ("submitted", "accepted", "returned")
REPORT_SECTIONS = ("activities", "results", "challenges", "recommendations")
# The host institution's evaluation, each from 1 (poor) to 5 (excellent).
EVALUATION_CRITERIA = ("relevance", "quality", "timeliness", "knowledge_transfer",
                       "would_host_again")


class Assignment(TenantScoped, Base):
    """One expert on one request. The slot (1..experts wanted) is unique per request, so two
    confirmations at once can never fill one place twice. `version` grows with every change:
    a form sent from an older version is refused instead of overwriting what someone else
    changed meanwhile."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("tenant_id", "request_id", "slot"),
                      UniqueConstraint("tenant_id", "request_id", "profile_id"),
                      Index("ix_assignments_tenant_id_status", "tenant_id", "status"),
                      Index("ix_assignments_tenant_id_profile_id", "tenant_id", "profile_id"))

    request_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("assignment_requests.id", ondelete="CASCADE"))
    profile_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("expert_profiles.id", ondelete="CASCADE"))
    shortlist_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shortlist_entries.id", ondelete="SET NULL"))
    slot: Mapped[int] = mapped_column(Integer)
    # The donor project that pays for it (app.partners.models.FundingProject), if known.
    funding_project_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("funding_projects.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="planned")
    confirmed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    planned_start: Mapped[date | None] = mapped_column(Date)
    planned_end: Mapped[date | None] = mapped_column(Date)
    actual_start: Mapped[date | None] = mapped_column(Date)
    actual_end: Mapped[date | None] = mapped_column(Date)
    modality: Mapped[str] = mapped_column(String(16), default="on_site")
    duty_station: Mapped[str] = mapped_column(String(200), default="")
    # The reason of the last cancellation or closing, for the people who read the page.
    status_reason: Mapped[str] = mapped_column(Text, default="")
    closed_without_evaluation: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


class ChecklistItem(TenantScoped, Base):
    """One thing to prepare before an assignment starts, in the mission's list. The default
    items carry a code (their label is translated); items a mission admin adds carry the
    label as written. `remote` says whether it applies to remote work too."""

    __tablename__ = "assignment_checklist_items"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200), default="")
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ChecklistTick(TenantScoped, Base):
    """An item done for one assignment: who ticked it and when."""

    __tablename__ = "assignment_checklist_ticks"
    __table_args__ = (UniqueConstraint("tenant_id", "assignment_id", "item_id"),)

    assignment_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("assignments.id", ondelete="CASCADE"))
    item_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("assignment_checklist_items.id", ondelete="CASCADE"))
    ticked_by_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    ticked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                server_default=func.now())


class _Reviewed:
    """Sent by one party, accepted or returned (with a reason) by staff."""

    status: Mapped[str] = mapped_column(String(16), default="submitted")
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                   server_default=func.now())
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    return_reason: Mapped[str] = mapped_column(Text, default="")


class FinalReport(_Reviewed, TenantScoped, Base):
    """The expert's final report: what was done, what came of it, what stood in the way,
    what should follow."""

    __tablename__ = "assignment_reports"
    __table_args__ = (UniqueConstraint("tenant_id", "assignment_id"),)

    assignment_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("assignments.id", ondelete="CASCADE"))
    activities: Mapped[str] = mapped_column(Text, default="")
    results: Mapped[str] = mapped_column(Text, default="")
    challenges: Mapped[str] = mapped_column(Text, default="")
    recommendations: Mapped[str] = mapped_column(Text, default="")


class Evaluation(_Reviewed, TenantScoped, Base):
    """The host institution's evaluation of the assignment, 1 to 5 on each criterion."""

    __tablename__ = "assignment_evaluations"
    __table_args__ = (UniqueConstraint("tenant_id", "assignment_id"),)

    assignment_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("assignments.id", ondelete="CASCADE"))
    relevance: Mapped[int] = mapped_column(Integer)
    quality: Mapped[int] = mapped_column(Integer)
    timeliness: Mapped[int] = mapped_column(Integer)
    knowledge_transfer: Mapped[int] = mapped_column(Integer)
    would_host_again: Mapped[int] = mapped_column(Integer)
    comments: Mapped[str] = mapped_column(Text, default="")

    def mean(self) -> float:
        return sum(getattr(self, name) for name in EVALUATION_CRITERIA) / len(EVALUATION_CRITERIA)
