from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantScoped


class OutboxMail(TenantScoped, Base):
    __tablename__ = "outbox_mails"
    __table_args__ = (Index("ix_outbox_mails_tenant_id_status", "tenant_id", "status"),)

    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A mail queued in bulk (an import's invitations) is rendered when it is sent: until
    # then its subject and body are empty and these hold the language and the template's
    # values (app.notifications.services.mail_text).
    locale: Mapped[str | None] = mapped_column(String(8))
    context: Mapped[dict | None] = mapped_column(JSONB)
