"""Assignments for tests and the route-driven suites (tests/isolation.py)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Membership, User, UserSession
from app.assignments.follow_ups import link_token
from app.assignments.models import (
    Assignment,
    ChecklistItem,
    FinalReport,
    FollowUp,
    Milestone,
    MilestoneEvidence,
)
from app.assignments.reminders import stop_token
from app.core.clock import now
from app.matching.models import ShortlistEntry
from app.storage import new_key
from tenants.context import TenantContext, tenant_scope
from tests.conftest import base_test_settings
from tests.documents_helpers import app_storage, minimal_pdf
from tests.request_helpers import _profile_of, _set_request, an_assignment_request


async def _last_signed_in_expert(db: AsyncSession, tenant: TenantContext) -> uuid.UUID | None:
    """The person who signed in last, if they are an expert of the mission: the harness
    signs its acting person in right before it makes objects, so an expert acting is the
    assignment's own expert (the approach of tests/isolation.py a_saved_search)."""
    with tenant_scope(tenant):
        user_id = await db.scalar(select(UserSession.user_id).order_by(
            UserSession.created_at.desc()).limit(1))
        role = user_id and await db.scalar(select(Membership.role).where(
            Membership.tenant_id == tenant.id, Membership.user_id == user_id))
        await db.commit()
    return user_id if role == "expert" else None


async def an_assignment(db: AsyncSession, tenant: TenantContext,
                        institution_id: uuid.UUID | None = None, status: str = "planned",
                        of_signed_in_expert: bool = True) -> uuid.UUID:
    """A planned assignment (no dates yet) on a filled request of the given institution
    (a new one when none is given), its expert the signed-in expert if one acts (unless
    told otherwise: then a new expert's)."""
    request = await _set_request(db, tenant, await an_assignment_request(db, tenant,
                                                                         institution_id),
                                 status="filled", opened_at=now(), shortlist_shared_at=now())
    expert_user = await _last_signed_in_expert(db, tenant) if of_signed_in_expert else None
    profile = await _profile_of(db, tenant, expert_user)
    with tenant_scope(tenant):
        entry = ShortlistEntry(tenant_id=tenant.id, request_id=request.id,
                               profile_id=profile.id, status="selected", explanation={},
                               chosen_by_institution=True)
        db.add(entry)
        await db.flush()
        assignment = Assignment(tenant_id=tenant.id, request_id=request.id,
                                profile_id=profile.id, shortlist_entry_id=entry.id, slot=1,
                                status=status, modality="on_site", version=1,
                                updated_at=now())
        db.add(assignment)
        await db.commit()
    return assignment.id


async def a_checklist_item(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    """An item of the mission's preparation checklist (for remote work too)."""
    with tenant_scope(tenant):
        item = ChecklistItem(tenant_id=tenant.id, code=f"own-{uuid.uuid4().hex[:12]}",
                             label="Isolation item", remote=True, position=99)
        db.add(item)
        await db.commit()
    return item.id


async def an_assignment_with_a_checklist_item(db: AsyncSession, tenant: TenantContext) -> dict:
    return {"assignment_id": await an_assignment(db, tenant),
            "item_id": await a_checklist_item(db, tenant)}


async def an_assignment_in_progress(db: AsyncSession, tenant: TenantContext,
                                    institution_id: uuid.UUID | None = None) -> uuid.UUID:
    """Under way: its expert (the signed-in expert if one acts) writes the final report."""
    return await an_assignment(db, tenant, institution_id, status="in_progress")


async def a_completed_assignment(db: AsyncSession, tenant: TenantContext,
                                 institution_id: uuid.UUID | None = None) -> uuid.UUID:
    """Completed: its institution (the given one) evaluates it."""
    return await an_assignment(db, tenant, institution_id, status="completed")


async def a_milestone(db: AsyncSession, tenant: TenantContext,
                      institution_id: uuid.UUID | None = None) -> dict:
    """A pending milestone of an assignment in progress (its expert the signed-in expert if
    one acts, its institution the given one), with an evidence file already stored."""
    assignment_id = await an_assignment(db, tenant, institution_id, status="in_progress")
    pdf = minimal_pdf("Inception note")
    key = new_key(tenant.id, "milestones", ".pdf")
    await app_storage().put(key, pdf)
    with tenant_scope(tenant):
        milestone = Milestone(tenant_id=tenant.id, assignment_id=assignment_id, position=0,
                              kind="deliverable", title="Inception note", status="pending")
        db.add(milestone)
        await db.flush()
        evidence = MilestoneEvidence(
            tenant_id=tenant.id, milestone_id=milestone.id, assignment_id=assignment_id,
            filename="inception.pdf", content_type="application/pdf", size=len(pdf),
            sha256=hashlib.sha256(pdf).hexdigest(), key=key)
        db.add(evidence)
        await db.commit()
    return {"assignment_id": assignment_id, "milestone_id": milestone.id,
            "evidence_id": evidence.id}


async def an_evaluated_assignment(db: AsyncSession, tenant: TenantContext,
                                  institution_id: uuid.UUID | None = None) -> uuid.UUID:
    """Evaluated: its expert (the signed-in expert if one acts) may take the letter."""
    return await an_assignment(db, tenant, institution_id, status="evaluated")


async def an_assignment_with_a_report_file(db: AsyncSession, tenant: TenantContext,
                                           institution_id: uuid.UUID | None = None) -> uuid.UUID:
    """Completed, with a final report whose attached document is stored."""
    assignment_id = await an_assignment(db, tenant, institution_id, status="completed")
    key = new_key(tenant.id, "reports", ".pdf")
    await app_storage().put(key, minimal_pdf("Annexes"))
    with tenant_scope(tenant):
        db.add(FinalReport(tenant_id=tenant.id, assignment_id=assignment_id,
                           activities="Trained engineers.", results="A procedure.",
                           attachment_filename="annexes.pdf",
                           attachment_content_type="application/pdf", attachment_key=key))
        await db.commit()
    return assignment_id


async def a_reminders_stop_token(db: AsyncSession, tenant: TenantContext) -> str:
    """The link at the foot of a reminder, for a new member of the mission (signed with the
    test app's secret)."""
    user = User(email=f"reminded-{uuid.uuid4().hex[:10]}@example.org", name="Reminded Person",
                status="active", email_verified_at=now())
    db.add(user)
    await db.commit()  # the account is global; the membership is written in the mission
    with tenant_scope(tenant):
        db.add(Membership(tenant_id=tenant.id, user_id=user.id, role="expert", status="active"))
        await db.commit()
    return stop_token(base_test_settings().secret_key, tenant, user.id)


async def a_follow_up_token(db: AsyncSession, tenant: TenantContext) -> str:
    """The link of a follow-up questionnaire sent about a completed assignment (signed with
    the test app's secret), not answered yet."""
    assignment_id = await an_assignment(db, tenant, status="completed",
                                        of_signed_in_expert=False)
    with tenant_scope(tenant):
        follow_up = FollowUp(tenant_id=tenant.id, assignment_id=assignment_id, round=3,
                             email=f"focal-{uuid.uuid4().hex[:8]}@example.org", sent_at=now(),
                             expires_at=now() + timedelta(days=30))
        db.add(follow_up)
        await db.commit()
    return link_token(base_test_settings().secret_key, tenant, follow_up.id)
