"""Partner agencies: the public list, and the mission admins' pages to add, change,
deactivate and reactivate them. An inactive agency stays on the trainings it recorded but
is no longer listed nor offered for new ones.

Every change is audited and bumps the agency's version: a form sent from an older version
is refused instead of overwriting someone else's change."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.services import record
from app.core.actor import Actor
from app.core.errors import FormErrors, Refusal
from app.core.versions import bump_version, check_version
from app.i18n import gettext as _
from app.partners.models import PARTNER_KINDS, PARTNER_STATUSES, PartnerAgency
from app.web.forms import FieldErrors
from tenants.context import TenantContext

MAX_AGENCIES = 500   # per mission


async def list_partner_agencies(db: AsyncSession, tenant: TenantContext) -> list[PartnerAgency]:
    return list(await db.scalars(
        select(PartnerAgency)
        .where(PartnerAgency.tenant_id == tenant.id, PartnerAgency.status == "active")
        .order_by(PartnerAgency.kind, PartnerAgency.name)))


async def all_partner_agencies(db: AsyncSession, tenant: TenantContext) -> list[PartnerAgency]:
    """Active and inactive, for the mission admins."""
    return list(await db.scalars(
        select(PartnerAgency).where(PartnerAgency.tenant_id == tenant.id)
        .order_by(PartnerAgency.status, PartnerAgency.name)))


async def get_partner_agency(db: AsyncSession, tenant: TenantContext,
                             partner_id: uuid.UUID, lock: bool = False) -> PartnerAgency:
    """The mission's partner agency, or 404: another mission's id is simply not found."""
    query = select(PartnerAgency).where(PartnerAgency.tenant_id == tenant.id,
                                        PartnerAgency.id == partner_id)
    if lock:
        query = query.with_for_update()
    partner = await db.scalar(query)
    if partner is None:
        raise NotFoundException()
    return partner


@dataclass
class AgencyForm:
    """What the form sent, as text."""

    name: str = ""
    short_name: str = ""
    kind: str = ""
    version: int | None = None


def _snapshot(agency: PartnerAgency) -> dict:
    return {"name": agency.name, "short_name": agency.short_name, "kind": agency.kind,
            "status": agency.status}


async def _validate(db: AsyncSession, tenant: TenantContext, form: AgencyForm,
                    agency: PartnerAgency | None) -> dict:
    errors = FieldErrors()
    name = errors.text("name", " ".join(form.name.split()), 300, required=True)
    short = errors.text("short_name", " ".join(form.short_name.split()), 40)
    kind = errors.choice("kind", form.kind.strip(), PARTNER_KINDS, required=True)
    if name and "name" not in errors:
        query = select(PartnerAgency.id).where(PartnerAgency.tenant_id == tenant.id,
                                               func.lower(PartnerAgency.name) == name.lower())
        if agency is not None:
            query = query.where(PartnerAgency.id != agency.id)
        if await db.scalar(query) is not None:
            errors["name"] = _("The mission already has a partner agency of this name.")
    if errors:
        raise FormErrors(errors)
    return {"name": name, "short_name": short, "kind": kind}


async def _free_code(db: AsyncSession, tenant: TenantContext, name: str) -> str:
    """A stable key like the mission files' ('unhcr', 'moi'), from the agency's name."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50] or "agency"
    taken = set(await db.scalars(select(PartnerAgency.code).where(
        PartnerAgency.tenant_id == tenant.id, PartnerAgency.code.startswith(base))))
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    return code


async def add_partner_agency(db: AsyncSession, tenant: TenantContext, actor: Actor,
                             form: AgencyForm) -> PartnerAgency:
    count = await db.scalar(select(func.count()).select_from(PartnerAgency).where(
        PartnerAgency.tenant_id == tenant.id))
    if (count or 0) >= MAX_AGENCIES:
        raise FormErrors({"name": _("The mission already has %(n)s partner agencies: "
                                    "reactivate one instead.") % {"n": MAX_AGENCIES}})
    values = await _validate(db, tenant, form, None)
    agency = PartnerAgency(tenant_id=tenant.id, status="active", version=1,
                           code=await _free_code(db, tenant, values["short_name"]
                                                 or values["name"]), **values)
    db.add(agency)
    await db.flush()
    record(db, tenant.id, actor, "partner_agency.created", "partner_agency", agency.id,
           after={"code": agency.code, **_snapshot(agency)})
    await db.commit()
    return agency


def _check_version(agency: PartnerAgency, version: int | None) -> None:
    check_version(agency, version, _("Someone changed this partner agency while you were "
                                     "working on it. Here it is as it is now: check it and "
                                     "send your change again."))


async def update_partner_agency(db: AsyncSession, tenant: TenantContext, actor: Actor,
                                agency_id: uuid.UUID, form: AgencyForm) -> PartnerAgency:
    agency = await get_partner_agency(db, tenant, agency_id, lock=True)
    _check_version(agency, form.version)
    values = await _validate(db, tenant, form, agency)
    before = _snapshot(agency)
    for name, value in values.items():
        setattr(agency, name, value)
    after = _snapshot(agency)
    if before == after:
        await db.rollback()
        return agency
    changed = [k for k in after if before[k] != after[k]]
    bump_version(agency)
    record(db, tenant.id, actor, "partner_agency.updated", "partner_agency", agency.id,
           before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    await db.commit()
    return agency


async def set_agency_status(db: AsyncSession, tenant: TenantContext, actor: Actor,
                            agency_id: uuid.UUID, status: str,
                            version: int | None) -> PartnerAgency:
    """Deactivate an agency (no longer listed nor offered; its partner users keep reading
    their trainings but record no new ones) or reactivate it."""
    agency = await get_partner_agency(db, tenant, agency_id, lock=True)
    if status not in PARTNER_STATUSES:
        raise Refusal(_("Choose one of the options listed."), status=400)
    _check_version(agency, version)
    if agency.status != status:
        before = agency.status
        agency.status = status
        bump_version(agency)
        action = ("partner_agency.deactivated" if status == "inactive"
                  else "partner_agency.reactivated")
        record(db, tenant.id, actor, action, "partner_agency", agency.id,
               before={"status": before}, after={"status": status})
    await db.commit()
    return agency
