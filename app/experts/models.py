"""Expert profiles and everything hanging off them. All rows are scoped to one mission."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.db.base import Base, TenantScoped

PROFILE_STATUSES = ("draft", "submitted", "verified", "inactive", "withdrawn", "rejected")
GENDERS = ("female", "male", "other", "undisclosed")
MODALITIES = ("on_site", "remote", "hybrid")
LANGUAGE_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2", "native")
# ISCED 2011 levels an expert's degree can have (3 = upper secondary ... 8 = doctoral).
EDUCATION_LEVELS = ("3", "4", "5", "6", "7", "8")
CONSENT_PURPOSES = ("matching", "share_with_institutions", "future_contact")
AVAILABILITY_KINDS = ("available", "unavailable")
HEADLINE_LENGTH = 160  # characters of the expert's headline


def _profile_fk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), ForeignKey("expert_profiles.id", ondelete="CASCADE"))


class ProfilePart(TenantScoped):
    """A part of one expert's profile that imports write in bulk. (tenant_id, profile_id)
    refers to the profile's (tenant_id, id): one foreign key, checked once per row written,
    that also keeps a part in its profile's mission; the mission is reached through the
    profile (migration 0032). Each class lists profile_key() in its __table_args__."""

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(UUID(as_uuid=True), nullable=False)

    profile_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)


def profile_key() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["tenant_id", "profile_id"],
                                ["expert_profiles.tenant_id", "expert_profiles.id"],
                                ondelete="CASCADE")


class ExpertProfile(TenantScoped, Base):
    __tablename__ = "expert_profiles"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),
                      UniqueConstraint("tenant_id", "number"),
                      UniqueConstraint("tenant_id", "id"),  # what its parts refer to
                      UniqueConstraint("tenant_id", "external_ref"),
                      Index("ix_expert_profiles_tenant_id_status", "tenant_id", "status"),
                      # The registry's sorts (app/experts/registry.py SORTS): the first page
                      # of a large mission is read in index order instead of sorting it all.
                      Index("ix_expert_profiles_registry_updated", "tenant_id",
                            text("updated_at DESC NULLS LAST"), "number"),
                      Index("ix_expert_profiles_registry_experience", "tenant_id",
                            text("years_experience DESC NULLS LAST"), "number"),
                      Index("ix_expert_profiles_registry_name", "tenant_id", "full_name",
                            "number"))

    # NULL once the expert's account is erased; the profile stays as "Expert #number".
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    number: Mapped[int] = mapped_column(Integer)  # per mission, shown as "Expert #123"
    status: Mapped[str] = mapped_column(String(16), default="draft")
    full_name: Mapped[str] = mapped_column(String(200), default="")
    gender: Mapped[str | None] = mapped_column(String(16))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    nationality: Mapped[str | None] = mapped_column(String(2))
    phone: Mapped[str] = mapped_column(String(40), default="")
    residence_country: Mapped[str | None] = mapped_column(String(2))
    residence_city: Mapped[str] = mapped_column(String(120), default="")
    years_experience: Mapped[int | None] = mapped_column(Integer)
    # Their profession in one line, as a CV opens ("Hydrologist | flood modelling").
    headline: Mapped[str] = mapped_column(String(HEADLINE_LENGTH), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    modality: Mapped[str | None] = mapped_column(String(16))
    min_weeks: Mapped[int | None] = mapped_column(Integer)
    max_weeks: Mapped[int | None] = mapped_column(Integer)
    sectors: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    status_reason: Mapped[str] = mapped_column(Text, default="")  # rejection / changes asked
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The row's reference in the roster it was imported from: importing again updates it.
    external_ref: Mapped[str | None] = mapped_column(String(120))
    # Set when staff merged this profile into another as a duplicate (it is then inactive).
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("expert_profiles.id", ondelete="SET NULL"))


class ExpertSector(ProfilePart, Base):
    """One of a profile's sectors as a row, derived from ExpertProfile.sectors (which every
    writer sets) by triggers on expert_profiles (migration 0031): the registry filters on
    it, since an equality here is read from an index under row-level security and the
    array's containment operator is not (it is not leakproof)."""
    __tablename__ = "expert_sectors"
    __table_args__ = (UniqueConstraint("profile_id", "sector"),
                      Index("ix_expert_sectors_tenant_id_sector_profile_id", "tenant_id",
                            "sector", "profile_id"), profile_key())

    sector: Mapped[str] = mapped_column(String(64))


class ExpertLanguage(ProfilePart, Base):
    __tablename__ = "expert_languages"
    __table_args__ = (UniqueConstraint("tenant_id", "profile_id", "language"), profile_key())

    language: Mapped[str] = mapped_column(String(3))  # ISO 639-1
    level: Mapped[str] = mapped_column(String(8))


