from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantScoped

PARTNER_KINDS = ("un_agency", "ministry", "committee", "judiciary", "ngo", "other")
PARTNER_STATUSES = ("active", "inactive")


class PartnerAgency(TenantScoped, Base):
    __tablename__ = "partner_agencies"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    # Stable key from the mission file, so provisioning can update instead of duplicating.
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(40), default="")
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


FUNDING_STATUSES = ("active", "closed")


class FundingProject(TenantScoped, Base):
    """A donor-funded project of the mission (the Netherlands MFA, the European Commission,
    ...): trainings and assignments name the one that paid for them, and the reports group
    by it. Closed projects stay for the records they fund, but are no longer offered."""

    __tablename__ = "funding_projects"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    # The donor's or the mission's reference, unique in the mission.
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    donor: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
