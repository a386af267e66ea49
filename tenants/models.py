"""A mission (tenant) and its configuration tables."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import ARRAY, Integer, String, UniqueConstraint, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantScoped

TENANT_STATUSES = ("active", "suspended")


class Tenant(Base):
    """A country mission. Global (not row-level secured): the landing page lists them."""

    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Display names per locale, e.g. {"ar": "السودان", "pt": "Sudão"}.
    names: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    country_code: Mapped[str] = mapped_column(String(2))
    default_locale: Mapped[str] = mapped_column(String(8))
    locales: Mapped[list[str]] = mapped_column(ARRAY(String(8)))
    time_zone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")
    settings: Mapped[dict] = mapped_column(JSONB, default=dict)


class Sector(TenantScoped, Base):
    """One of the mission's programme sectors (water management, education, ...)."""

    __tablename__ = "sectors"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    names: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # A deactivated sector stays on the records that name it but is offered for no new one.
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    def display_name(self, locale: str) -> str:
        return sector_display_name(self.names, self.code, locale)


def sector_display_name(names: Mapping[str, str], code: str, locale: str) -> str:
    """A sector's name in the language asked, else in English, else its code."""
    return names.get(locale) or names.get("en") or code
