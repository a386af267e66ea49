"""Writing and reading the audit trail. Services call record() in the same transaction as
the change they audit, so a change and its audit row commit or roll back together."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.core.actor import Actor
from tenants.context import TenantContext


def record(db: AsyncSession, tenant_id: uuid.UUID, actor: Actor, action: str,
           object_type: str = "", object_id: object = "", before: dict | None = None,
           after: dict | None = None, at: datetime | None = None) -> AuditEvent:
    """`at`: when it happened, for history written afterwards (the demo's); default now."""
    event = AuditEvent(tenant_id=tenant_id, actor_id=actor.user_id, actor_label=actor.label,
                       action=action, object_type=object_type, object_id=str(object_id or ""),
                       before=before or {}, after=after or {}, ip=actor.ip)
    if at is not None:
        event.created_at = at
    db.add(event)
    return event


@dataclass
class AuditFilter:
    action: str = ""
    actor: str = ""
    since: datetime | None = None
    until: datetime | None = None


PAGE_SIZE = 50


async def list_events(db: AsyncSession, tenant: TenantContext, flt: AuditFilter,
                      page: int = 1) -> tuple[list[AuditEvent], bool]:
    """One page of the mission's events, newest first, and whether there is a next page."""
    query = select(AuditEvent).where(AuditEvent.tenant_id == tenant.id)
    if flt.action:
        query = query.where(AuditEvent.action.startswith(flt.action))
    if flt.actor:
        query = query.where(AuditEvent.actor_label.icontains(flt.actor, autoescape=True))
    if flt.since:
        query = query.where(AuditEvent.created_at >= flt.since)
    if flt.until:
        query = query.where(AuditEvent.created_at < flt.until)
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id)
    rows = list(await db.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


async def distinct_actions(db: AsyncSession, tenant: TenantContext) -> list[str]:
    return list(await db.scalars(select(AuditEvent.action).where(
        AuditEvent.tenant_id == tenant.id).distinct().order_by(AuditEvent.action)))


async def object_history(db: AsyncSession, tenant: TenantContext, object_type: str,
                         object_id: object) -> list[AuditEvent]:
    """One record's history from the audit trail, oldest first."""
    return list(await db.scalars(select(AuditEvent).where(
        AuditEvent.tenant_id == tenant.id, AuditEvent.object_type == object_type,
        AuditEvent.object_id == str(object_id)).order_by(AuditEvent.created_at, AuditEvent.id)))
