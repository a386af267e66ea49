"""Mission admins' care of the mission's sectors: add one, rename it in the mission's
languages, deactivate it (it stays on the profiles, requests and institutions that name it,
and is offered for no new choice) or make it active again. The code never changes: records
and roster files name sectors by it.

A mission file provisioned again only inserts the sectors it lacks
(tenants/provisioning.py), so what admins change here is kept. Every change is audited."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.services import record
from app.core.actor import Actor
from app.core.errors import FormErrors
from app.experts.models import ExpertProfile
from app.i18n import gettext as _
from search_index.text import fold
from tenants.context import TenantContext
from tenants.models import Sector
from tenants.services import list_sectors

MAX_SECTORS = 100   # per mission: a list a form still offers as checkboxes
NAME_LENGTH = 200


@dataclass
class SectorList:
    sectors: list[Sector]
    experts: dict[str, int]     # code -> profiles that name it


async def sector_list(db: AsyncSession, tenant: TenantContext) -> SectorList:
    code = func.unnest(ExpertProfile.sectors).label("code")
    used = select(code).where(ExpertProfile.tenant_id == tenant.id).subquery()
    counts: dict[str, int] = {row[0]: row[1] for row in await db.execute(
        select(used.c.code, func.count()).group_by(used.c.code))}
    return SectorList(await list_sectors(db, tenant), counts)


async def get_sector(db: AsyncSession, tenant: TenantContext, sector_id: uuid.UUID,
                     lock: bool = False) -> Sector:
    """The mission's sector, or 404: another mission's id is simply not found."""
    query = select(Sector).where(Sector.tenant_id == tenant.id, Sector.id == sector_id)
    sector = await db.scalar(query.with_for_update() if lock else query)
    if sector is None:
        raise NotFoundException()
    return sector


def _code_for(names: dict[str, str]) -> str:
    """A code from the English name (else the first given): lower-case words joined by _."""
    source = names.get("en") or next(iter(names.values()), "")
    return re.sub(r"[^a-z0-9]+", "_", fold(source)).strip("_")[:64]


async def _names(db: AsyncSession, tenant: TenantContext, form: dict,
                 sector: Sector | None) -> dict[str, str]:
    """The name in each of the mission's languages (all required); none may be another
    sector's name or code, or a roster's cell naming it would be ambiguous."""
    errors: dict[str, str] = {}
    names: dict[str, str] = {}
    for locale in tenant.locales:
        key = f"name_{locale}"
        value = " ".join(str(form.get(key, "")).split())
        if not value:
            errors[key] = _("This field is required.")
        elif len(value) > NAME_LENGTH:
            errors[key] = _("Use at most %(n)s characters.") % {"n": NAME_LENGTH}
        else:
            names[locale] = value
    taken: dict[str, Sector] = {}
    for other in await list_sectors(db, tenant):
        if sector is None or other.id != sector.id:
            for label in (other.code, *other.names.values()):
                taken.setdefault(fold(label), other)
    for locale, value in names.items():
        clash = taken.get(fold(value))
        if clash is not None:
            errors[f"name_{locale}"] = _("Another sector of the mission is called so: %(name)s.") \
                % {"name": clash.display_name(locale)}
    if errors:
        raise FormErrors(errors)
    return names


async def add_sector(db: AsyncSession, tenant: TenantContext, actor: Actor,
                     form: dict) -> Sector:
    sectors = await list_sectors(db, tenant)
    first = f"name_{tenant.locales[0]}"
    if len(sectors) >= MAX_SECTORS:
        raise FormErrors({first: _("The mission already has %(n)s sectors: rename or "
                                   "reactivate one instead.") % {"n": MAX_SECTORS}})
    names = await _names(db, tenant, form, None)
    code = _code_for(names)
    if not code or any(s.code == code for s in sectors):
        code = f"sector_{len(sectors) + 1}"
        while any(s.code == code for s in sectors):
            code += "_"
    sector = Sector(tenant_id=tenant.id, code=code, names=names, active=True,
                    position=max((s.position for s in sectors), default=-1) + 1)
    db.add(sector)
    await db.flush()
    record(db, tenant.id, actor, "sector.added", "sector", sector.id,
           after={"code": code, "names": names})
    await db.commit()
    return sector


async def rename_sector(db: AsyncSession, tenant: TenantContext, actor: Actor,
                        sector_id: uuid.UUID, form: dict) -> Sector:
    sector = await get_sector(db, tenant, sector_id, lock=True)
    names = await _names(db, tenant, form, sector)
    # Names in languages the mission no longer speaks are kept, not lost.
    new = {**sector.names, **names}
    if new == sector.names:
        await db.commit()  # nothing changed: only the row lock to release
        return sector
    before = dict(sector.names)
    sector.names = new
    record(db, tenant.id, actor, "sector.renamed", "sector", sector.id,
           before={"names": before}, after={"names": new})
    await db.commit()
    return sector


async def set_sector_active(db: AsyncSession, tenant: TenantContext, actor: Actor,
                            sector_id: uuid.UUID, active: bool) -> Sector:
    sector = await get_sector(db, tenant, sector_id, lock=True)
    if sector.active == active:
        await db.commit()  # nothing changed: only the row lock to release
        return sector
    sector.active = active
    record(db, tenant.id, actor, "sector.reactivated" if active else "sector.deactivated",
           "sector", sector.id, after={"code": sector.code})
    await db.commit()
    return sector
