"""A host institution of a mission. Its focal points are members with the
institution_focal_point role whose membership names the institution."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ARRAY, DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantScoped

INSTITUTION_KINDS = ("ministry", "public_agency", "university", "ngo", "private_sector", "other")
# pending: applied through the public form; declined: an application staff turned down.
INSTITUTION_STATUSES = ("pending", "approved", "suspended", "declined")


class HostInstitution(TenantScoped, Base):
    __tablename__ = "host_institutions"
    __table_args__ = (Index("ix_host_institutions_tenant_id_status", "tenant_id", "status"),)

    name: Mapped[str] = mapped_column(String(300))
    # The name in the mission's other language (e.g. Arabic in Sudan, English in Mozambique).
    other_name: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(20))
    sectors: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    city: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    # Who applied through the public form; invited as the first focal point on approval.
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    contact_title: Mapped[str] = mapped_column(String(200), default="")
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

