"""The partner agencies of a mission file, written when the mission is provisioned."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.partners.models import PARTNER_KINDS, PartnerAgency
from tenants.models import Tenant
from tenants.provisioning import MissionSpec, ProvisioningStep, provisioning_step


def check(spec: MissionSpec) -> list[str]:
    return [f"partner agency {p.code!r}: kind {p.kind!r} is not one of {', '.join(PARTNER_KINDS)}"
            for p in spec.partner_agencies if p.kind not in PARTNER_KINDS]


async def apply(session: AsyncSession, tenant: Tenant, spec: MissionSpec) -> None:
    """Upsert by code: provisioning twice changes nothing."""
    for partner in spec.partner_agencies:
        stmt = insert(PartnerAgency).values(
            tenant_id=tenant.id, code=partner.code, name=partner.name,
            short_name=partner.short_name, kind=partner.kind)
        await session.execute(stmt.on_conflict_do_update(
            index_elements=["tenant_id", "code"],
            set_={"name": stmt.excluded.name, "short_name": stmt.excluded.short_name,
                  "kind": stmt.excluded.kind}))


provisioning_step(ProvisioningStep(sections=("partner_agencies",), check=check, apply=apply))
