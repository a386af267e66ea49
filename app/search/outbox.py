"""Recording changes for the search engine in the same transaction as the change.

A session hook (before_flush) looks at every object being written: an expert profile or
anything hanging off one (languages, skills, availability, consents, education, work),
an assignment request or its skills and languages. For each object touched it adds an
outbox row naming the index and the id; the `search.update_index` job (app.jobs) turns
those rows into engine updates. A change and its outbox row commit or roll back together, so an update is never
lost, even when the engine is down.

Bulk statements (update()/delete()) bypass the hook: services that use them also touch
the parent object (updated_at)."""

from __future__ import annotations

import uuid

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.assignment_requests.models import AssignmentRequest, RequestLanguage, RequestSkill
from app.db.session import TenantSession
from app.experts.models import (
    ExpertAvailability,
    ExpertConsent,
    ExpertEducation,
    ExpertLanguage,
    ExpertProfile,
    ExpertSkill,
    ExpertWork,
)
from app.search.models import SearchOutbox

EXPERTS, REQUESTS = "experts", "requests"
_PROFILE_PARTS = (ExpertLanguage, ExpertSkill, ExpertAvailability, ExpertConsent,
                  ExpertEducation, ExpertWork)
_REQUEST_PARTS = (RequestSkill, RequestLanguage)


def _indexed(obj) -> tuple[str, uuid.UUID] | None:
    if isinstance(obj, ExpertProfile):
        return EXPERTS, obj.id
    if isinstance(obj, _PROFILE_PARTS):
        return EXPERTS, obj.profile_id
    if isinstance(obj, AssignmentRequest):
        return REQUESTS, obj.id
    if isinstance(obj, _REQUEST_PARTS):
        return REQUESTS, obj.request_id
    return None


def track_indexed_changes(session: Session, flush_context, instances) -> None:
    """before_flush: one outbox row per indexed object touched in this flush."""
    seen: set[tuple[str, uuid.UUID]] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        found = _indexed(obj)
        if found is None or found[1] is None or found in seen:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        seen.add(found)
        session.add(SearchOutbox(tenant_id=obj.tenant_id, index=found[0], object_id=found[1]))


# Registered here, not in app/db (which knows no domain): app/domains.py imports this module
# wherever sessions are opened (web, worker, commands, tests).
event.listen(TenantSession, "before_flush", track_indexed_changes)
