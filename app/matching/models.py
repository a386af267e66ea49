"""The shortlist of a request and staff's saved registry searches (the assignment a
confirmed selection creates lives in app/assignments)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantScoped

SHORTLIST_STATUSES = ("proposed", "interested", "invited", "accepted", "declined", "selected",
                      "not_selected")


def _request_fk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True),
                         ForeignKey("assignment_requests.id", ondelete="CASCADE"))


def _profile_fk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), ForeignKey("expert_profiles.id", ondelete="CASCADE"))


class ShortlistEntry(TenantScoped, Base):
    """One expert considered for one request: proposed by staff from the matches, or
    interested (the expert asked), then invited, accepted or declined, and finally selected
    or not."""

    __tablename__ = "shortlist_entries"
    __table_args__ = (UniqueConstraint("tenant_id", "request_id", "profile_id"),)

    request_id: Mapped[uuid.UUID] = _request_fk()
    profile_id: Mapped[uuid.UUID] = _profile_fk()
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    note: Mapped[str] = mapped_column(Text, default="")  # staff's, never shown to others
    # The score and its explanation when the expert was shortlisted (rankings move on).
    score: Mapped[int | None] = mapped_column(Integer)
    explanation: Mapped[dict] = mapped_column(JSONB, default=dict)
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    response_reason: Mapped[str] = mapped_column(Text, default="")
    chosen_by_institution: Mapped[bool] = mapped_column(Boolean, default=False)


class SavedSearch(TenantScoped, Base):
    """A staff member's registry search, kept under a name to run again."""

    __tablename__ = "saved_searches"
    __table_args__ = (Index("ix_saved_searches_tenant_id_user_id", "tenant_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    query: Mapped[str] = mapped_column(String(2000))  # the search page's query string
