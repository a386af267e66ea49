"""One import of a file: checked first (preview with row-level errors), then run, with
its progress, so the web page can poll it and a re-import can be traced."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantScoped

IMPORT_KINDS = ("experts", "requests")
# checking: uploaded, waiting for a worker to read and check it (app.tasks.check_import);
# unreadable: the worker could not read it as a roster (the failure says why).
IMPORT_STATUSES = ("checking", "checked", "unreadable", "running", "done", "failed")


class ImportBatch(TenantScoped, Base):
    __tablename__ = "import_batches"
    __table_args__ = (Index("ix_import_batches_tenant_id_created_at", "tenant_id", "created_at"),)

    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(200))
    storage_key: Mapped[str] = mapped_column(String(300))  # the uploaded file, kept until run
    status: Mapped[str] = mapped_column(String(16), default="checking")
    # The state imported experts start in (submitted, or verified when staff vouch for it).
    initial_status: Mapped[str] = mapped_column(String(16), default="submitted")
    valid_only: Mapped[bool] = mapped_column(default=False)
    # Skills of an expert roster that are not in the vocabulary become free tags (the
    # uploader's choice), instead of refusing their rows.
    free_skills: Mapped[bool] = mapped_column(default=False, server_default=false())
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    valid_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    # [{"row": 3, "column": "languages", "reason": "..."}], the first few hundred
    errors: Mapped[list] = mapped_column(JSONB, default=list)
    failure: Mapped[str] = mapped_column(Text, default="")
    # What the check found out about the file: {"format", "encoding", "ignored": [...]}.
    facts: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
