from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
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
