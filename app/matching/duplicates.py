"""Staff's side of likely duplicate experts (flagged by app/experts/duplicates.py): the
pairs side by side, and merging one pair.

A merge keeps the profile staff choose and moves to it what can move without rewriting
anyone's history: the other profile's skills (added where the kept one lacks them), its
documents (CVs) and its shortlist entries for requests the kept profile is not on yet. The
other profile is then archived, not deleted: it points to the kept one (duplicate_of), is
made inactive (so it is neither matched nor counted as available) and keeps what cannot
move safely: its assignments, its shortlist entries for requests where both profiles
stand, its consent history, its account and the audit trail that names it. Here, in
matching, because shortlist entries are matching's."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.experts.duplicates import (
    DuplicateRefused,
    decide,
    get_open_duplicate,
    open_duplicates,
)
from app.experts.models import ExpertDocument, ExpertDuplicate, ExpertProfile, ExpertSkill, Skill
from app.i18n import gettext as _
from app.matching.models import ShortlistEntry
from tenants.context import TenantContext


@dataclass
class Card:
    """One profile of a pair, as staff compare them."""

    profile: ExpertProfile
    email: str = ""
    skills: list[str] = field(default_factory=list)
    documents: int = 0
    shortlists: int = 0


@dataclass
class Pair:
    duplicate: ExpertDuplicate
    first: Card
    second: Card


async def pairs_side_by_side(db: AsyncSession, tenant: TenantContext,
                             locale: str) -> list[Pair]:
    pairs = await open_duplicates(db, tenant)
    ids = list({i for p in pairs for i in (p.profile_id, p.other_id)})
    if not ids:
        return []
    profiles = {p.id: p for p in await db.scalars(select(ExpertProfile).where(
        ExpertProfile.tenant_id == tenant.id, ExpertProfile.id.in_(ids)))}
    cards = {i: Card(profiles[i]) for i in ids}
    users = [p.user_id for p in profiles.values() if p.user_id]
    emails = {row[0]: row[1] for row in await db.execute(select(User.id, User.email).where(
        User.id.in_(users)))} if users else {}
    for card in cards.values():
        card.email = emails.get(card.profile.user_id, "") if card.profile.user_id else ""
    for profile_id, skill in (await db.execute(
            select(ExpertSkill.profile_id, Skill).join(Skill, Skill.id == ExpertSkill.skill_id)
            .where(ExpertSkill.tenant_id == tenant.id, ExpertSkill.profile_id.in_(ids)))).all():
        cards[profile_id].skills.append(skill.display_name(locale))
    for model, name in ((ExpertDocument, "documents"), (ShortlistEntry, "shortlists")):
        for row in await db.execute(select(model.profile_id, func.count()).where(
                model.tenant_id == tenant.id, model.profile_id.in_(ids))
                .group_by(model.profile_id)):
            setattr(cards[row[0]], name, row[1])
    for card in cards.values():
        card.skills.sort()
    out = []
    for pair in pairs:  # the older profile (lower number) on the first side
        first, second = sorted((cards[pair.profile_id], cards[pair.other_id]),
                               key=lambda card: card.profile.number)
        out.append(Pair(pair, first, second))
    return out


async def merge_duplicate(db: AsyncSession, tenant: TenantContext, actor: Actor,
                          duplicate_id: uuid.UUID, keep_raw: str) -> ExpertProfile:
    """Keep one profile of the pair (its id in keep_raw) and archive the other into it.
    Returns the kept profile."""
    pair = await get_open_duplicate(db, tenant, duplicate_id)
    ids = {str(pair.profile_id): pair.profile_id, str(pair.other_id): pair.other_id}
    if keep_raw not in ids:
        raise DuplicateRefused(_("Choose which of the two profiles to keep."), status=400)
    keep_id = ids.pop(keep_raw)
    gone_id = next(iter(ids.values()))
    locked = {p.id: p for p in await db.scalars(select(ExpertProfile).where(
        ExpertProfile.tenant_id == tenant.id, ExpertProfile.id.in_([keep_id, gone_id]))
        .order_by(ExpertProfile.id).with_for_update())}
    kept, gone = locked[keep_id], locked[gone_id]
    if any(p.duplicate_of_id is not None or p.erased_at is not None for p in (kept, gone)):
        raise DuplicateRefused(_("One of these profiles was merged into another or erased "
                                 "since."))
    gone_skills = list(await db.scalars(select(ExpertSkill.skill_id).where(
        ExpertSkill.tenant_id == tenant.id, ExpertSkill.profile_id == gone_id)))
    skills = 0
    if gone_skills:
        added = await db.execute(insert(ExpertSkill).values([
            dict(id=uuid.uuid4(), tenant_id=tenant.id, profile_id=keep_id, skill_id=s)
            for s in gone_skills]).on_conflict_do_nothing(
            index_elements=["tenant_id", "profile_id", "skill_id"]).returning(ExpertSkill.id))
        skills = len(added.all())
    documents = (await db.execute(update(ExpertDocument).where(
        ExpertDocument.tenant_id == tenant.id, ExpertDocument.profile_id == gone_id)
        .values(profile_id=keep_id).returning(ExpertDocument.id))).all()
    kept_requests = select(ShortlistEntry.request_id).where(
        ShortlistEntry.tenant_id == tenant.id, ShortlistEntry.profile_id == keep_id)
    entries = (await db.execute(update(ShortlistEntry).where(
        ShortlistEntry.tenant_id == tenant.id, ShortlistEntry.profile_id == gone_id,
        ShortlistEntry.request_id.not_in(kept_requests))
        .values(profile_id=keep_id).returning(ShortlistEntry.id))).all()
    moment = now()
    before = {"status": gone.status}
    gone.duplicate_of_id, gone.status, gone.updated_at = keep_id, "inactive", moment
    gone.status_reason = _("Merged into expert #%(number)s: the same person.") \
        % {"number": kept.number}
    kept.updated_at = moment  # its search document gains the skills
    decide(pair, actor, "merged", moment)
    moved = {"skills": skills, "documents": len(documents), "shortlist_entries": len(entries)}
    record(db, tenant.id, actor, "expert_profile.merged", "expert_profile", gone.id,
           before=before, after={"status": gone.status, "duplicate_of": str(keep_id),
                                 "duplicate": str(pair.id), "moved": moved})
    record(db, tenant.id, actor, "expert_profile.merged_into", "expert_profile", kept.id,
           after={"from": str(gone_id), "duplicate": str(pair.id), "moved": moved})
    await db.commit()
    return kept
