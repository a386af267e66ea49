"""The expert's rights over their data: who has seen the profile, a copy of everything,
and erasure of the account."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import Invitation, Membership, SignInFailure, User
from app.accounts.passwords import verify_password
from app.accounts.services import get_user, password_hash_of
from app.audit.models import AuditEvent
from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FormErrors
from app.experts.models import (
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
from app.i18n import gettext as _
from app.notifications.models import OutboxMail
from app.partners.models import PartnerAgency
from app.storage import DocumentStorage
from tenants.context import TenantContext, tenant_scope
from tenants.provisioning import all_tenants

# Audit actions that mean "someone looked at this profile or its CV".
VIEW_ACTIONS = ("expert_profile.viewed", "expert_profile.cv_downloaded")


@dataclass
class ProfileView:
    at: datetime
    role: str | None          # the viewer's role in the mission at the time of reading
    organisation: str         # partner agency or host institution name, if any


async def profile_views(db: AsyncSession, tenant: TenantContext,
                        profile: ExpertProfile) -> list[ProfileView]:
    """Organisations (never the individual officers) that opened the profile, newest first."""
    rows = await db.execute(
        select(AuditEvent.created_at, Membership.role, PartnerAgency.name)
        .outerjoin(Membership, (Membership.user_id == AuditEvent.actor_id)
                   & (Membership.tenant_id == AuditEvent.tenant_id))
        .outerjoin(PartnerAgency, PartnerAgency.id == Membership.partner_agency_id)
        .where(AuditEvent.tenant_id == tenant.id, AuditEvent.object_id == str(profile.id),
               AuditEvent.action.in_(VIEW_ACTIONS))
        .order_by(AuditEvent.created_at.desc()).limit(200))
    return [ProfileView(at=at, role=role, organisation=org or "") for at, role, org in rows]


def _plain(obj, fields: list[str]) -> dict:
    out = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else \
            str(value) if isinstance(value, uuid.UUID) else value
    return out


async def export_data(db: AsyncSession, tenant: TenantContext, actor: Actor,
                      storage: DocumentStorage) -> bytes:
    """A zip with my-data.json (account, profile, every part of it, consent history, who has
    seen it) and the CV file itself. Staff's private notes are internal working notes and
    are not part of the copy."""
    user = await get_user(db, actor.user_id)
    profile = await db.scalar(select(ExpertProfile).where(
        ExpertProfile.tenant_id == tenant.id, ExpertProfile.user_id == actor.user_id))
    data: dict = {
        "exported_at": now().isoformat(),
        "mission": tenant.slug,
        "account": _plain(user, ["email", "name", "preferred_locale", "created_at",
                                 "email_verified_at"]),
        "profile": None,
    }
    documents: list[ExpertDocument] = []
    if profile is not None:
        def rows_of(model):
            return db.scalars(select(model).where(model.tenant_id == tenant.id,
                                                  model.profile_id == profile.id))
        data["profile"] = _plain(profile, [
            "number", "status", "full_name", "gender", "birth_year", "nationality", "phone",
            "residence_country", "residence_city", "years_experience", "headline", "summary",
            "modality",
            "min_weeks", "max_weeks", "sectors", "status_reason", "created_at", "submitted_at",
            "verified_at", "updated_at"])
        data["languages"] = [_plain(r, ["language", "level"]) for r in await rows_of(ExpertLanguage)]
        data["education"] = [_plain(r, ["level", "field", "institution", "year"])
                             for r in await rows_of(ExpertEducation)]
        data["work_history"] = [_plain(r, ["title", "employer", "country", "started_on",
                                           "ended_on", "description"])
                                for r in await rows_of(ExpertWork)]
        data["availability"] = [_plain(r, ["kind", "starts_on", "ends_on"])
                                for r in await rows_of(ExpertAvailability)]
        skill_ids = [r.skill_id for r in await rows_of(ExpertSkill)]
        data["skills"] = [s.names for s in await db.scalars(
            select(Skill).where(Skill.tenant_id == tenant.id, Skill.id.in_(skill_ids)))]
        data["consents"] = [_plain(r, ["purpose", "notice_version", "source", "granted_at",
                                       "withdrawn_at"]) for r in await rows_of(ExpertConsent)]
        data["seen_by"] = [{"at": v.at.isoformat(), "role": v.role,
                            "organisation": v.organisation}
                           for v in await profile_views(db, tenant, profile)]
        documents = list(await rows_of(ExpertDocument))
        data["documents"] = [_plain(d, ["kind", "filename", "content_type", "size",
                                        "created_at"]) for d in documents]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("my-data.json", json.dumps(data, ensure_ascii=False, indent=2))
        for doc in documents:
            try:
                content = await storage.get(doc.storage_key)
            except FileNotFoundError:  # the copy says so rather than failing whole
                content = b"This file is missing from the portal's storage."
            archive.writestr(f"documents/{doc.kind}-{doc.filename}", content)
    record(db, tenant.id, actor, "account.data_exported", "user", actor.user_id)
    await db.commit()
    return buffer.getvalue()


# What later domains keep about an expert and must erase with them (their assignments'
# final reports, for one): the domain registers it here, experts never import it. It
# returns the storage keys of the files to delete once the erasure is committed.
ErasurePart = Callable[[AsyncSession, TenantContext, ExpertProfile], Awaitable[list[str]]]
_on_erasure: list[ErasurePart] = []


def on_expert_erased(erase_part: ErasurePart) -> ErasurePart:
    _on_erasure.append(erase_part)
    return erase_part


async def erase_own_account(db: AsyncSession, session_factory: async_sessionmaker[AsyncSession],
                            actor: Actor, storage: DocumentStorage, password: str,
                            confirm: str) -> int:
    """The signed-in person erases their account. It needs the password again (or, for
    single-sign-on accounts, the typed word), so a stray click or a borrowed session cannot
    erase anyone: FormErrors otherwise. The request's session is closed first, because
    erasure works mission by mission in sessions of its own."""
    user = await get_user(db, actor.user_id)
    assert user is not None  # the route requires a signed-in person
    if user.has_password:
        if not verify_password(await password_hash_of(db, user), password):
            raise FormErrors({"password": _("Your password is not right.")})
    elif confirm.strip().upper() not in {"DELETE", _("DELETE")}:
        raise FormErrors({"password": _("Type the word shown to confirm.")})
    await db.close()
    return await erase_account(session_factory, actor, storage)


async def erase_account(session_factory: async_sessionmaker[AsyncSession], actor: Actor,
                        storage: DocumentStorage) -> int:
    """Erase the person everywhere: in each mission (each in its own scope, audited there)
    their profile keeps only its number and non-identifying facts (sectors, years of
    experience) so assignments and statistics stay consistent; everything personal goes;
    then the account itself is deleted. Returns how many missions were touched."""
    async with session_factory() as db:
        user = await get_user(db, actor.user_id)
        if user is None:
            return 0
        email, user_id = user.email, user.id
        missions = await all_tenants(db)
    files: list[str] = []
    touched = 0
    for tenant in missions:
        with tenant_scope(tenant):
            async with session_factory() as db:
                profile = await db.scalar(select(ExpertProfile).where(
                    ExpertProfile.tenant_id == tenant.id, ExpertProfile.user_id == user_id))
                member = await db.scalar(select(Membership.id).where(
                    Membership.tenant_id == tenant.id, Membership.user_id == user_id))
                if profile is None and member is None:
                    continue
                touched += 1
                label = f"erased expert #{profile.number}" if profile else "erased user"
                if profile is not None:
                    files += list(await db.scalars(select(ExpertDocument.storage_key).where(
                        ExpertDocument.tenant_id == tenant.id,
                        ExpertDocument.profile_id == profile.id)))
                    for model in (ExpertLanguage, ExpertEducation, ExpertWork, ExpertAvailability,
                                  ExpertSkill, ExpertConsent, ExpertDocument, ExpertNote):
                        await db.execute(delete(model).where(model.tenant_id == tenant.id,
                                                             model.profile_id == profile.id))
                    profile.user_id, profile.full_name, profile.gender = None, "", None
                    profile.birth_year, profile.nationality, profile.phone = None, None, ""
                    profile.residence_city, profile.summary, profile.status_reason = "", "", ""
                    profile.headline = ""
                    profile.residence_country, profile.status = None, "withdrawn"
                    profile.erased_at = profile.updated_at = now()
                    for erase_part in _on_erasure:  # what later domains hold about them
                        files += await erase_part(db, tenant, profile)
                for addressed, column in ((OutboxMail, OutboxMail.to_address),
                                          (Invitation, Invitation.email)):
                    await db.execute(delete(addressed).where(addressed.tenant_id == tenant.id,
                                                             column == email))
                # Events about the profile itself (uploads, reviews) lose their personal keys.
                objects = [str(profile.id)] if profile else []
                await db.execute(
                    text("SELECT erase_person_from_audit(:user, :email, :label, :objects)"),
                    {"user": user_id, "email": email, "label": label, "objects": objects})
                record(db, tenant.id, Actor(), "account.erased", "expert_profile",
                       profile.id if profile else "", after={"label": label})
                await db.commit()
        for key in files:  # after the mission's commit: a failed erasure keeps its files
            await storage.delete(key)
        files = []
    async with session_factory() as db:
        # Memberships, sessions, one-time links and linked sign-ins go with the account.
        await db.execute(delete(SignInFailure).where(SignInFailure.email == email))
        await db.execute(delete(User).where(User.id == user_id))
        await db.commit()
    return touched
