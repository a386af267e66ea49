"""Single sign-on with OpenID Connect: a mission's identity providers, the sign-ins in
flight (state, nonce and PKCE verifier kept here, never in the browser) and the link from a
provider's subject to a portal user. All three are scoped to one mission."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantScoped

# Roles an identity provider may hand to people it signs in for the first time. Never
# mission_admin: a whole directory must not become administrators by signing in.
SSO_ROLES = ("partner_user", "staff", "institution_focal_point")


class IdentityProvider(TenantScoped, Base):
    """An organisation's OpenID provider, configured by a mission admin for one mission."""

    __tablename__ = "identity_providers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint("default_role IN ('partner_user', 'staff', 'institution_focal_point')",
                        name="default_role"),
    )

    name: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    # Fernet token under a key derived from SECRET_KEY: a database dump alone does not
    # reveal it (app.accounts.sso.secret_box).
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    allowed_domains: Mapped[list[str]] = mapped_column(ARRAY(String(253)))
    default_role: Mapped[str] = mapped_column(String(32))
    partner_agency_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("partner_agencies.id"))
    # True: only people who already hold a role in the mission may sign in this way.
    existing_members_only: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SsoLoginState(TenantScoped, Base):
    """One sign-in in flight: what the callback must match, used at most once."""

    __tablename__ = "sso_login_states"
    __table_args__ = (
        UniqueConstraint("tenant_id", "state"),
        Index("ix_sso_login_states_tenant_id_expires_at", "tenant_id", "expires_at"),
    )

    provider_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("identity_providers.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    # Hash of a cookie set when the sign-in started: a callback URL carried to another
    # browser (login CSRF) does not match it.
    browser_hash: Mapped[str] = mapped_column(String(64))
    next_path: Mapped[str] = mapped_column(String(500), default="")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserIdentity(TenantScoped, Base):
    """A provider's subject (its stable id for a person) linked to a portal user."""

    __tablename__ = "user_identities"
    __table_args__ = (
        UniqueConstraint("provider_id", "subject"),
        # One account at a provider per user: a second subject claiming the same person is
        # refused rather than silently re-linked.
        UniqueConstraint("provider_id", "user_id"),
        Index("ix_user_identities_tenant_id_user_id", "tenant_id", "user_id"),
    )

    provider_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("identity_providers.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))  # as the provider last reported it
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
