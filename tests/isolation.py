"""The cross-tenant harness every issue reuses.

Each mission route with an object id (or a link token) gets a row in ISOLATION_CASES: the
path parameter, a factory that makes such an object in a given mission, and the role to
act as. test_isolation.py walks the app's route table, so a new route with an id and no
row here fails the suite. The acting user holds that role in BOTH missions, so a 404 can
only come from the object belonging to the other mission.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from litestar.testing import AsyncTestClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Invitation, Membership, OneTimeToken, User, UserSession
from app.core.clock import now
from app.core.tokens import new_token
from app.experts.models import Skill
from app.jobs import queue as jobs
from app.matching.models import SavedSearch
from app.partners.models import PartnerAgency
from tenants.context import TenantContext, tenant_scope
from tenants.models import Sector
from tests.api_helpers import an_api_token
from tests.assignment_helpers import (
    a_checklist_item,
    a_completed_assignment,
    a_follow_up_token,
    a_milestone,
    a_reminders_stop_token,
    an_assignment,
    an_assignment_in_progress,
    an_assignment_with_a_checklist_item,
    an_assignment_with_a_report_file,
    an_evaluated_assignment,
)
from tests.conftest import csrf_token
from tests.documents_helpers import an_expert_profile_with_a_cv
from tests.expert_helpers import a_likely_duplicate
from tests.import_helpers import an_import_batch
from tests.request_helpers import (
    a_host_institution,
    a_shared_shortlist_entry,
    an_assignment_request,
    an_invitation_of_the_signed_in_expert,
    an_open_assignment_request,
)
from tests.sso_helpers import a_turned_off_identity_provider
from tests.training_helpers import (
    a_certificate_code,
    a_certified_participant,
    a_funding_project,
    a_listed_participant,
    a_listing_training,
    a_training,
)

ObjectFactory = Callable[[AsyncSession, TenantContext], Awaitable[object]]


async def a_partner_agency(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    with tenant_scope(tenant):
        partner_id = await db.scalar(select(PartnerAgency.id).where(
            PartnerAgency.tenant_id == tenant.id).limit(1))
        await db.commit()
    assert partner_id is not None
    return partner_id


async def a_sector(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    with tenant_scope(tenant):
        sector_id = await db.scalar(select(Sector.id).where(
            Sector.tenant_id == tenant.id).order_by(Sector.position).limit(1))
        await db.commit()
    assert sector_id is not None
    return sector_id


async def _a_user(db: AsyncSession) -> User:
    user = User(email=f"iso-{uuid.uuid4().hex[:10]}@example.org", name="Isolation Test",
                status="active", email_verified_at=now())
    db.add(user)
    await db.commit()
    return user


async def a_membership(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    user = await _a_user(db)
    with tenant_scope(tenant):
        membership = Membership(tenant_id=tenant.id, user_id=user.id, role="staff",
                                status="active")
        db.add(membership)
        await db.commit()
    return membership.id


async def _an_invitation(db: AsyncSession, tenant: TenantContext) -> tuple[uuid.UUID, str]:
    token, digest = new_token()
    with tenant_scope(tenant):
        invitation = Invitation(tenant_id=tenant.id, email=f"inv-{uuid.uuid4().hex[:8]}@example.org",
                                role="staff", token_hash=digest,
                                expires_at=now() + timedelta(days=7))
        db.add(invitation)
        await db.commit()
    return invitation.id, token


async def an_invitation(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    return (await _an_invitation(db, tenant))[0]


async def an_invitation_token(db: AsyncSession, tenant: TenantContext) -> str:
    return (await _an_invitation(db, tenant))[1]


def a_link_token(purpose: str) -> ObjectFactory:
    async def factory(db: AsyncSession, tenant: TenantContext) -> str:
        user = await _a_user(db)
        token, digest = new_token()
        with tenant_scope(tenant):
            db.add(OneTimeToken(tenant_id=tenant.id, token_hash=digest, user_id=user.id,
                                purpose=purpose, expires_at=now() + timedelta(hours=1)))
            await db.commit()
        return token
    return factory


async def a_calendar_address(db: AsyncSession, tenant: TenantContext) -> str:
    """The calendar address of an expert of the mission (its feed is open to anyone who
    holds it: another mission's address is unknown there)."""
    from app.assignments.services import new_calendar_address
    from app.core.actor import make_actor
    user = await _a_user(db)
    with tenant_scope(tenant):
        membership = Membership(tenant_id=tenant.id, user_id=user.id, role="expert",
                                status="active")
        db.add(membership)
        await db.commit()
        token = await new_calendar_address(db, tenant, make_actor(user, membership, ""))
    return f"{token}.ics"


@dataclass(frozen=True)
class IsolationCase:
    param: str
    factory: ObjectFactory
    method: str = "GET"
    role: str | None = None  # None: anonymous
    fixed: tuple[tuple[str, str], ...] = ()  # other path parameters, e.g. (("step", "terms"),)
    # The role may see the object but not do this (403 for the mission's own object): the
    # other mission's object must still be not found rather than forbidden.
    forbidden_here: bool = False


M = "/{mission_slug:str}"
async def a_free_skill_tag(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    with tenant_scope(tenant):
        tag = Skill(tenant_id=tenant.id, code=f"free:iso-{uuid.uuid4().hex[:8]}",
                    names={"en": "Isolation tag"}, synonyms=[], source="free")
        db.add(tag)
        await db.commit()
    return tag.id


async def an_open_request_and_an_expert(db: AsyncSession, tenant: TenantContext
                                        ) -> dict[str, uuid.UUID]:
    return {"request_id": await an_open_assignment_request(db, tenant),
            "profile_id": await an_expert_profile_with_a_cv(db, tenant)}


async def a_saved_search(db: AsyncSession, tenant: TenantContext) -> uuid.UUID:
    """A saved search of the person who signed in last. Saved searches are their owner's
    only (anybody else gets 404, even in the same mission), and the harness signs its
    acting person in right before it makes the objects: so the mission's own object is the
    actor's, and a 404 can only come from the other mission. (Where nobody signed in yet,
    a new person owns it.)"""
    with tenant_scope(tenant):
        owner_id = await db.scalar(select(UserSession.user_id).order_by(
            UserSession.created_at.desc()).limit(1))
        if owner_id is None:
            owner_id = (await _a_user(db)).id
        saved = SavedSearch(tenant_id=tenant.id, user_id=owner_id, name="Isolation search",
                            query="q=water")
        db.add(saved)
        await db.commit()
    return saved.id


async def a_failed_job(db: AsyncSession, tenant: TenantContext) -> int:
    """A job of the mission that ended failed (the queue is global: the job names its
    mission in its arguments)."""
    with tenant_scope(tenant):
        job_id = await jobs.defer(db, jobs.UPDATE_SEARCH_INDEX, tenant.id)
        await db.execute(text("UPDATE procrastinate_jobs SET status = 'failed', attempts = 5 "
                              "WHERE id = :id"), {"id": job_id})
        await db.commit()
    return job_id


# route path (as Litestar lists it) -> how to probe it
ISOLATION_CASES: dict[str, IsolationCase] = {
    f"{M}/partners/{{partner_id:uuid}}": IsolationCase("partner_id", a_partner_agency),
    f"{M}/verify/{{token:str}}": IsolationCase("token", a_link_token("verify_email")),
    f"{M}/password/reset/{{token:str}}": IsolationCase("token", a_link_token("reset_password")),
    f"{M}/invitations/{{token:str}}": IsolationCase("token", an_invitation_token),
    f"{M}/reminders/stop/{{token:str}}": IsolationCase("token", a_reminders_stop_token),
    f"{M}/follow-up/{{token:str}}": IsolationCase("token", a_follow_up_token),
    f"{M}/assignments/calendar/{{address:str}}": IsolationCase("address", a_calendar_address),
    f"{M}/admin/members/{{membership_id:uuid}}/role": IsolationCase(
        "membership_id", a_membership, "POST", "mission_admin"),
    f"{M}/admin/members/{{membership_id:uuid}}/revoke": IsolationCase(
        "membership_id", a_membership, "POST", "mission_admin"),
    f"{M}/admin/invitations/{{invitation_id:uuid}}/revoke": IsolationCase(
        "invitation_id", an_invitation, "POST", "mission_admin"),
    f"{M}/sso/{{provider_id:uuid}}/start": IsolationCase(
        "provider_id", a_turned_off_identity_provider),
    f"{M}/sso/{{provider_id:uuid}}/callback": IsolationCase(
        "provider_id", a_turned_off_identity_provider),
    f"{M}/admin/sso/{{provider_id:uuid}}": IsolationCase(
        "provider_id", a_turned_off_identity_provider, "GET", "mission_admin"),
    f"{M}/experts/{{profile_id:uuid}}": IsolationCase(
        "profile_id", an_expert_profile_with_a_cv, "GET", "staff"),
    f"{M}/experts/{{profile_id:uuid}}/action": IsolationCase(
        "profile_id", an_expert_profile_with_a_cv, "POST", "staff"),
    f"{M}/experts/{{profile_id:uuid}}/notes": IsolationCase(
        "profile_id", an_expert_profile_with_a_cv, "POST", "staff"),
    f"{M}/skills/{{skill_id:uuid}}/merge": IsolationCase(
        "skill_id", a_free_skill_tag, "POST", "staff"),
    f"{M}/skills/{{skill_id:uuid}}/promote": IsolationCase(
        "skill_id", a_free_skill_tag, "POST", "staff"),
    f"{M}/experts/{{profile_id:uuid}}/cv": IsolationCase(
        "profile_id", an_expert_profile_with_a_cv, "GET", "staff"),
    f"{M}/institutions/{{institution_id:uuid}}": IsolationCase(
        "institution_id", a_host_institution, "GET", "staff"),
    f"{M}/institutions/{{institution_id:uuid}}/edit": IsolationCase(
        "institution_id", a_host_institution, "GET", "staff"),
    f"{M}/institutions/{{institution_id:uuid}}/action": IsolationCase(
        "institution_id", a_host_institution, "POST", "staff"),
    f"{M}/institutions/{{institution_id:uuid}}/focal-points": IsolationCase(
        "institution_id", a_host_institution, "POST", "staff"),
    f"{M}/requests/{{request_id:uuid}}": IsolationCase(
        "request_id", an_assignment_request, "GET", "staff"),
    f"{M}/requests/{{request_id:uuid}}/edit/{{step:str}}": IsolationCase(
        "request_id", an_assignment_request, "GET", "staff", (("step", "terms"),)),
    f"{M}/requests/{{request_id:uuid}}/document": IsolationCase(
        "request_id", an_assignment_request, "GET", "staff"),
    f"{M}/requests/{{request_id:uuid}}/document/file": IsolationCase(
        "request_id", an_assignment_request, "GET", "staff"),
    f"{M}/requests/{{request_id:uuid}}/action": IsolationCase(
        "request_id", an_assignment_request, "POST", "staff"),
    # Staff's POST (add to the shortlist) and the institution's page share this path.
    f"{M}/requests/{{request_id:uuid}}/shortlist": IsolationCase(
        "request_id", an_assignment_request, "GET", "staff"),
    # Staff may see the shortlist but not choose (403): the other mission's ids stay 404.
    f"{M}/requests/{{request_id:uuid}}/selection/{{entry_id:uuid}}": IsolationCase(
        "entry_id", a_shared_shortlist_entry, "POST", "staff", forbidden_here=True),
    f"{M}/me/invitations/{{entry_id:uuid}}": IsolationCase(
        "entry_id", an_invitation_of_the_signed_in_expert, "GET", "expert"),
    f"{M}/me/invitations/{{entry_id:uuid}}/terms": IsolationCase(
        "entry_id", an_invitation_of_the_signed_in_expert, "GET", "expert"),
    f"{M}/me/requests/{{request_id:uuid}}/interest": IsolationCase(
        "request_id", an_open_assignment_request, "POST", "expert"),
    f"{M}/requests/{{request_id:uuid}}/matches": IsolationCase(
        "request_id", an_open_assignment_request, "GET", "staff"),
    # An expert who is no candidate (nothing is indexed here) is refused with a 409 in
    # their own mission; another mission's request and expert are not found.
    f"{M}/requests/{{request_id:uuid}}/matches/{{profile_id:uuid}}": IsolationCase(
        "request_id", an_open_request_and_an_expert, "GET", "staff"),
    f"{M}/requests/{{request_id:uuid}}/shortlist/share": IsolationCase(
        "request_id", an_open_assignment_request, "POST", "staff"),
    f"{M}/requests/{{request_id:uuid}}/shortlist/{{entry_id:uuid}}/{{action:str}}": IsolationCase(
        "entry_id", a_shared_shortlist_entry, "POST", "staff", (("action", "invite"),)),
    f"{M}/search/saved/{{saved_id:uuid}}/delete": IsolationCase(
        "saved_id", a_saved_search, "POST", "staff"),
    # (The JSON API under /api/v1/<mission>/ takes tokens, not sessions: its own mission
    # scoping, tokens and ids alike, is tested in tests/test_api.py.)
    f"{M}/admin/api-tokens/{{token_id:uuid}}/revoke": IsolationCase(
        "token_id", an_api_token, "POST", "mission_admin"),
    # Staff's imports: a batch of another mission is not found, whichever page asks.
    f"{M}/imports/{{batch_id:uuid}}": IsolationCase("batch_id", an_import_batch, "GET", "staff"),
    f"{M}/imports/{{batch_id:uuid}}/progress": IsolationCase(
        "batch_id", an_import_batch, "GET", "staff"),
    f"{M}/imports/{{batch_id:uuid}}/run": IsolationCase(
        "batch_id", an_import_batch, "POST", "staff"),
    f"{M}/imports/{{batch_id:uuid}}/rejected.csv": IsolationCase(
        "batch_id", an_import_batch, "GET", "staff"),
    # Assignments: the expert and the institution see their own; staff act on any.
    f"{M}/assignments/{{assignment_id:uuid}}": IsolationCase(
        "assignment_id", an_assignment, "GET", "staff"),
    f"{M}/assignments/{{assignment_id:uuid}}/move": IsolationCase(
        "assignment_id", an_assignment, "POST", "staff"),
    f"{M}/assignments/{{assignment_id:uuid}}/plan": IsolationCase(
        "assignment_id", an_assignment, "POST", "staff"),
    f"{M}/assignments/{{assignment_id:uuid}}/checklist/{{item_id:uuid}}": IsolationCase(
        "assignment_id", an_assignment_with_a_checklist_item, "POST", "staff"),
    # Staff see the assignment but the report is the expert's, the evaluation the
    # institution's (403); another mission's assignment stays 404.
    f"{M}/assignments/{{assignment_id:uuid}}/report": IsolationCase(
        "assignment_id", an_assignment_in_progress, "POST", "expert"),
    f"{M}/assignments/{{assignment_id:uuid}}/evaluation": IsolationCase(
        "assignment_id", a_completed_assignment, "POST", "staff", forbidden_here=True),
    f"{M}/assignments/{{assignment_id:uuid}}/review": IsolationCase(
        "assignment_id", an_assignment, "POST", "staff"),
    f"{M}/assignments/{{assignment_id:uuid}}/report/attachment": IsolationCase(
        "assignment_id", an_assignment_with_a_report_file, "GET", "staff"),
    f"{M}/assignments/{{assignment_id:uuid}}/host-rating": IsolationCase(
        "assignment_id", a_completed_assignment, "POST", "expert"),
    f"{M}/assignments/{{assignment_id:uuid}}/letter.pdf": IsolationCase(
        "assignment_id", an_evaluated_assignment, "GET", "expert"),
    f"{M}/assignments/{{assignment_id:uuid}}/outputs": IsolationCase(
        "assignment_id", an_assignment_in_progress, "POST", "staff"),
    f"{M}/assignments/{{assignment_id:uuid}}/milestones": IsolationCase(
        "assignment_id", an_assignment, "POST", "staff"),
    f"{M}/assignments/{{assignment_id:uuid}}/milestones/{{milestone_id:uuid}}": IsolationCase(
        "assignment_id", a_milestone, "POST", "staff"),
    f"{M}/assignments/{{assignment_id:uuid}}/milestones/{{milestone_id:uuid}}/evidence":
        IsolationCase("assignment_id", a_milestone, "POST", "staff"),
    f"{M}/assignments/{{assignment_id:uuid}}/milestones/{{milestone_id:uuid}}/evidence/"
    "{evidence_id:uuid}": IsolationCase("assignment_id", a_milestone, "GET", "staff"),
    f"{M}/assignments/{{assignment_id:uuid}}/milestones/{{milestone_id:uuid}}/evidence/"
    "{evidence_id:uuid}/remove": IsolationCase("assignment_id", a_milestone, "POST", "staff"),
    f"{M}/trainings/{{training_id:uuid}}": IsolationCase("training_id", a_training, "GET",
                                                         "staff"),
    f"{M}/trainings/{{training_id:uuid}}/edit": IsolationCase("training_id", a_training,
                                                              "POST", "staff"),
    f"{M}/trainings/{{training_id:uuid}}/move": IsolationCase("training_id", a_training,
                                                              "POST", "staff"),
    f"{M}/trainings/{{training_id:uuid}}/participants": IsolationCase(
        "training_id", a_listing_training, "POST", "staff"),
    f"{M}/trainings/{{training_id:uuid}}/participants/{{participant_id:uuid}}/certificate.pdf":
        IsolationCase("training_id", a_certified_participant, "GET", "staff"),
    # Public: another mission's certificate code is not found.
    f"{M}/certificates/{{code:str}}": IsolationCase("code", a_certificate_code),
    f"{M}/trainings/{{training_id:uuid}}/participants/import": IsolationCase(
        "training_id", a_listing_training, "POST", "staff"),
    f"{M}/trainings/{{training_id:uuid}}/participants/import/confirm": IsolationCase(
        "training_id", a_listing_training, "POST", "staff"),
    f"{M}/trainings/{{training_id:uuid}}/participants/{{participant_id:uuid}}/remove":
        IsolationCase("training_id", a_listed_participant, "POST", "staff"),
    f"{M}/trainings/{{training_id:uuid}}/participants/{{participant_id:uuid}}/withdraw":
        IsolationCase("training_id", a_listed_participant, "POST", "staff"),
    f"{M}/trainings/{{training_id:uuid}}/evidence": IsolationCase("training_id", a_training,
                                                                  "POST", "staff"),
    f"{M}/admin/partners/{{partner_id:uuid}}": IsolationCase(
        "partner_id", a_partner_agency, "GET", "mission_admin"),
    f"{M}/admin/partners/{{partner_id:uuid}}/status": IsolationCase(
        "partner_id", a_partner_agency, "POST", "mission_admin"),
    f"{M}/admin/funding/{{project_id:uuid}}": IsolationCase(
        "project_id", a_funding_project, "GET", "mission_admin"),
    f"{M}/admin/funding/{{project_id:uuid}}/status": IsolationCase(
        "project_id", a_funding_project, "POST", "mission_admin"),
    f"{M}/experts/duplicates/{{duplicate_id:uuid}}/dismiss": IsolationCase(
        "duplicate_id", a_likely_duplicate, "POST", "staff"),
    f"{M}/experts/duplicates/{{duplicate_id:uuid}}/merge": IsolationCase(
        "duplicate_id", a_likely_duplicate, "POST", "staff"),
    f"{M}/admin/sectors/{{sector_id:uuid}}": IsolationCase(
        "sector_id", a_sector, "GET", "mission_admin"),
    f"{M}/admin/sectors/{{sector_id:uuid}}/status": IsolationCase(
        "sector_id", a_sector, "POST", "mission_admin"),
    f"{M}/admin/checklist/{{item_id:uuid}}": IsolationCase(
        "item_id", a_checklist_item, "POST", "mission_admin"),
    # The job queue has no row-level security: another mission's job is not found all the same.
    f"{M}/admin/jobs/{{job_id:int}}/retry": IsolationCase(
        "job_id", a_failed_job, "POST", "mission_admin"),
}


def fill(path: str, **params: object) -> str:
    """The path with its parameters. A factory may make an object that lives inside another
    (a request's shortlist entry) and return both ids as a dict: each one is filled."""
    for name, value in params.items():
        if isinstance(value, dict):
            path = fill(path, **value)
            continue
        for kind in ("uuid", "str", "int", "path"):
            path = path.replace("{" + name + ":" + kind + "}", str(value))
    return path


async def request(client: AsyncTestClient, method: str, url: str,
                  data: dict[str, str] | None = None):
    """GET the url, or send the form `data` (by default a role, what the member pages ask
    for) with the CSRF token."""
    if method == "GET":
        return await client.get(url, follow_redirects=False)
    token = await csrf_token(client, "/")
    form = {"role": "staff"} if data is None else data
    return await client.request(method, url, data={**form, "_csrf_token": token},
                                follow_redirects=False)


async def assert_tenant_isolated(client: AsyncTestClient, path: str, case: IsolationCase,
                                 own: TenantContext, own_id: object, other_id: object) -> None:
    """The mission's own object answers; another mission's object answers 404 there."""
    mine = await request(client, case.method, fill(path, mission_slug=own.slug,
                                                   **dict(case.fixed), **{case.param: own_id}))
    assert mine.status_code != 404 and mine.status_code < 500, (path, mine.status_code)
    refused = mine.status_code in (401, 403) or "/sign-in?next=" in mine.headers.get("location", "")
    assert refused == case.forbidden_here, (path, case.method, mine.status_code,
                                            mine.headers.get("location"))
    theirs = await request(client, case.method, fill(path, mission_slug=own.slug,
                                                     **dict(case.fixed), **{case.param: other_id}))
    assert theirs.status_code == 404, (path, theirs.status_code)
