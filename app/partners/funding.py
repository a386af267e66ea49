"""Funding projects: the donor-funded projects of a mission, kept by its mission admins
(add, change, close, open again). Trainings and assignments name one; a closed project
stays on the records it funded but is no longer offered for new ones.

Every change is audited and bumps the project's version, so a form sent from an older
version is refused instead of overwriting someone else's change."""

from __future__ import annotations

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
from app.partners.models import FUNDING_STATUSES, FundingProject
from app.web.forms import FieldErrors
from tenants.context import TenantContext

MAX_PROJECTS = 500   # per mission: a list an admin still reads


@dataclass
class FundingForm:
    """What the form sent, as text."""

    code: str = ""
    name: str = ""
    donor: str = ""
    start_date: str = ""
    end_date: str = ""
    version: int | None = None


async def list_funding_projects(db: AsyncSession, tenant: TenantContext,
                                active_only: bool = False) -> list[FundingProject]:
    query = select(FundingProject).where(FundingProject.tenant_id == tenant.id)
    if active_only:
        query = query.where(FundingProject.status == "active")
    return list(await db.scalars(query.order_by(FundingProject.status,
                                                FundingProject.donor, FundingProject.name)))


async def get_funding_project(db: AsyncSession, tenant: TenantContext,
                              project_id: uuid.UUID, lock: bool = False) -> FundingProject:
    """The mission's project, or 404: another mission's id is simply not found."""
    query = select(FundingProject).where(FundingProject.tenant_id == tenant.id,
                                         FundingProject.id == project_id)
    if lock:
        query = query.with_for_update()
    project = await db.scalar(query)
    if project is None:
        raise NotFoundException()
    return project


async def funding_project_choice(db: AsyncSession, tenant: TenantContext, errors: FieldErrors,
                                 name: str, raw: str,
                                 keep: uuid.UUID | None = None) -> uuid.UUID | None:
    """A project chosen on another record's form: blank for none, else an active project
    of the mission, or the one the record already names (`keep`) even if closed since."""
    wanted = errors.option_id(name, raw.strip())
    if wanted is None:
        return None
    project = await db.scalar(select(FundingProject).where(
        FundingProject.tenant_id == tenant.id, FundingProject.id == wanted))
    if project is None or (project.status != "active" and project.id != keep):
        errors[name] = _("Choose one of the options listed.")
        return None
    return project.id


def _snapshot(project: FundingProject) -> dict:
    return {"code": project.code, "name": project.name, "donor": project.donor,
            "start_date": project.start_date.isoformat(),
            "end_date": project.end_date.isoformat(), "status": project.status}


async def _validate(db: AsyncSession, tenant: TenantContext, form: FundingForm,
                    project: FundingProject | None) -> dict:
    errors = FieldErrors()
    code = errors.text("code", " ".join(form.code.split()), 64, required=True)
    name = errors.text("name", " ".join(form.name.split()), 300, required=True)
    donor = errors.text("donor", " ".join(form.donor.split()), 200, required=True)
    start = errors.day("start_date", form.start_date.strip())
    end = errors.day("end_date", form.end_date.strip())
    if start and end and end < start:
        errors["end_date"] = _("The end comes before the start.")
    if code and "code" not in errors:
        query = select(FundingProject.id).where(FundingProject.tenant_id == tenant.id,
                                                func.lower(FundingProject.code) == code.lower())
        if project is not None:
            query = query.where(FundingProject.id != project.id)
        if await db.scalar(query) is not None:
            errors["code"] = _("Another project of the mission has this code.")
    if errors:
        raise FormErrors(errors)
    return {"code": code, "name": name, "donor": donor, "start_date": start, "end_date": end}


async def add_funding_project(db: AsyncSession, tenant: TenantContext, actor: Actor,
                              form: FundingForm) -> FundingProject:
    count = await db.scalar(select(func.count()).select_from(FundingProject).where(
        FundingProject.tenant_id == tenant.id))
    if (count or 0) >= MAX_PROJECTS:
        raise FormErrors({"code": _("The mission already has %(n)s projects: close and "
                                    "reuse one instead.") % {"n": MAX_PROJECTS}})
    values = await _validate(db, tenant, form, None)
    project = FundingProject(tenant_id=tenant.id, status="active", version=1, **values)
    db.add(project)
    await db.flush()
    record(db, tenant.id, actor, "funding_project.created", "funding_project", project.id,
           after=_snapshot(project))
    await db.commit()
    return project


def _check_version(project: FundingProject, version: int | None) -> None:
    check_version(project, version, _("Someone changed this project while you were working "
                                      "on it. Here it is as it is now: check it and send "
                                      "your change again."))


async def update_funding_project(db: AsyncSession, tenant: TenantContext, actor: Actor,
                                 project_id: uuid.UUID, form: FundingForm) -> FundingProject:
    project = await get_funding_project(db, tenant, project_id, lock=True)
    _check_version(project, form.version)
    values = await _validate(db, tenant, form, project)
    before = _snapshot(project)
    for name, value in values.items():
        setattr(project, name, value)
    after = _snapshot(project)
    if before == after:
        await db.rollback()
        return project
    changed = [k for k in after if before[k] != after[k]]
    bump_version(project)
    record(db, tenant.id, actor, "funding_project.updated", "funding_project", project.id,
           before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    await db.commit()
    return project


async def set_funding_status(db: AsyncSession, tenant: TenantContext, actor: Actor,
                             project_id: uuid.UUID, status: str,
                             version: int | None) -> FundingProject:
    """Close a project (no longer offered for new records) or open it again."""
    project = await get_funding_project(db, tenant, project_id, lock=True)
    if status not in FUNDING_STATUSES:
        raise Refusal(_("Choose one of the options listed."), status=400)
    _check_version(project, version)
    if project.status != status:
        before = project.status
        project.status = status
        bump_version(project)
        action = "funding_project.closed" if status == "closed" else "funding_project.opened"
        record(db, tenant.id, actor, action, "funding_project", project.id,
               before={"status": before}, after={"status": status})
    await db.commit()
    return project
