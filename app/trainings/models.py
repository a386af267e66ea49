"""A training (any capacity-building activity) and its participants as counts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

# The portal's four categories, read by trainings' pages and demo from here.
from app.core.sex_categories import SEX_CATEGORIES as SEX_CATEGORIES
from app.db.base import Base, TenantScoped

TRAINING_STATUSES = ("planned", "held", "submitted", "returned", "approved")
TRAINING_KINDS = ("training", "training_of_trainers", "cascade", "awareness", "technical_support")
# The thematic areas a mission offers unless its mission file names its own (TrainingTerm).
THEMATIC_AREAS = ("counter_trafficking", "mixed_migration", "border_management", "avrr",
                  "labour_migration", "unaccompanied_minors", "protection", "other")
# A mission's lists of the activity form (its mission file): thematic areas, curricula.
TERM_KINDS = ("area", "curriculum")
AGE_GROUPS = ("under_18", "18_24", "25_34", "35_49", "50_plus", "not_recorded")
# How a training lists its participants: as counts, or one by one (data minimisation:
# the agency chooses per activity).
PARTICIPANT_MODES = ("counts", "individual")


class Training(TenantScoped, Base):
    """One activity of one partner agency. The participants are counted by sex here (the
    totals) and by institution in TrainingInstitutionCount rows. `version` grows with every
    change, so a form sent from an older version is refused."""

    __tablename__ = "trainings"
    __table_args__ = (
        Index("ix_trainings_tenant_id_partner_agency_id", "tenant_id", "partner_agency_id"),
        Index("ix_trainings_tenant_id_status", "tenant_id", "status"),
        Index("ix_trainings_tenant_id_parent_id", "tenant_id", "parent_id"),
    )

    partner_agency_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("partner_agencies.id", ondelete="CASCADE"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("trainings.id", ondelete="SET NULL"))
    # The project that paid for it, and the assignment that delivered it (both optional).
    funding_project_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("funding_projects.id", ondelete="SET NULL"))
    assignment_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("assignments.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(24))
    thematic_area: Mapped[str] = mapped_column(String(32))
    thematic_other: Mapped[str] = mapped_column(String(200), default="")
    curriculum: Mapped[str] = mapped_column(String(300), default="")
    target_group: Mapped[str] = mapped_column(String(300), default="")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    facilitators: Mapped[str] = mapped_column(Text, default="")
    female: Mapped[int] = mapped_column(Integer, default=0)
    male: Mapped[int] = mapped_column(Integer, default=0)
    other: Mapped[int] = mapped_column(Integer, default=0)
    not_recorded: Mapped[int] = mapped_column(Integer, default=0)
    participant_mode: Mapped[str] = mapped_column(String(16), default="counts")
    # Pre- and post-test of a training counting its participants: the average scores (0 to
    # 100) of the `tested` participants. A listed training keeps each person's instead.
    pre_score_avg: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    post_score_avg: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    tested: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    # The reason of the last return, for the agency to read.
    status_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    @property
    def total(self) -> int:
        return self.female + self.male + self.other + self.not_recorded


class TrainingInstitutionCount(TenantScoped, Base):
    """The participants of one institution in a training, by sex."""

    __tablename__ = "training_institution_counts"
    __table_args__ = (
        Index("ix_training_institution_counts_tenant_id_training_id", "tenant_id",
              "training_id"),
    )

    training_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("trainings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    institution: Mapped[str] = mapped_column(String(300))
    female: Mapped[int] = mapped_column(Integer, default=0)
    male: Mapped[int] = mapped_column(Integer, default=0)
    other: Mapped[int] = mapped_column(Integer, default=0)
    not_recorded: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def total(self) -> int:
        return self.female + self.male + self.other + self.not_recorded


class TrainingSession(TenantScoped, Base):
    """One day of a training: how many hours, where (a place, or online)."""

    __tablename__ = "training_sessions"
    __table_args__ = (
        Index("ix_training_sessions_tenant_id_training_id", "tenant_id", "training_id"),
    )

    training_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("trainings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    day: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    place: Mapped[str] = mapped_column(String(200), default="")
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    # Attendees counted, not listed: everyone of a training that counts its participants,
    # and those of a listed training who withdrew consent (their ticks are erased). None:
    # attendance not recorded for the session yet.
    attended_count: Mapped[int | None] = mapped_column(Integer)


class TrainingParticipant(TenantScoped, Base):
    """One participant of a training listed one by one. The name, role and contact are
    kept only with the person's consent; when it is withdrawn they are erased and the
    person stays as counts (sex, age group, institution)."""

    __tablename__ = "training_participants"
    __table_args__ = (
        Index("ix_training_participants_tenant_id_training_id", "tenant_id", "training_id"),
        UniqueConstraint("tenant_id", "certificate_code"),
    )

    training_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("trainings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200), default="")
    sex: Mapped[str] = mapped_column(String(16))
    age_group: Mapped[str] = mapped_column(String(16))
    institution: Mapped[str] = mapped_column(String(300), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Pre- and post-test scores, 0 to 100, each optional.
    pre_score: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    post_score: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    # Finds the certificate's public verification page (a certificate is issued once the
    # training is approved, to a named participant with consent).
    certificate_code: Mapped[str | None] = mapped_column(String(24))


class TrainingAgeCount(TenantScoped, Base):
    """The participants of a training in one age group (a breakdown of the total)."""

    __tablename__ = "training_age_counts"
    __table_args__ = (UniqueConstraint("tenant_id", "training_id", "age_group"),)

    training_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("trainings.id", ondelete="CASCADE"))
    age_group: Mapped[str] = mapped_column(String(16))
    participants: Mapped[int] = mapped_column(Integer)


class TrainingAttendance(TenantScoped, Base):
    """A participant listed one by one attended one session of their training."""

    __tablename__ = "training_attendance"
    __table_args__ = (
        Index("ix_training_attendance_tenant_id_training_id", "tenant_id", "training_id"),
        UniqueConstraint("tenant_id", "session_id", "participant_id"),
    )

    training_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("trainings.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("training_sessions.id", ondelete="CASCADE"))
    participant_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("training_participants.id", ondelete="CASCADE"))


class TrainingTerm(TenantScoped, Base):
    """One of a mission's thematic areas or curricula, named in each language, in the
    mission file's order (written when the mission is provisioned)."""

    __tablename__ = "training_terms"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "code"),)

    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))
    names: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)

    def display_name(self, locale: str) -> str:
        return self.names.get(locale) or self.names.get("en") or self.code
