"""API tokens: created and revoked by mission admins, valid in one mission only. Only a
hash is stored; the token is shown once, when it is created."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantScoped

# full: the whole API. aggregates: the report figures only, small counts hidden (a donor's
# or a partner's tool reads what the mission reports, not its registry).
TOKEN_SCOPES = ("full", "aggregates")


class ApiToken(TenantScoped, Base):
    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_tenant_id_created_at", "tenant_id", "created_at"),
                      CheckConstraint("scope IN ('full', 'aggregates')", name="scope"))

    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown in the list to tell tokens apart
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scope: Mapped[str] = mapped_column(String(16), default="full", server_default="full")
