"""Expert profiles: creating the draft, fetching with authorisation, the life cycle,
consent and completeness. Plain async functions taking the session, the mission and the
acting user; every change is audited in the same transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal, overload

from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.services import get_user, members_who_can
from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FormErrors, Refusal
from app.core.numbering import next_number
from app.core.roles import EXPERTS_VET, EXPERTS_VIEW, PROFILE_OWN
from app.experts.models import (
    CONSENT_PURPOSES,
    ConsentNotice,
    ExpertAvailability,
    ExpertConsent,
    ExpertDocument,
    ExpertEducation,
    ExpertLanguage,
    ExpertNote,
    ExpertProfile,
    ExpertSkill,
    ExpertWork,
    Skill,
)
from app.experts.states import EXPERT, NEEDS_REASON, STAFF, allowed_actions, next_state
from app.i18n import gettext as _
from app.notifications.services import queue_mail
from tenants.context import TenantContext
from tenants.directory import mission_sectors


class ProfileActionRefused(Refusal):
    """A profile move the life cycle or the actor's role does not allow."""


# --- fetching ------------------------------------------------------------------------------

@overload
async def own_profile(db: AsyncSession, tenant: TenantContext, actor: Actor,
                      create: Literal[True]) -> ExpertProfile: ...


@overload
async def own_profile(db: AsyncSession, tenant: TenantContext, actor: Actor,
                      create: bool = False) -> ExpertProfile | None: ...


async def own_profile(db: AsyncSession, tenant: TenantContext, actor: Actor,
                      create: bool = False) -> ExpertProfile | None:
    """The signed-in expert's profile in this mission (a new draft when asked to create)."""
    if not actor.can(PROFILE_OWN):
        raise PermissionDeniedException()
    profile = await db.scalar(select(ExpertProfile).where(
        ExpertProfile.tenant_id == tenant.id, ExpertProfile.user_id == actor.user_id))
    if profile is None and create:
        number = await next_number(db, tenant, ExpertProfile.number)
        # The numbering lock also serialises two first visits at once: look again under it.
        profile = await db.scalar(select(ExpertProfile).where(
            ExpertProfile.tenant_id == tenant.id, ExpertProfile.user_id == actor.user_id))
        if profile is None:
            profile = ExpertProfile(tenant_id=tenant.id, user_id=actor.user_id, number=number,
                                    status="draft", full_name=actor.name, sectors=[],
                                    updated_at=now())
            db.add(profile)
            await db.flush()
            record(db, tenant.id, actor, "expert_profile.created", "expert_profile", profile.id)
        await db.commit()
    return profile



async def get_profile(db: AsyncSession, tenant: TenantContext, actor: Actor,
                      profile_id: uuid.UUID) -> ExpertProfile:
    """A profile the actor may read, in this mission, or 404. Staff reading someone's
    profile is recorded, so the expert can see who has looked at it."""
    profile = await db.scalar(select(ExpertProfile).where(
        ExpertProfile.tenant_id == tenant.id, ExpertProfile.id == profile_id))
    if profile is None:
        raise NotFoundException()
    own = profile.user_id is not None and profile.user_id == actor.user_id
    if not own and not actor.can(EXPERTS_VIEW):
        raise NotFoundException()  # not even whether it exists
    if not own:
        record(db, tenant.id, actor, "expert_profile.viewed", "expert_profile", profile.id)
        await db.commit()
    return profile


async def profile_number(db: AsyncSession, tenant: TenantContext,
                         profile_id: uuid.UUID) -> int | None:
    """The number staff know an expert of this mission by; None when there is no such
    expert here (or they were erased). Reads nothing else: not a viewing of the profile."""
    return await db.scalar(select(ExpertProfile.number).where(
        ExpertProfile.tenant_id == tenant.id, ExpertProfile.id == profile_id,
        ExpertProfile.erased_at.is_(None)))

# --- life cycle ----------------------------------------------------------------------------

def _who(actor: Actor, profile: ExpertProfile, action: str) -> str | None:
    if profile.user_id is not None and profile.user_id == actor.user_id:
        # An expert later made staff still never vets their own profile.
        return EXPERT if actor.can(PROFILE_OWN) else None
    if actor.can(EXPERTS_VET):
        return STAFF
    return None


async def lock_profile(db: AsyncSession, profile: ExpertProfile) -> ExpertProfile:
    """Hold the profile row until commit and re-read it: two clicks or two reviewers at
    once act one after the other, each on the state the other left."""
    await db.execute(select(ExpertProfile.id).where(ExpertProfile.id == profile.id)
                     .with_for_update())
    await db.refresh(profile)
    return profile


