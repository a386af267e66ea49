"""Staff's care of the skills vocabulary: add skills, merge the free tags experts typed
into vocabulary skills (their profiles follow), or promote a tag into the vocabulary."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FormErrors
from app.experts.models import ExpertProfile, ExpertSkill, Skill
from app.experts.profile_form import slugify
from app.i18n import gettext as _
from search_index.text import fold
from tenants.context import TenantContext
from tenants.directory import mission_sectors
from tenants.services import list_sectors


class SkillErrors(FormErrors):
    """A vocabulary change refused field by field."""


@dataclass
class Vocabulary:
    skills: list[Skill]            # the mission's vocabulary (imported or added by staff)
    free_tags: list[Skill]         # what experts typed that is not in it
    usage: dict[uuid.UUID, int]    # skill id -> how many profiles list it
    sectors: list


async def vocabulary(db: AsyncSession, tenant: TenantContext) -> Vocabulary:
    usage = dict((await db.execute(select(ExpertSkill.skill_id, func.count())
                                   .where(ExpertSkill.tenant_id == tenant.id)
                                   .group_by(ExpertSkill.skill_id))).all())
    skills = list(await db.scalars(select(Skill).where(Skill.tenant_id == tenant.id)
                                   .order_by(Skill.source == "free", Skill.code).limit(2000)))
    return Vocabulary(skills=[s for s in skills if s.source != "free"],
                      free_tags=[s for s in skills if s.source == "free"], usage=usage,
                      sectors=await mission_sectors(db, tenant, active_only=True))


async def _skill(db: AsyncSession, tenant: TenantContext, skill_id: uuid.UUID) -> Skill:
    skill = await db.scalar(select(Skill).where(Skill.tenant_id == tenant.id,
                                                Skill.id == skill_id))
    if skill is None:
        raise NotFoundException()
    return skill


async def add_skill(db: AsyncSession, tenant: TenantContext, actor: Actor, form: dict,
                    locale: str) -> Skill:
    name = form.get("name", "").strip()
    errors = {}
    if not name or len(name) > 120:
        errors["name"] = _("Enter the skill's name (at most %(n)s characters).") % {"n": 120}
    sector = form.get("sector") or None
    if sector and sector not in {s.code for s in await list_sectors(db, tenant,
                                                                      active_only=True)}:
        errors["sector"] = _("Choose one of the options listed.")
    synonyms = [s.strip() for s in re.split(r"[,;،\n]", form.get("synonyms", "")) if s.strip()]
    if any(len(s) > 200 for s in synonyms):
        errors["synonyms"] = _("Use at most %(n)s characters.") % {"n": 200}
    code = slugify(name)
    if not errors and await db.scalar(select(Skill.id).where(Skill.tenant_id == tenant.id,
                                                             Skill.code == code)):
        errors["name"] = _("This skill is already in the vocabulary.")
    if errors:
        raise SkillErrors(errors)
    skill = Skill(tenant_id=tenant.id, code=code, names={locale: name}, synonyms=synonyms[:30],
                  sector=sector, source="staff")
    db.add(skill)
    await db.flush()
    record(db, tenant.id, actor, "skill.added", "skill", skill.id, after={"name": name})
    await db.commit()
    return skill


async def merge_free_tag(db: AsyncSession, tenant: TenantContext, actor: Actor,
                         tag_id: uuid.UUID, into: str) -> None:
    tag = await _skill(db, tenant, tag_id)
    try:
        target = await _skill(db, tenant, uuid.UUID(into)) if into else None
    except (ValueError, NotFoundException):
        target = None
    if tag.source != "free" or target is None or target.source == "free" or target.id == tag.id:
        raise SkillErrors({"into": _("Choose the vocabulary skill to merge this tag into.")})
    # Profiles that had both keep one link; the others move to the vocabulary skill.
    has_target = select(ExpertSkill.profile_id).where(ExpertSkill.tenant_id == tenant.id,
                                                      ExpertSkill.skill_id == target.id)
    await db.execute(update(ExpertSkill).where(
        ExpertSkill.tenant_id == tenant.id, ExpertSkill.skill_id == tag.id,
        ExpertSkill.profile_id.not_in(has_target)).values(skill_id=target.id))
    label = next(iter(tag.names.values()), tag.code)
    if fold(label) not in {fold(s) for s in target.synonyms}:
        target.synonyms = [*target.synonyms, label]
    await db.delete(tag)  # remaining duplicate links go with it (ON DELETE CASCADE)
    # The links moved by a bulk statement, which the search outbox does not see: touching
    # the profiles does, so their search documents follow.
    for profile in await db.scalars(select(ExpertProfile).where(
            ExpertProfile.tenant_id == tenant.id, ExpertProfile.id.in_(
                select(ExpertSkill.profile_id).where(ExpertSkill.tenant_id == tenant.id,
                                                     ExpertSkill.skill_id == target.id)))):
        profile.updated_at = now()
    record(db, tenant.id, actor, "skill.merged", "skill", target.id,
           before={"tag": label}, after={"into": target.code})
    await db.commit()


async def promote_free_tag(db: AsyncSession, tenant: TenantContext, actor: Actor,
                           tag_id: uuid.UUID, locale: str) -> None:
    tag = await _skill(db, tenant, tag_id)
    if tag.source != "free":
        return
    code = tag.code.removeprefix("free:")
    if await db.scalar(select(Skill.id).where(Skill.tenant_id == tenant.id, Skill.code == code)):
        code = f"{code}-{tag.id.hex[:6]}"
    tag.code, tag.source = code, "staff"
    record(db, tenant.id, actor, "skill.promoted", "skill", tag.id, after={"code": code})
    await db.commit()
