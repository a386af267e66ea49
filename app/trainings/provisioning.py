"""The thematic areas and curricula of a mission file, written when the mission is
provisioned: the activity form offers them."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.trainings.models import TrainingTerm
from tenants.models import Tenant
from tenants.provisioning import MissionSpec, ProvisioningStep, TermSpec, provisioning_step

SECTIONS = {"area": "thematic_areas", "curriculum": "curricula"}


def check(spec: MissionSpec) -> list[str]:
    errors = []
    for section in SECTIONS.values():
        terms: list[TermSpec] = getattr(spec, section)
        codes = [t.code for t in terms]
        if len(codes) != len(set(codes)):
            errors.append(f"{section}: codes must be unique")
        errors += [f"{section} {t.code!r}: name it in English at least"
                   for t in terms if not t.names.get("en", "").strip()]
    return errors


async def apply(session: AsyncSession, tenant: Tenant, spec: MissionSpec) -> None:
    """Upsert by kind and code, in the file's order: provisioning twice changes nothing. An
    area no longer in the file stays (trainings name it)."""
    for kind, section in SECTIONS.items():
        for position, term in enumerate(getattr(spec, section)):
            stmt = insert(TrainingTerm).values(tenant_id=tenant.id, kind=kind, code=term.code,
                                               names=term.names, position=position)
            await session.execute(stmt.on_conflict_do_update(
                index_elements=["tenant_id", "kind", "code"],
                set_={"names": stmt.excluded.names, "position": stmt.excluded.position}))


provisioning_step(ProvisioningStep(sections=tuple(SECTIONS.values()), check=check,
                                   apply=apply))