async def apply_action(db: AsyncSession, tenant: TenantContext, actor: Actor,
                       profile: ExpertProfile, action: str, reason: str = "",
                       review_link: str = "") -> ExpertProfile:
    """Move the profile through its life cycle (states.TRANSITIONS), audit it and tell the
    people concerned by mail: the expert when staff act, the vetting staff when an expert
    submits."""
    profile = await lock_profile(db, profile)
    who = _who(actor, profile, action)
    target = next_state(profile.status, action, who) if who else None
    if target is None:
        raise ProfileActionRefused(_("This action is not possible for a profile in this state."))
    reason = reason.strip()
    if action in NEEDS_REASON and not reason:
        raise ProfileActionRefused(_("Say why, so the expert knows what to do next."))
    if action == "submit":
        missing = (await completeness(db, tenant, profile)).missing
        if missing:
            raise ProfileActionRefused(
                _("Complete these parts before you submit: %(parts)s.")
                % {"parts": ", ".join(missing)})
    before = profile.status
    profile.status, profile.updated_at = target, now()
    profile.status_reason = reason if action in NEEDS_REASON else ""
    if action == "submit":
        profile.submitted_at = now()
    if target == "verified":
        profile.verified_at = profile.verified_at or now()
    record(db, tenant.id, actor, f"expert_profile.{action}", "expert_profile", profile.id,
           before={"status": before}, after={"status": target, "reason": reason or None})
    if who == STAFF and profile.user_id is not None:
        user = await get_user(db, profile.user_id)
        if user is not None:
            queue_mail(db, tenant, user.email, "profile_status",
                       user.preferred_locale or tenant.default_locale, name=user.name,
                       status=target, reason=reason)
    if action == "submit":
        for reviewer in await members_who_can(db, tenant, EXPERTS_VET):
            queue_mail(db, tenant, reviewer.email, "profile_submitted",
                       reviewer.preferred_locale or tenant.default_locale, name=reviewer.name,
                       number=profile.number, link=review_link)
    await db.commit()
    return profile


# --- consent ---------------------------------------------------------------------------------

async def current_notice(db: AsyncSession, tenant: TenantContext,
                         locale: str) -> ConsentNotice | None:
    """The newest notice, in the reader's language if it exists, else the mission's."""
    version = await db.scalar(select(func.max(ConsentNotice.version)).where(
        ConsentNotice.tenant_id == tenant.id))
    if version is None:
        return None
    notices = {n.locale: n for n in await db.scalars(select(ConsentNotice).where(
        ConsentNotice.tenant_id == tenant.id, ConsentNotice.version == version))}
    return notices.get(locale) or notices.get(tenant.default_locale) or notices.get("en") \
        or next(iter(notices.values()))


async def active_consents(db: AsyncSession, tenant: TenantContext,
                          profile_id: uuid.UUID) -> dict[str, ExpertConsent]:
    rows = await db.scalars(select(ExpertConsent).where(
        ExpertConsent.tenant_id == tenant.id, ExpertConsent.profile_id == profile_id,
        ExpertConsent.withdrawn_at.is_(None)))
    return {c.purpose: c for c in rows}


async def set_consents(db: AsyncSession, tenant: TenantContext, actor: Actor,
                       profile: ExpertProfile, purposes: set[str], notice_version: int,
                       source: str = "expert") -> None:
    """Grant what is newly chosen, withdraw what is no longer chosen; takes effect now."""
    unknown = purposes - set(CONSENT_PURPOSES)
    if unknown:
        raise ProfileActionRefused(_("Unknown consent purpose."))
    current = await active_consents(db, tenant, profile.id)
    moment = now()
    for purpose in purposes - set(current):
        db.add(ExpertConsent(tenant_id=tenant.id, profile_id=profile.id, purpose=purpose,
                             notice_version=notice_version, source=source, granted_at=moment))
        record(db, tenant.id, actor, "consent.granted", "expert_profile", profile.id,
               after={"purpose": purpose, "notice_version": notice_version})
    for purpose in set(current) - purposes:
        current[purpose].withdrawn_at = moment
        record(db, tenant.id, actor, "consent.withdrawn", "expert_profile", profile.id,
               before={"purpose": purpose})
    profile.updated_at = moment
    await db.commit()


# --- completeness ----------------------------------------------------------------------------

@dataclass
class Completeness:
    percent: int
    missing: list[str]  # names of the parts still to fill, in the reader's language


