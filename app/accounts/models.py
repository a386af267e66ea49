from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantScoped

USER_STATUSES = ("active", "disabled", "erased")


class User(Base):
    """A person. Global: one person may hold roles in several missions (memberships)."""

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    preferred_locale: Mapped[str | None] = mapped_column(String(8))
    # None: single sign-on only. The runtime role may write it but not read it (migration
    # 0014): it is never loaded with the user; services read one hash through
    # account_password_hash, and has_password says whether there is one.
    password_hash: Mapped[str | None] = mapped_column(String(200), deferred=True,
                                                      deferred_raiseload=True)
    has_password: Mapped[bool] = mapped_column(
        Boolean, Computed("password_hash IS NOT NULL", persisted=True))
    status: Mapped[str] = mapped_column(String(16), default="active")
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Two-step sign-in (app/accounts/second_factor.py). The secret is hidden like the
    # password hash (read through account_totp_secret); it is written at set-up and in use
    # once second_factor_at says when it was confirmed. The last code's time step is kept
    # so that a code cannot be used twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64), deferred=True,
                                                    deferred_raiseload=True)
    second_factor_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)


class Membership(TenantScoped, Base):
    """A user's role in one mission."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    partner_agency_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("partner_agencies.id", ondelete="SET NULL"))
    # A focal point's institution (role institution_focal_point).
    host_institution_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("host_institutions.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="active")


class DonorProject(TenantScoped, Base):
    """A funding project whose report a donor viewer may read (role donor_viewer): one row
    per membership and project, set by the invitation they accepted."""

    __tablename__ = "donor_projects"
    __table_args__ = (UniqueConstraint("tenant_id", "membership_id", "funding_project_id"),)

    membership_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("memberships.id", ondelete="CASCADE"))
    funding_project_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("funding_projects.id", ondelete="CASCADE"))


class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its hash is stored, and
    the runtime role finds the row through session_for_token, never by reading hashes."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True, deferred=True,
                                            deferred_raiseload=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), index=True)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class OneTimeToken(TenantScoped, Base):
    """Email verification and password reset links: hashed, expiring, single use, and valid
    only in the mission that sent them."""

    __tablename__ = "one_time_tokens"
    __table_args__ = (Index("ix_one_time_tokens_tenant_id_user_id", "tenant_id", "user_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SignInFailure(Base):
    """Failed sign-ins, counted per account and per IP address for throttling."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_email_created", "email", "created_at"),
                      Index("ix_sign_in_failures_ip_created", "ip", "created_at"))

    email: Mapped[str] = mapped_column(String(320))
    ip: Mapped[str] = mapped_column(String(64))


class Invitation(TenantScoped, Base):
    """A mission admin's invitation of someone, by email, into a role of the mission."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_tenant_id_email", "tenant_id", "email"),)

    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(32))
    partner_agency_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("partner_agencies.id", ondelete="CASCADE"))
    host_institution_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("host_institutions.id", ondelete="CASCADE"))
    # A donor viewer's funding projects, copied to DonorProject rows when they accept.
    funding_project_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), server_default=text("'{}'"), default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RecoveryCode(Base):
    """One of a person's single-use second-factor recovery codes (its hash only). Global,
    like the person."""

    __tablename__ = "recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), deferred=True, deferred_raiseload=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
