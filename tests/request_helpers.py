"""Host institutions and assignment requests for tests, written straight to the database
(the form and the services are tested through the pages). They take an open session."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User, UserSession
from app.assignment_requests.documents import save_terms_document
from app.assignment_requests.models import AssignmentRequest, RequestLanguage, RequestSkill
from app.core.actor import Actor
from app.core.clock import now
from app.core.roles import permissions_for
from app.documents import MB
from app.experts.models import ExpertProfile, Skill
from app.institutions.models import HostInstitution
from app.matching.models import ShortlistEntry
from tenants.context import TenantContext, tenant_scope
from tests.conftest import base_test_settings
from tests.documents_helpers import app_storage, minimal_pdf


async def make_institution(db: AsyncSession, tenant: TenantContext, status: str = "approved",
                           name: str | None = None) -> HostInstitution:
    with tenant_scope(tenant):
        institution = HostInstitution(
            tenant_id=tenant.id, name=name or f"Ministry {uuid.uuid4().hex[:6]}",
            kind="ministry", sectors=["water_management"], city="Capital", status=status)
        db.add(institution)
        await db.commit()
    return institution


async def make_request(db: AsyncSession, tenant: TenantContext, institution_id: uuid.UUID,
                       status: str = "draft", complete: bool = True) -> AssignmentRequest:
    """A request in the given state; complete means every part needed to submit is there."""
    with tenant_scope(tenant):
        number = (await db.scalar(select(func.max(AssignmentRequest.number)).where(
            AssignmentRequest.tenant_id == tenant.id)) or 0) + 1
        start = date.today() + timedelta(days=30)
        request = AssignmentRequest(
            tenant_id=tenant.id, institution_id=institution_id, number=number,
            status=status, title=f"Train engineers in leak detection {number}",
            objectives="Reduce water losses." if complete else "",
            tasks="Run a two-week course." if complete else "",
            sector="water_management" if complete else None,
            modality="on_site" if complete else None, city="Port Sudan",
            duration_weeks=4 if complete else None,
            earliest_start=start if complete else None,
            latest_start=start + timedelta(days=30) if complete else None,
            experts_wanted=1, priority="normal")
        db.add(request)
        await db.flush()
        if complete:
            skill = await db.scalar(select(Skill).where(Skill.tenant_id == tenant.id)
                                    .order_by(Skill.code).limit(1))
            db.add(RequestSkill(tenant_id=tenant.id, request_id=request.id,
                                skill_id=skill.id, required=True))
            db.add(RequestLanguage(tenant_id=tenant.id, request_id=request.id,
                                   language="en", min_level="B2"))
        await db.commit()
    return request


async def require_only(db: AsyncSession, tenant: TenantContext, request_id: uuid.UUID,
                       skill_id: uuid.UUID, language: tuple[str, str] | None = None) -> None:
    """The request wants one required skill and, if given, one language at a minimum level
    (language code, level), nothing else: matching tests compare experts on that alone."""
    await db.execute(RequestSkill.__table__.delete().where(RequestSkill.request_id == request_id))
    await db.execute(RequestLanguage.__table__.delete().where(
        RequestLanguage.request_id == request_id))
    db.add(RequestSkill(tenant_id=tenant.id, request_id=request_id, skill_id=skill_id,
                        required=True))
    if language:
        db.add(RequestLanguage(tenant_id=tenant.id, request_id=request_id, language=language[0],
                               min_level=language[1]))
    await db.commit()


async def a_host_institution(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    return (await make_institution(db, tenant)).id


async def an_assignment_request(db: AsyncSession, tenant: TenantContext,
                                institution_id: uuid.UUID | None = None) -> uuid.UUID:
    """A complete draft request with its terms of reference attached (through the service),
    of the given institution (a new one when none is given)."""
    if institution_id is None:
        institution_id = (await make_institution(db, tenant)).id
    request = await make_request(db, tenant, institution_id)
    staff = Actor(email="staff@example.org", name="Staff", role="staff",
                  permissions=permissions_for("staff", False))
    with tenant_scope(tenant):
        await save_terms_document(db, tenant, staff, request, "tor.pdf",
                                  minimal_pdf("Terms of reference"), app_storage(),
                                  max_bytes=base_test_settings().max_upload_mb * MB)
    return request.id


# --- shortlist entries (tests/isolation.py) -------------------------------------------------

async def _set_request(db: AsyncSession, tenant: TenantContext, request_id: uuid.UUID,
                       **changes) -> AssignmentRequest:
    with tenant_scope(tenant):
        request = await db.scalar(select(AssignmentRequest).where(
            AssignmentRequest.tenant_id == tenant.id, AssignmentRequest.id == request_id))
        for key, value in changes.items():
            setattr(request, key, value)
        await db.commit()
    return request


async def an_open_assignment_request(db: AsyncSession, tenant: TenantContext,
                                     institution_id: uuid.UUID | None = None) -> uuid.UUID:
    """A complete request open for matching (experts may say they are interested)."""
    return (await _set_request(db, tenant, await an_assignment_request(db, tenant,
                                                                       institution_id),
                               status="open", opened_at=now())).id


async def _profile_of(db: AsyncSession, tenant: TenantContext,
                      user_id: uuid.UUID | None) -> ExpertProfile:
    """The user's verified expert profile in the mission (made if missing; a new person's
    when no user is given)."""
    with tenant_scope(tenant):
        if user_id is None:
            user = User(email=f"expert-{uuid.uuid4().hex[:10]}@example.org", name="Listed Expert",
                        status="active", email_verified_at=now())
            db.add(user)
            await db.flush()
            user_id = user.id
        profile = await db.scalar(select(ExpertProfile).where(
            ExpertProfile.tenant_id == tenant.id, ExpertProfile.user_id == user_id))
        if profile is None:
            number = (await db.scalar(select(func.max(ExpertProfile.number)).where(
                ExpertProfile.tenant_id == tenant.id)) or 0) + 1
            profile = ExpertProfile(tenant_id=tenant.id, user_id=user_id, number=number,
                                    status="verified", full_name="Listed Expert",
                                    sectors=["water_management"], updated_at=now())
            db.add(profile)
        await db.commit()
    return profile


async def an_invitation_of_the_signed_in_expert(db: AsyncSession,
                                                tenant: TenantContext) -> uuid.UUID:
    """An invitation (a shortlist entry, status invited) to a request with its terms of
    reference attached, for the person who signed in last: an expert sees only their own
    invitations (anybody else's is 404, even in the same mission), and the isolation
    harness signs its acting person in right before it makes the objects, so the
    mission's own object is the actor's and a 404 can only come from the other mission
    (the same approach as tests/isolation.py a_saved_search)."""
    with tenant_scope(tenant):
        user_id = await db.scalar(select(UserSession.user_id).order_by(
            UserSession.created_at.desc()).limit(1))
        await db.commit()
    profile = await _profile_of(db, tenant, user_id)
    request = await _set_request(db, tenant, await an_assignment_request(db, tenant),
                                 status="shortlisting", opened_at=now())
    with tenant_scope(tenant):
        entry = ShortlistEntry(tenant_id=tenant.id, request_id=request.id,
                               profile_id=profile.id, status="invited", explanation={},
                               invited_at=now())
        db.add(entry)
        await db.commit()
    return entry.id


async def a_shared_shortlist_entry(db: AsyncSession, tenant: TenantContext,
                                   institution_id: uuid.UUID | None = None) -> dict:
    """A request (of the given institution, else a new one) being shortlisted, its list
    shared with the institution, and one proposed expert on it: both path ids
    ({"request_id": ..., "entry_id": ...})."""
    request = await _set_request(db, tenant, await an_assignment_request(db, tenant,
                                                                         institution_id),
                                 status="shortlisting", opened_at=now(),
                                 shortlist_shared_at=now())
    profile = await _profile_of(db, tenant, None)
    with tenant_scope(tenant):
        entry = ShortlistEntry(tenant_id=tenant.id, request_id=request.id,
                               profile_id=profile.id, status="proposed", explanation={})
        db.add(entry)
        await db.commit()
    return {"request_id": request.id, "entry_id": entry.id}