async def completeness(db: AsyncSession, tenant: TenantContext,
                       profile: ExpertProfile) -> Completeness:
    async def count(model) -> int:
        return await db.scalar(select(func.count()).select_from(model).where(
            model.tenant_id == tenant.id, model.profile_id == profile.id)) or 0

    parts = [
        (_("Personal details"), bool(profile.full_name and profile.nationality
                                     and profile.residence_country)),
        (_("Languages"), await count(ExpertLanguage) > 0),
        (_("Education and work"), await count(ExpertEducation) + await count(ExpertWork) > 0),
        (_("Expertise"), bool(profile.sectors) and await count(ExpertSkill) > 0
         and profile.years_experience is not None),
        (_("Availability"), bool(profile.modality) and await count(ExpertAvailability) > 0),
        (_("CV"), await count(ExpertDocument) > 0),
        (_("Consent"), "matching" in await active_consents(db, tenant, profile.id)),
    ]
    done = sum(1 for _name, ok in parts if ok)
    return Completeness(percent=round(100 * done / len(parts)),
                        missing=[name for name, ok in parts if not ok])


# --- staff's reading of a profile, and their notes ---------------------------------------------

@dataclass
class ProfileForStaff:
    """A profile with all its parts and staff's private notes, as the vetting page shows it."""

    profile: ExpertProfile
    email: str
    languages: list[ExpertLanguage]
    education: list[ExpertEducation]
    work: list[ExpertWork]
    windows: list[ExpertAvailability]
    documents: list[ExpertDocument]
    notes: list[ExpertNote]
    skills: list[Skill]
    consents: dict[str, ExpertConsent]
    actions: list[str]              # what this actor may do next with it
    sectors: dict                   # code -> the mission's SectorName


async def profile_for_staff(db: AsyncSession, tenant: TenantContext, actor: Actor,
                            profile_id: uuid.UUID) -> ProfileForStaff:
    """A profile the actor may read (get_profile: 404 otherwise, and the reading is
    recorded) with its parts."""
    profile = await get_profile(db, tenant, actor, profile_id)

    async def rows_of(model, *order) -> list:
        return list(await db.scalars(select(model).where(
            model.tenant_id == tenant.id, model.profile_id == profile.id).order_by(*order)))

    user = await get_user(db, profile.user_id) if profile.user_id else None
    return ProfileForStaff(
        profile=profile, email=user.email if user else "",
        languages=await rows_of(ExpertLanguage, ExpertLanguage.language),
        education=await rows_of(ExpertEducation, ExpertEducation.year.desc()),
        work=await rows_of(ExpertWork, ExpertWork.started_on.desc()),
        windows=await rows_of(ExpertAvailability, ExpertAvailability.starts_on),
        documents=await rows_of(ExpertDocument, ExpertDocument.created_at),
        notes=await rows_of(ExpertNote, ExpertNote.created_at),
        skills=list(await db.scalars(select(Skill)
                                     .join(ExpertSkill, ExpertSkill.skill_id == Skill.id)
                                     .where(ExpertSkill.tenant_id == tenant.id,
                                            ExpertSkill.profile_id == profile.id))),
        consents=await active_consents(db, tenant, profile.id),
        actions=allowed_actions(profile.status, STAFF) if actor.can(EXPERTS_VET) else [],
        sectors={s.code: s for s in await mission_sectors(db, tenant)})


async def review_profile(db: AsyncSession, tenant: TenantContext, actor: Actor,
                         profile_id: uuid.UUID, action: str, reason: str) -> ExpertProfile:
    """Staff move a profile through its life cycle (ProfileActionRefused says why not)."""
    profile = await get_profile(db, tenant, actor, profile_id)
    return await apply_action(db, tenant, actor, profile, action, reason[:2000])


NOTE_LENGTH = 5000


async def add_note(db: AsyncSession, tenant: TenantContext, actor: Actor,
                   profile_id: uuid.UUID, body: str) -> ExpertNote:
    """A private note of staff's on a profile (never shown to the expert or institutions).
    An empty or too long note is refused before the profile is read, so a refused note
    leaves one reading in the audit trail: the page shown again with the error."""
    body = body.strip()
    if not body or len(body) > NOTE_LENGTH:
        raise FormErrors({"body": _("Write a note of at most %(n)s characters.")
                          % {"n": NOTE_LENGTH}})
    profile = await get_profile(db, tenant, actor, profile_id)
    note = ExpertNote(tenant_id=tenant.id, profile_id=profile.id, author_id=actor.user_id,
                      author_label=actor.name or actor.email, body=body)
    db.add(note)
    record(db, tenant.id, actor, "expert_profile.note_added", "expert_profile", profile.id)
    await db.commit()
    return note
