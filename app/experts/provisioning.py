"""The skills vocabulary (with its broader and related links) and the consent notice of a
mission file, written when the mission is provisioned."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.experts.models import ConsentNotice, Skill, SkillLink
from app.i18n import SUPPORTED_LOCALES
from tenants.models import Tenant
from tenants.provisioning import MissionSpec, ProvisioningStep, provisioning_step


def check(spec: MissionSpec) -> list[str]:
    sectors = {s.code for s in spec.sectors}
    errors = [f"skill {skill.code!r}: sector {skill.sector!r} is not a sector of this mission"
              for skill in spec.skills if skill.sector and skill.sector not in sectors]
    codes = {skill.code for skill in spec.skills}
    errors += [f"skill {skill.code!r}: {kind} skill {other!r} is not another skill of this mission"
               for skill in spec.skills for kind, others in _links(skill)
               for other in others if other not in codes or other == skill.code]
    unknown_notice = [loc for loc in spec.consent_texts if loc not in SUPPORTED_LOCALES]
    if unknown_notice:
        errors.append(f"consent notice: unknown languages {unknown_notice}")
    return errors


async def apply(session: AsyncSession, tenant: Tenant, spec: MissionSpec) -> None:
    """Upsert by code (skills) and by version and language (notice): idempotent."""
    for skill in spec.skills:
        stmt = insert(Skill).values(tenant_id=tenant.id, code=skill.code, names=skill.names,
                                    synonyms=skill.synonyms, sector=skill.sector,
                                    source="mission")
        await session.execute(stmt.on_conflict_do_update(
            index_elements=["tenant_id", "code"],
            set_={"names": stmt.excluded.names, "synonyms": stmt.excluded.synonyms,
                  "sector": stmt.excluded.sector}))
    # Links are only added: provisioning again never removes what the mission has.
    ids = dict((await session.execute(select(Skill.code, Skill.id).where(
        Skill.tenant_id == tenant.id))).all())
    for skill in spec.skills:
        for kind, others in _links(skill):
            for other in others:
                await session.execute(insert(SkillLink).values(
                    tenant_id=tenant.id, skill_id=ids[skill.code], other_id=ids[other],
                    kind=kind).on_conflict_do_nothing())
    for locale, text in spec.consent_texts.items():
        stmt = insert(ConsentNotice).values(tenant_id=tenant.id, version=spec.consent_version,
                                            locale=locale, text=text.strip())
        await session.execute(stmt.on_conflict_do_update(
            index_elements=["tenant_id", "version", "locale"],
            set_={"text": stmt.excluded.text}))


def _links(skill) -> tuple[tuple[str, list[str]], ...]:
    return (("broader", skill.broader), ("related", skill.related))


provisioning_step(ProvisioningStep(sections=("skills", "consent_texts"), check=check,
                                   apply=apply))
