"""The search outbox: one row per change to an indexed object, written in the same
transaction as the change (app.search.outbox), removed once the engine has it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantScoped


class SearchOutbox(TenantScoped, Base):
    __tablename__ = "search_outbox"
    __table_args__ = (Index("ix_search_outbox_tenant_id_next_attempt_at", "tenant_id",
                            "next_attempt_at"),)

    index: Mapped[str] = mapped_column(String(32))  # "experts" or "requests"
    object_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
