"""Donor viewers' funding projects: a donor viewer (role donor_viewer) reads the project
report of the funding projects their invitation named, and nothing else of the mission.
The invitation carries the projects chosen; accepting it writes one DonorProject row per
project, which the reports read (app/reports/services.py: scope_for, visible_projects)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import DonorProject, Membership
from app.i18n import gettext as _
from app.partners.models import FundingProject
from tenants.context import TenantContext

DONOR = "donor_viewer"


async def donor_projects(db: AsyncSession, tenant: TenantContext,
                         membership_id: uuid.UUID | None) -> list[FundingProject]:
    """The projects a donor viewer's membership may see, by donor and name."""
    if membership_id is None:
        return []
    return list(await db.scalars(
        select(FundingProject).join(DonorProject,
                                    DonorProject.funding_project_id == FundingProject.id)
        .where(FundingProject.tenant_id == tenant.id, DonorProject.tenant_id == tenant.id,
               DonorProject.membership_id == membership_id)
        .order_by(FundingProject.donor, FundingProject.name)))


async def projects_by_membership(db: AsyncSession, tenant: TenantContext,
                                 membership_ids: Iterable[uuid.UUID]
                                 ) -> dict[uuid.UUID, list[FundingProject]]:
    """The projects of several donor viewers at once (the People page), in one query."""
    ids = list(membership_ids)
    found: dict[uuid.UUID, list[FundingProject]] = {}
    if not ids:
        return found
    rows = await db.execute(
        select(DonorProject.membership_id, FundingProject)
        .join(FundingProject, FundingProject.id == DonorProject.funding_project_id)
        .where(DonorProject.tenant_id == tenant.id, FundingProject.tenant_id == tenant.id,
               DonorProject.membership_id.in_(ids))
        .order_by(FundingProject.donor, FundingProject.name))
    for membership_id, project in rows:
        found.setdefault(membership_id, []).append(project)
    return found


async def chosen_projects(db: AsyncSession, tenant: TenantContext, raw_ids: Iterable[str],
                          errors: dict[str, str]) -> list[uuid.UUID]:
    """The funding projects an invitation names: at least one, each a project of the mission
    (a closed one too: its outputs are still reported). Problems go to `errors`."""
    wanted = []
    for raw in raw_ids:
        try:
            wanted.append(uuid.UUID(raw.strip()))
        except ValueError:
            errors["funding_project_ids"] = _("Choose among the funding projects listed.")
            return []
    if not wanted:
        errors["funding_project_ids"] = _("Choose the funding projects this donor may see.")
        return []
    known = set(await db.scalars(select(FundingProject.id).where(
        FundingProject.tenant_id == tenant.id, FundingProject.id.in_(wanted))))
    if known != set(wanted):
        errors["funding_project_ids"] = _("Choose among the funding projects listed.")
        return []
    return list(dict.fromkeys(wanted))


async def set_donor_projects(db: AsyncSession, tenant: TenantContext, membership: Membership,
                             project_ids: Iterable[uuid.UUID]) -> None:
    """The membership's projects become exactly these (none for any role but a donor's).
    Projects removed from the mission since the invitation are left out."""
    await db.flush()  # a new membership needs its id
    await db.execute(delete(DonorProject).where(DonorProject.tenant_id == tenant.id,
                                                DonorProject.membership_id == membership.id))
    ids = list(project_ids) if membership.role == DONOR else []
    if ids:
        existing = await db.scalars(select(FundingProject.id).where(
            FundingProject.tenant_id == tenant.id, FundingProject.id.in_(ids)))
        db.add_all(DonorProject(tenant_id=tenant.id, membership_id=membership.id,
                                funding_project_id=project_id) for project_id in existing)