class ExpertEducation(ProfilePart, Base):
    __tablename__ = "expert_education"
    __table_args__ = (Index("ix_expert_education_tenant_id_profile_id", "tenant_id", "profile_id"),
                      profile_key())

    level: Mapped[str] = mapped_column(String(2))
    field: Mapped[str] = mapped_column(String(200))
    institution: Mapped[str] = mapped_column(String(200))
    year: Mapped[int | None] = mapped_column(Integer)


class ExpertWork(ProfilePart, Base):
    __tablename__ = "expert_work_history"
    __table_args__ = (Index("ix_expert_work_history_tenant_id_profile_id", "tenant_id",
                            "profile_id"), profile_key())

    title: Mapped[str] = mapped_column(String(200))
    employer: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)  # None: current position
    description: Mapped[str] = mapped_column(Text, default="")


class ExpertAvailability(ProfilePart, Base):
    """A window the expert can travel/work, or a period they cannot."""

    __tablename__ = "expert_availability"
    __table_args__ = (Index("ix_expert_availability_tenant_id_profile_id", "tenant_id",
                            "profile_id"), profile_key())

    kind: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class Skill(TenantScoped, Base):
    """The mission's skills vocabulary: names per language and synonyms that search and
    matching treat as the same skill. Free tags typed by experts are skills with
    source 'free' until staff merge them into a vocabulary skill."""

    __tablename__ = "skills"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(120))
    names: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    synonyms: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    sector: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default="mission")  # mission, esco, staff, free
    external_uri: Mapped[str] = mapped_column(String(300), default="")

    def display_name(self, locale: str) -> str:
        return self.names.get(locale) or self.names.get("en") or self.code


# How a skill of the vocabulary stands to another (a SKOS-like link, from the mission
# file): "broader", the other is the wider concept ("Hydrological modelling" has the
# broader "Hydrology"; read the other way it is narrower), or "related".
SKILL_LINK_KINDS = ("broader", "related")


class SkillLink(TenantScoped, Base):
    """A link between two skills of the mission's vocabulary. Matching counts an expert's
    skill linked to a wanted one as a partial match (app/matching/similarity.LINKED)."""

    __tablename__ = "skill_links"
    __table_args__ = (UniqueConstraint("tenant_id", "skill_id", "other_id", "kind"),
                      CheckConstraint("kind IN ('broader', 'related')", name="kind"),
                      CheckConstraint("skill_id <> other_id", name="two_skills"))

    skill_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("skills.id", ondelete="CASCADE"))
    other_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("skills.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))


class ExpertSkill(ProfilePart, Base):
    __tablename__ = "expert_skills"
    __table_args__ = (UniqueConstraint("tenant_id", "profile_id", "skill_id"), profile_key())

    skill_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("skills.id", ondelete="CASCADE"))


class ConsentNotice(TenantScoped, Base):
    """The mission's data-protection notice, one row per version and language."""

    __tablename__ = "consent_notices"
    __table_args__ = (UniqueConstraint("tenant_id", "version", "locale"),)

    version: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)


class ExpertConsent(ProfilePart, Base):
    """One grant of one purpose; withdrawal closes it. History is kept, never rewritten."""

    __tablename__ = "expert_consents"
    __table_args__ = (Index("ix_expert_consents_tenant_id_profile_id", "tenant_id", "profile_id"),
                      profile_key())

    purpose: Mapped[str] = mapped_column(String(40))
    notice_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40), default="expert")  # or imported_roster
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ExpertDocument(TenantScoped, Base):
    """An uploaded file (the CV); the bytes live in the document storage, not the database."""

    __tablename__ = "expert_documents"
    __table_args__ = (Index("ix_expert_documents_tenant_id_profile_id", "tenant_id", "profile_id"),)

    profile_id: Mapped[uuid.UUID] = _profile_fk()
    kind: Mapped[str] = mapped_column(String(16), default="cv")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))


class ExpertNote(TenantScoped, Base):
    """Staff's private notes on a profile (never shown to the expert or institutions)."""

    __tablename__ = "expert_notes"
    __table_args__ = (Index("ix_expert_notes_tenant_id_profile_id", "tenant_id", "profile_id"),)

    profile_id: Mapped[uuid.UUID] = _profile_fk()
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    author_label: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)


DUPLICATE_REASONS = ("name_birth_year", "phone")
DUPLICATE_STATUSES = ("open", "dismissed", "merged")


class ExpertDuplicate(TenantScoped, Base):
    """Two profiles that look like the same person (the same name and birth year, or the
    same phone number), for staff to merge or dismiss. A pair is stored once, the lower id
    first; a dismissed pair stays, so it is never flagged again."""

    __tablename__ = "expert_duplicates"
    __table_args__ = (UniqueConstraint("tenant_id", "profile_id", "other_id"),
                      Index("ix_expert_duplicates_tenant_id_status", "tenant_id", "status"))

    profile_id: Mapped[uuid.UUID] = _profile_fk()
    other_id: Mapped[uuid.UUID] = _profile_fk()
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
