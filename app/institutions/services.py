"""Host institutions: listing, fetching with authorisation, creating and editing, the public
application form, their status, and their focal points. Plain async functions taking the
session, the mission and the acting user; every change is audited in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import invitations
from app.accounts.affiliations import HostInstitutionRef, register_host_institutions
from app.accounts.services import (
    email_problem,
    members_who_can,
    membership_of,
    normalise_email,
    user_by_email,
)
from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FormErrors
from app.core.roles import INSTITUTIONS_MANAGE
from app.i18n import gettext as _
from app.institutions.models import INSTITUTION_KINDS, HostInstitution
from app.notifications.services import queue_mail
from app.web.forms import FieldErrors
from tenants.context import TenantContext
from tenants.services import list_sectors

# (status, action) -> new status; only staff change an institution's status.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("pending", "approve"): "approved",
    ("pending", "decline"): "declined",
    ("approved", "suspend"): "suspended",
    ("suspended", "reinstate"): "approved",
    ("declined", "approve"): "approved",
}
NEEDS_REASON = frozenset({"decline", "suspend"})
# A public form must not become a mail cannon: one address may have this many applications
# waiting at once.
MAX_PENDING_PER_CONTACT = 1


def allowed_actions(status: str) -> list[str]:
    return [action for (src, action) in TRANSITIONS if src == status]


async def list_institutions(db: AsyncSession, tenant: TenantContext, status: str = "",
                            kind: str = "", q: str = "") -> list[HostInstitution]:
    query = select(HostInstitution).where(HostInstitution.tenant_id == tenant.id)
    if status:
        query = query.where(HostInstitution.status == status)
    if kind:
        query = query.where(HostInstitution.kind == kind)
    if q:
        # What was typed is text, not a LIKE pattern (% and _ match themselves).
        query = query.where(HostInstitution.name.icontains(q, autoescape=True)
                            | HostInstitution.other_name.icontains(q, autoescape=True))
    return list(await db.scalars(query.order_by(HostInstitution.name).limit(1000)))


async def get_institution(db: AsyncSession, tenant: TenantContext, actor: Actor,
                          institution_id: uuid.UUID) -> HostInstitution:
    """An institution the actor may see (staff: any; a focal point: their own), or 404."""
    institution = await db.scalar(select(HostInstitution).where(
        HostInstitution.tenant_id == tenant.id, HostInstitution.id == institution_id))
    if institution is None:
        raise NotFoundException()
    if not actor.can(INSTITUTIONS_MANAGE) and actor.host_institution_id != institution.id:
        raise NotFoundException()
    return institution


def _website(errors: FieldErrors, raw: str) -> str:
    raw = raw.strip()
    if not raw:
        return ""
    if "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - read for its check: a port out of range raises
    except ValueError:  # a bracket that opens no IPv6 address, a port out of range
        host = ""
    if not host or parts.scheme not in ("http", "https") or "." not in host \
            or any(c.isspace() for c in raw) or len(raw) > 300:
        errors["website"] = _("Enter a web address like https://www.example.gov.")
    return raw


async def _read_fields(db: AsyncSession, tenant: TenantContext, form,
                       errors: FieldErrors) -> dict:
    mission_sectors = {s.code for s in await list_sectors(db, tenant, active_only=True)}
    sectors = [s for s in form.getall("sectors", []) if s]
    if not set(sectors) <= mission_sectors:
        errors["sectors"] = _("Choose one of the options listed.")
    return dict(
        name=errors.text("name", form.get("name", "").strip(), 300, required=True),
        other_name=errors.text("other_name", form.get("other_name", "").strip(), 300),
        kind=errors.choice("kind", form.get("kind", ""), INSTITUTION_KINDS, required=True),
        sectors=sectors,
        city=errors.text("city", form.get("city", "").strip(), 120),
        address=errors.text("address", form.get("address", "").strip(), 1000),
        website=_website(errors, form.get("website", "")),
    )


async def create_institution(db: AsyncSession, tenant: TenantContext, actor: Actor,
                             form, at: datetime | None = None) -> HostInstitution:
    """Staff add an institution; it is approved at once. `at`: when, for history written
    afterwards (the demo's); default now."""
    errors = FieldErrors()
    fields = await _read_fields(db, tenant, form, errors)
    if errors:
        raise FormErrors(errors)
    institution = HostInstitution(tenant_id=tenant.id, status="approved",
                                  approved_at=at or now(), **fields)
    if at is not None:
        institution.created_at = at
    db.add(institution)
    await db.flush()
    record(db, tenant.id, actor, "host_institution.created", "host_institution", institution.id,
           after={"name": institution.name, "status": "approved"}, at=at)
    await db.commit()
    return institution


async def update_institution(db: AsyncSession, tenant: TenantContext, actor: Actor,
                             institution: HostInstitution, form) -> HostInstitution:
    errors = FieldErrors()
    fields = await _read_fields(db, tenant, form, errors)
    if errors:
        raise FormErrors(errors)
    changed = {k: v for k, v in fields.items() if getattr(institution, k) != v}
    for key, value in changed.items():
        setattr(institution, key, value)
    record(db, tenant.id, actor, "host_institution.edited", "host_institution", institution.id,
           after={"fields": sorted(changed)})
    await db.commit()
    return institution


async def apply(db: AsyncSession, tenant: TenantContext, actor: Actor, form,
                review_link, at: datetime | None = None,
                notify: bool = True) -> HostInstitution:
    """The public application: the institution waits (pending) until staff approve it; the
    person who applied is invited as its first focal point then. History written afterwards
    (the demo's) gives `at`, when it applied, and notify=False: staff are not mailed."""
    errors = FieldErrors()
    fields = await _read_fields(db, tenant, form, errors)
    contact_name = errors.text("contact_name", form.get("contact_name", "").strip(), 200,
                               required=True)
    contact_title = errors.text("contact_title", form.get("contact_title", "").strip(), 200)
    contact_email = normalise_email(form.get("contact_email", ""))
    if problem := email_problem(contact_email):
        errors["contact_email"] = problem
    elif (await db.scalar(select(func.count()).select_from(HostInstitution).where(
            HostInstitution.tenant_id == tenant.id, HostInstitution.status == "pending",
            HostInstitution.contact_email == contact_email)) or 0) >= MAX_PENDING_PER_CONTACT:
        errors["contact_email"] = _("An application from this address is already waiting for "
                                    "the mission's answer.")
    if errors:
        raise FormErrors(errors)
    institution = HostInstitution(tenant_id=tenant.id, status="pending",
                                  contact_name=contact_name, contact_title=contact_title,
                                  contact_email=contact_email, **fields)
    if at is not None:
        institution.created_at = at
    db.add(institution)
    await db.flush()
    record(db, tenant.id, actor, "host_institution.applied", "host_institution", institution.id,
           after={"name": institution.name}, at=at)
    for person in await members_who_can(db, tenant, INSTITUTIONS_MANAGE) if notify else []:
        queue_mail(db, tenant, person.email, "institution_applied",
                   person.preferred_locale or tenant.default_locale, name=person.name,
                   institution=institution.name, link=review_link(institution.id))
    await db.commit()
    return institution


async def change_status(db: AsyncSession, tenant: TenantContext, actor: Actor,
                        institution: HostInstitution, action: str, reason: str,
                        invitation_link, at: datetime | None = None) -> HostInstitution:
    """Approve, decline, suspend or reinstate. Approving an application invites its
    contact person as the institution's first focal point. `at`: when, for history written
    afterwards (the demo's); default now."""
    await db.execute(select(HostInstitution.id).where(HostInstitution.id == institution.id)
                     .with_for_update())
    await db.refresh(institution)
    target = TRANSITIONS.get((institution.status, action))
    if target is None:
        raise FormErrors({"reason": _("This action is not possible for an institution in "
                                      "this state.")})
    reason = reason.strip()[:2000]
    if action in NEEDS_REASON and not reason:
        raise FormErrors({"reason": _("Say why; the institution will read it.")})
    before = institution.status
    institution.status = target
    institution.status_reason = reason if action in NEEDS_REASON else ""
    if target == "approved":
        institution.approved_at = institution.approved_at or at or now()
    record(db, tenant.id, actor, f"host_institution.{action}", "host_institution",
           institution.id, before={"status": before},
           after={"status": target, "reason": reason or None}, at=at)
    if action == "decline" and institution.contact_email:
        queue_mail(db, tenant, institution.contact_email, "institution_declined",
                   tenant.default_locale, name=institution.contact_name,
                   institution=institution.name, reason=reason)
    if action == "approve" and institution.contact_email:
        existing = await user_by_email(db, institution.contact_email)
        if existing is None or await membership_of(db, tenant, existing.id) is None:
            await db.flush()
            # invite() commits, together with the status change above.
            await invitations.invite(db, tenant, actor, institution.contact_email,
                                     "institution_focal_point", None, invitation_link,
                                     host_institution_id=institution.id)
            return institution
    await db.commit()
    return institution


async def invite_focal_point(db: AsyncSession, tenant: TenantContext, actor: Actor,
                             institution: HostInstitution, email: str, invitation_link) -> None:
    await invitations.invite(db, tenant, actor, email, "institution_focal_point", None,
                             invitation_link, host_institution_id=institution.id)


async def _host_institution_refs(db: AsyncSession, tenant: TenantContext,
                                 ids: Collection[uuid.UUID] | None,
                                 status: str) -> list[HostInstitutionRef]:
    query = select(HostInstitution).where(HostInstitution.tenant_id == tenant.id)
    if ids is not None:
        query = query.where(HostInstitution.id.in_(list(ids)))
    if status:
        query = query.where(HostInstitution.status == status)
    return [HostInstitutionRef(i.id, i.name, i.status)
            for i in await db.scalars(query.order_by(HostInstitution.name))]


# Accounts names a focal point's institution through this (app/accounts/affiliations.py).
register_host_institutions(_host_institution_refs)


# --- what later domains add to an institution's page ----------------------------------------

# Its assignment requests, for one: a later domain registers a loader returning more of the
# page's context (app/assignment_requests/services.py), so institutions never imports it.
PagePart = Callable[[AsyncSession, TenantContext, HostInstitution], Awaitable[dict[str, Any]]]
_page_parts: list[PagePart] = []


def institution_page_part(loader: PagePart) -> PagePart:
    _page_parts.append(loader)
    return loader


async def institution_page_context(db: AsyncSession, tenant: TenantContext,
                                   institution: HostInstitution) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for loader in _page_parts:
        context.update(await loader(db, tenant, institution))
    return context
