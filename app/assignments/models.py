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

from app.core.sex_categories import SEX_CATEGORIES
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
# People trained, by the portal's sex categories, then the other counted outputs.
TRAINED_FIELDS = tuple(f"trained_{sex}" for sex in SEX_CATEGORIES)
OUTPUT_FIELDS = (*TRAINED_FIELDS, "sessions_held", "documents_produced",
                 "institutions_supported")


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
    # Outputs in the figures donors ask for (OUTPUT_FIELDS), and what numbers do not say.
    trained_female: Mapped[int] = mapped_column(Integer, default=0)
    trained_male: Mapped[int] = mapped_column(Integer, default=0)
    trained_other: Mapped[int] = mapped_column(Integer, default=0)
    trained_not_recorded: Mapped[int] = mapped_column(Integer, default=0)
    sessions_held: Mapped[int] = mapped_column(Integer, default=0)
    documents_produced: Mapped[int] = mapped_column(Integer, default=0)
    institutions_supported: Mapped[int] = mapped_column(Integer, default=0)
    outputs_notes: Mapped[str] = mapped_column(Text, default="")
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
    # One attached document (annexes, photos as PDF), checked like a CV.
    attachment_filename: Mapped[str | None] = mapped_column(String(200))
    attachment_content_type: Mapped[str | None] = mapped_column(String(100))
    attachment_size: Mapped[int | None] = mapped_column(Integer)
    attachment_sha256: Mapped[str | None] = mapped_column(String(64))
    attachment_key: Mapped[str | None] = mapped_column(String(300))


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


# A milestone is a step of the work, a deliverable something handed over; either is pending
# until done (or dropped when the terms change).
MILESTONE_KINDS = ("milestone", "deliverable")
MILESTONE_STATUSES = ("pending", "done", "dropped")


class Milestone(TenantScoped, Base):
    """A step or a deliverable of one assignment, first taken from the request's terms of
    reference, then kept by staff; its evidence is in MilestoneEvidence."""

    __tablename__ = "assignment_milestones"
    __table_args__ = (Index("ix_assignment_milestones_tenant_id_assignment_id", "tenant_id",
                            "assignment_id"),
                      Index("ix_assignment_milestones_tenant_id_status_due_date", "tenant_id",
                            "status", "due_date"))

    assignment_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("assignments.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16), default="milestone")
    title: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MilestoneEvidence(TenantScoped, Base):
    """One evidence file of a milestone (a milestone keeps several: an attendance sheet, the
    deliverable itself, its annexes), checked like a CV, with who handed it in (created_at
    says when). The assignment is named too, so that an erased expert's files are found
    without going through the milestones."""

    __tablename__ = "assignment_milestone_evidence"
    __table_args__ = (Index("ix_assignment_milestone_evidence_tenant_id_milestone_id",
                            "tenant_id", "milestone_id"),
                      Index("ix_assignment_milestone_evidence_tenant_id_assignment_id",
                            "tenant_id", "assignment_id"))

    milestone_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("assignment_milestones.id", ondelete="CASCADE"))
    assignment_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("assignments.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(300))
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))


# The expert's rating of the host institution, each from 1 (poor) to 5 (excellent).
HOST_RATING_CRITERIA = ("support_received", "preparation", "would_go_again")


class HostRating(TenantScoped, Base):
    """The expert's rating of the host institution: read by staff only, never by the
    institution (so the expert can be frank)."""

    __tablename__ = "assignment_host_ratings"
    __table_args__ = (UniqueConstraint("tenant_id", "assignment_id"),)

    assignment_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("assignments.id", ondelete="CASCADE"))
    support_received: Mapped[int] = mapped_column(Integer)
    preparation: Mapped[int] = mapped_column(Integer)
    would_go_again: Mapped[int] = mapped_column(Integer)
    comments: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                   server_default=func.now())


class ReminderSent(TenantScoped, Base):
    """One reminder about one item (an overdue milestone, a missing report or evaluation)
    mailed to one person on one day of the mission's calendar: the daily job mails an item
    at most once a day, however often it runs."""

    __tablename__ = "assignment_reminders_sent"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "item", "day"),
                      Index("ix_assignment_reminders_sent_tenant_id_day", "tenant_id", "day"))

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(60))  # "milestone:<id>", "report:<id>", ...
    day: Mapped[date] = mapped_column(Date)


class ReminderOptOut(TenantScoped, Base):
    """A person who asked for no more assignment reminders in this mission."""

    __tablename__ = "assignment_reminder_opt_outs"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"))


FOLLOW_UP_ROUNDS = (3, 6)  # months after the work ended
STILL_USED = ("yes", "partly", "no")


class FollowUp(TenantScoped, Base):
    """A short questionnaire sent to one focal point of the host institution 3 or 6 months
    after the work ended, answered once through a signed link without signing in."""

    __tablename__ = "assignment_follow_ups"
    __table_args__ = (UniqueConstraint("tenant_id", "assignment_id", "round", "email"),)

    assignment_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("assignments.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(320))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The answers: are the skills still in use, how many staff apply them, what changed.
    still_used: Mapped[str | None] = mapped_column(String(8))
    staff_applying: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[str] = mapped_column(Text, default="")
    next_needs: Mapped[str] = mapped_column(Text, default="")
