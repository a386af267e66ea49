"""The partner agencies and funding projects of a mission file, written when the mission is
provisioned."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.partners.models import PARTNER_KINDS, FundingProject, PartnerAgency
from tenants.models import Tenant
from tenants.provisioning import MissionSpec, ProvisioningStep, provisioning_step


def check(spec: MissionSpec) -> list[str]:
    errors = [f"partner agency {p.code!r}: kind {p.kind!r} is not one of "
              f"{', '.join(PARTNER_KINDS)}"
              for p in spec.partner_agencies if p.kind not in PARTNER_KINDS]
    errors += [f"funding project {p.code!r}: the end comes before the start"
               for p in spec.funding_projects if p.end < p.start]
    codes = [p.code for p in spec.funding_projects]
    if len(codes) != len(set(codes)):
        errors.append("funding projects: codes must be unique")
    return errors


async def apply(session: AsyncSession, tenant: Tenant, spec: MissionSpec) -> None:
    """Upsert agencies by code: provisioning twice changes nothing. Funding projects are
    only added: once there, mission admins keep them (a closed project stays closed)."""
    for partner in spec.partner_agencies:
        stmt = insert(PartnerAgency).values(
            tenant_id=tenant.id, code=partner.code, name=partner.name,
            short_name=partner.short_name, kind=partner.kind)
        await session.execute(stmt.on_conflict_do_update(
            index_elements=["tenant_id", "code"],
            set_={"name": stmt.excluded.name, "short_name": stmt.excluded.short_name,
                  "kind": stmt.excluded.kind}))
    for project in spec.funding_projects:
        await session.execute(insert(FundingProject).values(
            tenant_id=tenant.id, code=project.code, name=project.name, donor=project.donor,
            start_date=project.start, end_date=project.end, status="active", version=1,
        ).on_conflict_do_nothing(index_elements=["tenant_id", "code"]))


provisioning_step(ProvisioningStep(sections=("partner_agencies", "funding_projects"),
                                   check=check, apply=apply))
