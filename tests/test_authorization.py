"""The authorization matrix: every route of the app x every role, with the expected outcome.

A route missing from ACCESS fails the suite, so every new route states who may use it."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from litestar.routes import HTTPRoute
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.accounts.services import start_session
from app.core.actor import Actor
from tenants.context import TenantContext, tenant_scope
from tests.accounts_helpers import make_user, use_session
from tests.conftest import speak
from tests.documents_helpers import a_cv_for
from tests.html import select_all
from tests.isolation import ISOLATION_CASES, a_partner_agency, fill, request
from tests.request_helpers import make_institution

ROLES = ("expert", "institution_focal_point", "partner_user", "donor_viewer", "staff",
         "mission_admin")
EVERYONE = "everyone"
SIGNED_IN_MEMBERS = frozenset({*ROLES, "platform_admin"})
ADMINS = frozenset({"mission_admin", "platform_admin"})
HQ = frozenset({"platform_admin"})
EXPERTS = frozenset({"expert"})
STAFF = frozenset({"staff", "mission_admin", "platform_admin"})
FOCAL_POINTS_AND_STAFF = STAFF | {"institution_focal_point"}
# A funding project's report: staff, and a donor viewer for their own projects (another
# project is 404 to them, tests/test_donor_viewers.py).
PROJECT_READERS = STAFF | {"donor_viewer"}
# Trainings: a partner user (their agency's, tests/test_trainings.py) and staff.
PARTNERS_AND_STAFF = STAFF | {"partner_user"}
# An assignment's parties: its expert, its institution's focal points, and staff.
ASSIGNMENT_PARTIES = FOCAL_POINTS_AND_STAFF | {"expert"}
M = "/{mission_slug:str}"
# The JSON API answers API tokens only (tests/test_api.py): a browser session, whoever holds
# it, gets 401 with a JSON body there, like an anonymous caller.
TOKEN_ONLY = "token only"
A = "/api/v1/{mission_slug:str}"

ACCESS: dict[tuple[str, str], str | frozenset[str]] = {
    ("GET", "/"): EVERYONE,
    ("POST", "/lang"): EVERYONE,
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/static/{file_path:path}"): EVERYONE,
    ("GET", "/dev/mail"): EVERYONE,  # only exists with PORTAL_DEBUG and no SMTP_URL
    ("GET", M): EVERYONE,
    ("GET", f"{M}/partners"): EVERYONE,
    ("GET", f"{M}/partners/{{partner_id:uuid}}"): EVERYONE,
    ("GET", f"{M}/sign-up"): EVERYONE,
    ("POST", f"{M}/sign-up"): EVERYONE,
    ("GET", f"{M}/verify/{{token:str}}"): EVERYONE,
    ("POST", f"{M}/verify/{{token:str}}"): EVERYONE,
    ("POST", f"{M}/verify"): EVERYONE,
    ("GET", f"{M}/sign-in"): EVERYONE,
    ("POST", f"{M}/sign-in"): EVERYONE,
    ("GET", f"{M}/sign-in/second-step"): EVERYONE,
    ("POST", f"{M}/sign-in/second-step"): EVERYONE,
    ("POST", f"{M}/sign-out"): EVERYONE,
    ("GET", f"{M}/password/forgot"): EVERYONE,
    ("POST", f"{M}/password/forgot"): EVERYONE,
    ("GET", f"{M}/password/reset/{{token:str}}"): EVERYONE,
    ("POST", f"{M}/password/reset/{{token:str}}"): EVERYONE,
    ("GET", f"{M}/invitations/{{token:str}}"): EVERYONE,
    ("POST", f"{M}/invitations/{{token:str}}"): EVERYONE,
    # The link at the foot of every reminder works without signing in.
    ("GET", f"{M}/reminders/stop/{{token:str}}"): EVERYONE,
    ("POST", f"{M}/reminders/stop/{{token:str}}"): EVERYONE,
    # The follow-up questionnaire's link works without signing in (once).
    ("GET", f"{M}/follow-up/{{token:str}}"): EVERYONE,
    ("POST", f"{M}/follow-up/{{token:str}}"): EVERYONE,
    ("GET", f"{M}/account"): SIGNED_IN_MEMBERS,
    ("POST", f"{M}/account/password"): SIGNED_IN_MEMBERS,
    ("GET", f"{M}/account/second-factor"): SIGNED_IN_MEMBERS,
    ("POST", f"{M}/account/second-factor"): SIGNED_IN_MEMBERS,
    ("POST", f"{M}/account/second-factor/recovery-codes"): SIGNED_IN_MEMBERS,
    ("POST", f"{M}/account/second-factor/off"): SIGNED_IN_MEMBERS,
    ("GET", f"{M}/admin/members"): ADMINS,
    ("POST", f"{M}/admin/members"): ADMINS,
    ("POST", f"{M}/admin/members/{{membership_id:uuid}}/role"): ADMINS,
    ("POST", f"{M}/admin/members/{{membership_id:uuid}}/revoke"): ADMINS,
    ("POST", f"{M}/admin/invitations/{{invitation_id:uuid}}/revoke"): ADMINS,
    ("GET", f"{M}/admin/audit"): ADMINS,
    ("GET", f"{M}/sso/{{provider_id:uuid}}/start"): EVERYONE,
    ("GET", f"{M}/sso/{{provider_id:uuid}}/callback"): EVERYONE,
    ("GET", f"{M}/admin/sso"): ADMINS,
    ("POST", f"{M}/admin/sso"): ADMINS,
    ("POST", f"{M}/admin/second-factor"): ADMINS,
    ("GET", f"{M}/admin/sso/{{provider_id:uuid}}"): ADMINS,
    ("POST", f"{M}/admin/sso/{{provider_id:uuid}}"): ADMINS,
    ("GET", f"{M}/me"): EXPERTS,
    ("GET", f"{M}/me/profile/{{step:str}}"): EXPERTS,
    ("POST", f"{M}/me/profile/{{step:str}}"): EXPERTS,
    ("POST", f"{M}/me/profile/action/{{action:str}}"): EXPERTS,
    ("GET", f"{M}/me/skills/suggest"): EXPERTS,
    ("GET", f"{M}/me/views"): EXPERTS,
    ("GET", f"{M}/me/data"): EXPERTS,
    ("GET", f"{M}/me/delete"): EXPERTS,
    ("POST", f"{M}/me/delete"): EXPERTS,
    ("GET", f"{M}/experts"): STAFF,
    ("GET", f"{M}/experts/export.csv"): STAFF,
    ("GET", f"{M}/experts/{{profile_id:uuid}}"): STAFF,
    ("POST", f"{M}/experts/{{profile_id:uuid}}/action"): STAFF,
    ("POST", f"{M}/experts/{{profile_id:uuid}}/notes"): STAFF,
    ("GET", f"{M}/skills"): STAFF,
    ("POST", f"{M}/skills"): STAFF,
    ("POST", f"{M}/skills/{{skill_id:uuid}}/merge"): STAFF,
    ("POST", f"{M}/skills/{{skill_id:uuid}}/promote"): STAFF,
    ("GET", f"{M}/me/profile/cv"): frozenset({"expert"}),
    ("POST", f"{M}/me/profile/cv"): frozenset({"expert"}),
    ("GET", f"{M}/me/profile/cv/file"): frozenset({"expert"}),
    ("GET", f"{M}/experts/{{profile_id:uuid}}/cv"): frozenset({"staff", *ADMINS}),
    ("GET", f"{M}/institutions/apply"): EVERYONE,
    ("POST", f"{M}/institutions/apply"): EVERYONE,
    ("GET", f"{M}/institutions"): STAFF,
    ("GET", f"{M}/institutions/new"): STAFF,
    ("POST", f"{M}/institutions/new"): STAFF,
    ("GET", f"{M}/institutions/{{institution_id:uuid}}"): STAFF,
    ("GET", f"{M}/institutions/{{institution_id:uuid}}/edit"): STAFF,
    ("POST", f"{M}/institutions/{{institution_id:uuid}}/edit"): STAFF,
    ("POST", f"{M}/institutions/{{institution_id:uuid}}/action"): STAFF,
    ("POST", f"{M}/institutions/{{institution_id:uuid}}/focal-points"): STAFF,
    ("GET", f"{M}/institution"): FOCAL_POINTS_AND_STAFF,
    ("GET", f"{M}/requests"): STAFF,
    ("GET", f"{M}/requests/export.csv"): STAFF,
    ("GET", f"{M}/requests/new"): FOCAL_POINTS_AND_STAFF,
    ("POST", f"{M}/requests/new"): FOCAL_POINTS_AND_STAFF,
    # A focal point of another institution gets 404 here (tests/test_assignment_requests.py).
    ("GET", f"{M}/requests/{{request_id:uuid}}"): FOCAL_POINTS_AND_STAFF,
    ("GET", f"{M}/requests/{{request_id:uuid}}/edit/{{step:str}}"): FOCAL_POINTS_AND_STAFF,
    ("POST", f"{M}/requests/{{request_id:uuid}}/edit/{{step:str}}"): FOCAL_POINTS_AND_STAFF,
    ("GET", f"{M}/requests/{{request_id:uuid}}/document"): FOCAL_POINTS_AND_STAFF,
    ("POST", f"{M}/requests/{{request_id:uuid}}/document"): FOCAL_POINTS_AND_STAFF,
    ("GET", f"{M}/requests/{{request_id:uuid}}/document/file"): FOCAL_POINTS_AND_STAFF,
    ("POST", f"{M}/requests/{{request_id:uuid}}/action"): FOCAL_POINTS_AND_STAFF,
    # The shortlist as the institution sees it (another institution's focal point: 404,
    # tests/test_shortlist_pages.py); the choice is the institution's alone (staff: 403).
    ("GET", f"{M}/requests/{{request_id:uuid}}/shortlist"): FOCAL_POINTS_AND_STAFF,
    ("POST", f"{M}/requests/{{request_id:uuid}}/selection/{{entry_id:uuid}}"):
        frozenset({"institution_focal_point"}),
    # One's own invitations only: another expert's is 404.
    ("GET", f"{M}/me/invitations"): EXPERTS,
    ("GET", f"{M}/me/invitations/{{entry_id:uuid}}"): EXPERTS,
    ("POST", f"{M}/me/invitations/{{entry_id:uuid}}"): EXPERTS,
    ("GET", f"{M}/me/invitations/{{entry_id:uuid}}/terms"): EXPERTS,
    ("GET", f"{M}/me/requests"): EXPERTS,
    ("POST", f"{M}/me/requests/{{request_id:uuid}}/interest"): EXPERTS,
    ("GET", f"{M}/requests/{{request_id:uuid}}/matches"): STAFF,
    ("GET", f"{M}/requests/{{request_id:uuid}}/matches/{{profile_id:uuid}}"): STAFF,
    ("POST", f"{M}/requests/{{request_id:uuid}}/shortlist"): STAFF,
    ("POST", f"{M}/requests/{{request_id:uuid}}/shortlist/share"): STAFF,
    ("POST", f"{M}/requests/{{request_id:uuid}}/shortlist/{{entry_id:uuid}}/{{action:str}}"): STAFF,
    ("GET", f"{M}/search"): STAFF,
    ("POST", f"{M}/search/saved"): STAFF,
    # One's own saved searches only: another person's is 404 (tests/test_registry_search.py).
    ("POST", f"{M}/search/saved/{{saved_id:uuid}}/delete"): STAFF,
    ("GET", f"{M}/imports"): STAFF,
    ("POST", f"{M}/imports"): STAFF,
    ("GET", f"{M}/imports/{{batch_id:uuid}}"): STAFF,
    ("GET", f"{M}/imports/{{batch_id:uuid}}/progress"): STAFF,
    ("POST", f"{M}/imports/{{batch_id:uuid}}/run"): STAFF,
    ("GET", f"{M}/imports/{{batch_id:uuid}}/rejected.csv"): STAFF,
    ("GET", f"{M}/imports/template/experts.csv"): STAFF,
    ("GET", f"{M}/imports/template/experts.xlsx"): STAFF,
    ("GET", f"{M}/imports/template/requests.csv"): STAFF,
    ("GET", f"{M}/imports/template/requests.xlsx"): STAFF,
    ("GET", f"{M}/admin/matching"): ADMINS,
    ("POST", f"{M}/admin/matching"): ADMINS,
    ("GET", f"{M}/admin/api-tokens"): ADMINS,
    ("POST", f"{M}/admin/api-tokens"): ADMINS,
    ("POST", f"{M}/admin/api-tokens/{{token_id:uuid}}/revoke"): ADMINS,
    ("GET", f"{M}/assignments"): ASSIGNMENT_PARTIES,
    ("GET", f"{M}/assignments/export.csv"): STAFF,
    ("GET", f"{M}/assignments/board"): STAFF,
    ("GET", f"{M}/assignments/timeline"): STAFF,
    ("GET", f"{M}/assignments/calendar.ics"): ASSIGNMENT_PARTIES,
    ("POST", f"{M}/assignments/calendar/address"): ASSIGNMENT_PARTIES,
    # The address is the key: a calendar program fetches it without signing in.
    ("GET", f"{M}/assignments/calendar/{{address:str}}"): EVERYONE,
    # Another expert's or another institution's assignment is 404 (tests/test_assignments.py).
    ("GET", f"{M}/assignments/{{assignment_id:uuid}}"): ASSIGNMENT_PARTIES,
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/move"): STAFF,
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/plan"): STAFF,
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/checklist/{{item_id:uuid}}"): STAFF,
    # The final report is its expert's, the evaluation its institution's focal points'.
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/report"): EXPERTS,
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/evaluation"):
        frozenset({"institution_focal_point"}),
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/review"): STAFF,
    ("GET", f"{M}/assignments/{{assignment_id:uuid}}/report/attachment"): ASSIGNMENT_PARTIES,
    # The expert rates the institution (staff read it); the letter is the expert's and staff's.
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/host-rating"): EXPERTS,
    ("GET", f"{M}/assignments/{{assignment_id:uuid}}/letter.pdf"): STAFF | EXPERTS,
    ("POST", f"{M}/assignments/reminders"): ASSIGNMENT_PARTIES,
    # Outputs: the assignment's expert or staff record them.
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/outputs"): STAFF | EXPERTS,
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/milestones"): STAFF,
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/milestones/{{milestone_id:uuid}}"): STAFF,
    # Evidence is handed in by the assignment's expert (or staff); every party may read it;
    # staff remove a file handed in by mistake.
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/milestones/{{milestone_id:uuid}}/evidence"):
        STAFF | EXPERTS,
    ("GET", f"{M}/assignments/{{assignment_id:uuid}}/milestones/{{milestone_id:uuid}}/evidence/"
     "{evidence_id:uuid}"): ASSIGNMENT_PARTIES,
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/milestones/{{milestone_id:uuid}}/evidence/"
     "{evidence_id:uuid}/remove"): STAFF,
    ("GET", f"{M}/admin/checklist"): ADMINS,
    ("POST", f"{M}/admin/checklist"): ADMINS,
    ("POST", f"{M}/admin/checklist/{{item_id:uuid}}"): ADMINS,
    ("GET", f"{M}/admin/partners"): ADMINS,
    ("POST", f"{M}/admin/partners"): ADMINS,
    ("GET", f"{M}/admin/partners/{{partner_id:uuid}}"): ADMINS,
    ("POST", f"{M}/admin/partners/{{partner_id:uuid}}"): ADMINS,
    ("POST", f"{M}/admin/partners/{{partner_id:uuid}}/status"): ADMINS,
    ("GET", f"{M}/admin/funding"): ADMINS,
    ("POST", f"{M}/admin/funding"): ADMINS,
    ("GET", f"{M}/admin/funding/{{project_id:uuid}}"): ADMINS,
    ("POST", f"{M}/admin/funding/{{project_id:uuid}}"): ADMINS,
    ("POST", f"{M}/admin/funding/{{project_id:uuid}}/status"): ADMINS,
    ("GET", f"{M}/experts/duplicates"): STAFF,
    ("POST", f"{M}/experts/duplicates/{{duplicate_id:uuid}}/dismiss"): STAFF,
    ("POST", f"{M}/experts/duplicates/{{duplicate_id:uuid}}/merge"): STAFF,
    ("GET", f"{M}/admin/sectors"): ADMINS,
    ("POST", f"{M}/admin/sectors"): ADMINS,
    ("GET", f"{M}/admin/sectors/{{sector_id:uuid}}"): ADMINS,
    ("POST", f"{M}/admin/sectors/{{sector_id:uuid}}"): ADMINS,
    ("POST", f"{M}/admin/sectors/{{sector_id:uuid}}/status"): ADMINS,
    ("GET", f"{M}/admin/jobs"): ADMINS,
    ("POST", f"{M}/admin/jobs/{{job_id:int}}/retry"): ADMINS,
    ("GET", f"{A}/experts"): TOKEN_ONLY,
    ("GET", f"{A}/experts/{{profile_id:uuid}}"): TOKEN_ONLY,
    ("GET", f"{A}/requests"): TOKEN_ONLY,
    ("GET", f"{A}/requests/{{request_id:uuid}}"): TOKEN_ONLY,
    ("GET", f"{A}/reports/dashboard"): TOKEN_ONLY,
    ("GET", f"{A}/reports/supply"): TOKEN_ONLY,
    ("GET", f"{A}/requests/{{request_id:uuid}}/matches"): TOKEN_ONLY,
    ("GET", f"{A}/activities"): TOKEN_ONLY,
    ("GET", f"{A}/activities/{{activity_id:uuid}}"): TOKEN_ONLY,
    ("GET", f"{A}/assignments"): TOKEN_ONLY,
    ("GET", f"{A}/assignments/{{assignment_id:uuid}}"): TOKEN_ONLY,
    # The API's OpenAPI schema is public (JSON; unknown paths under it are 404).
    ("GET", "/api/v1/schema"): EVERYONE,
    ("GET", "/api/v1/schema/openapi.json"): EVERYONE,
    ("GET", "/api/v1/schema/{path:str}"): EVERYONE,
    ("GET", f"{M}/trainings"): PARTNERS_AND_STAFF,
    ("GET", f"{M}/trainings/export.csv"): PARTNERS_AND_STAFF,
    ("GET", f"{M}/trainings/export.xlsx"): PARTNERS_AND_STAFF,
    ("GET", f"{M}/trainings/export.hxl.csv"): PARTNERS_AND_STAFF,
    ("GET", f"{M}/trainings/new"): PARTNERS_AND_STAFF,
    ("POST", f"{M}/trainings/new"): PARTNERS_AND_STAFF,
    # Another agency's training is 404 to a partner user (tests/test_trainings.py).
    ("GET", f"{M}/trainings/{{training_id:uuid}}"): PARTNERS_AND_STAFF,
    ("POST", f"{M}/trainings/{{training_id:uuid}}/edit"): PARTNERS_AND_STAFF,
    ("POST", f"{M}/trainings/{{training_id:uuid}}/move"): PARTNERS_AND_STAFF,
    # HQ's figures across missions, read through app/reports/hq.py (audited per mission).
    ("GET", "/admin/reports"): HQ,
    ("GET", "/admin/reports/export.csv"): HQ,
    ("GET", "/admin/reports/export.xlsx"): HQ,
    # Reports: the mission's for staff; a partner user's own agency's (tests/test_reports.py).
    ("GET", f"{M}/reports"): STAFF,
    ("GET", f"{M}/reports/export.csv"): STAFF,
    ("GET", f"{M}/reports/export.xlsx"): STAFF,
    ("GET", f"{M}/reports/supply"): STAFF,
    ("GET", f"{M}/reports/supply/export.csv"): STAFF,
    ("GET", f"{M}/reports/supply/export.xlsx"): STAFF,
    ("GET", f"{M}/reports/project"): PROJECT_READERS,
    ("GET", f"{M}/reports/project/export.csv"): PROJECT_READERS,
    ("GET", f"{M}/reports/project/export.xlsx"): PROJECT_READERS,
    ("GET", f"{M}/reports/partner"): frozenset({"partner_user"}),
    ("GET", f"{M}/reports/partner/export.csv"): frozenset({"partner_user"}),
    ("GET", f"{M}/reports/partner/export.xlsx"): frozenset({"partner_user"}),
    ("POST", f"{M}/trainings/{{training_id:uuid}}/participants"): PARTNERS_AND_STAFF,
    ("GET", f"{M}/trainings/{{training_id:uuid}}/participants/import"): PARTNERS_AND_STAFF,
    ("POST", f"{M}/trainings/{{training_id:uuid}}/participants/import"): PARTNERS_AND_STAFF,
    ("POST", f"{M}/trainings/{{training_id:uuid}}/participants/import/confirm"):
        PARTNERS_AND_STAFF,
    ("GET", f"{M}/trainings/participants-template.csv"): PARTNERS_AND_STAFF,
    ("GET", f"{M}/trainings/{{training_id:uuid}}/participants/{{participant_id:uuid}}"
            "/certificate.pdf"): PARTNERS_AND_STAFF,
    ("GET", f"{M}/certificates/{{code:str}}"): EVERYONE,
    ("GET", f"{M}/trainings/participants-template.xlsx"): PARTNERS_AND_STAFF,
    ("POST", f"{M}/trainings/{{training_id:uuid}}/participants/{{participant_id:uuid}}/remove"):
        PARTNERS_AND_STAFF,
    ("POST",
     f"{M}/trainings/{{training_id:uuid}}/participants/{{participant_id:uuid}}/withdraw"):
        PARTNERS_AND_STAFF,
    ("POST", f"{M}/trainings/{{training_id:uuid}}/evidence"): PARTNERS_AND_STAFF,
    ("GET", "/admin"): HQ,
    ("POST", "/admin/sign-out"): HQ,
    ("POST", "/admin/missions"): HQ,
    ("POST", "/admin/missions/{slug:str}/status"): HQ,
    ("POST", "/admin/missions/{slug:str}/mission-admins"): HQ,
}


def app_routes(app) -> set[tuple[str, str]]:
    return {(method, route.path) for route in app.routes if isinstance(route, HTTPRoute)
            for method in route.methods - {"HEAD", "OPTIONS"}}


def test_every_route_has_a_row(app):
    missing = sorted(app_routes(app) - set(ACCESS))
    assert not missing, f"add these routes to ACCESS in tests/test_authorization.py: {missing}"
    stale = sorted(set(ACCESS) - app_routes(app))
    assert not stale, f"ACCESS names routes that no longer exist: {stale}"


# --- what each route needs to be reached ---------------------------------------------------
#
# An allowed role must reach the handler itself: a page (2xx), or a redirect that is not the
# sign-in page (which is where refusals of the anonymous lead), or, only where the row says
# the form is refused on purpose, the handler's own validation (400/422 with its message).
# Never a not-found: every object in a path is a real one of the mission the role may use.

@dataclass(frozen=True)
class Probe:
    form: dict[str, str] | Callable[[], dict[str, str]] | None = None  # None: isolation's default
    # The form is refused on purpose (it would change what the other probes rely on, or
    # needs a file): a 400/422 counts as reached when the page shows the refusal in `shows`.
    invalid: bool = False
    shows: str = ".error, .flash-error"  # a message next to a field, or for the whole form
    # A redirect to the plain sign-in page that is the handler's own answer (not a refusal).
    location: str | None = None
    # An answer other than reaching a page, with the reason (e.g. a not-found handler).
    status: int | None = None
    # A state of the acting person the route needs: async (db, tenant, user) -> None.
    state: Callable[[AsyncSession, TenantContext, User], Awaitable[None]] | None = None


def unique_email() -> str:
    return f"matrix-{uuid.uuid4().hex[:8]}@example.org"


NEW_PASSWORD = {"password": "a fresh passphrase 2027", "password_confirm": "a fresh passphrase 2027"}
INVALID = Probe(form={}, invalid=True)
SIGN_IN = "/sudan/sign-in"


async def a_verified_expert_with_a_cv(db: AsyncSession, tenant: TenantContext, user: User) -> None:
    """The expert's own profile, verified, with a CV stored through the real service."""
    profile = await a_cv_for(db, tenant, user)
    with tenant_scope(tenant):
        profile.status, profile.full_name = "verified", "Matrix Expert"
        await db.commit()


PROBES: dict[tuple[str, str], Probe] = {
    # Its expert is not indexed, so no candidate: the handler's own clear refusal.
    ("GET", f"{M}/requests/{{request_id:uuid}}/matches/{{profile_id:uuid}}"): Probe(status=409),
    # Litestar's own handler for unknown schema paths: a not-found is what it is for.
    ("GET", "/api/v1/schema/{path:str}"): Probe(status=404),
    ("POST", "/lang"): Probe(form={"lang": "en", "next": "/"}),
    ("POST", f"{M}/sign-up"): INVALID,
    ("POST", f"{M}/sign-in"): INVALID,
    ("POST", f"{M}/verify/{{token:str}}"): Probe(form={}, location=SIGN_IN),
    ("POST", f"{M}/password/forgot"): Probe(form=lambda: {"email": unique_email()}),
    ("POST", f"{M}/password/reset/{{token:str}}"): Probe(form=NEW_PASSWORD, location=SIGN_IN),
    # Anonymous: a new account joins (then signs in). Signed in as somebody else: the
    # invitation says whom it is for.
    ("POST", f"{M}/invitations/{{token:str}}"): Probe(
        form={"name": "Invited Person", **NEW_PASSWORD}, location=SIGN_IN, invalid=True,
        shows=".error-detail"),
    ("POST", f"{M}/institutions/apply"): INVALID,
    # A turned-off provider leads back to the sign-in page without contacting anyone.
    ("GET", f"{M}/sso/{{provider_id:uuid}}/start"): Probe(location=SIGN_IN),
    ("GET", f"{M}/sso/{{provider_id:uuid}}/callback"): Probe(location=SIGN_IN),
    ("POST", f"{M}/account/password"): Probe(form={"current_password": "not it at all",
                                                   **NEW_PASSWORD}, invalid=True),
    # Without a password step begun, the second step leads back to the sign-in page.
    ("GET", f"{M}/sign-in/second-step"): Probe(location=SIGN_IN),
    ("POST", f"{M}/sign-in/second-step"): Probe(form={"code": "123456"}, location=SIGN_IN),
    # A wrong code is refused at the field (HQ has a second factor; the others have none,
    # and are sent back to their account page for the two that need one).
    ("POST", f"{M}/account/second-factor"): Probe(form={"code": "000000"}, invalid=True),
    ("POST", f"{M}/account/second-factor/recovery-codes"): Probe(form={"code": "000000"},
                                                                 invalid=True),
    ("POST", f"{M}/account/second-factor/off"): Probe(form={"off_code": "000000"},
                                                      invalid=True),
    ("GET", f"{M}/me/profile/cv/file"): Probe(state=a_verified_expert_with_a_cv),
    ("POST", f"{M}/me/profile/cv"): INVALID,
    ("POST", f"{M}/me/profile/{{step:str}}"): INVALID,
    ("POST", f"{M}/me/delete"): Probe(form={"password": "not it at all"}, invalid=True),
    ("POST", f"{M}/me/invitations/{{entry_id:uuid}}"): Probe(form={"action": "accept"}),
    ("POST", f"{M}/me/requests/{{request_id:uuid}}/interest"): Probe(
        form={}, state=a_verified_expert_with_a_cv),
    ("POST", f"{M}/experts/{{profile_id:uuid}}/action"): Probe(form={"action": "verify"},
                                                               invalid=True),
    ("POST", f"{M}/experts/{{profile_id:uuid}}/notes"): Probe(form={"body": "References checked."}),
    ("POST", f"{M}/skills"): Probe(form=lambda: {"name": f"Matrix skill {uuid.uuid4().hex[:6]}"}),
    ("POST", f"{M}/skills/{{skill_id:uuid}}/merge"): INVALID,
    ("POST", f"{M}/imports"): INVALID,
    ("POST", f"{M}/institutions/new"): INVALID,
    ("POST", f"{M}/institutions/{{institution_id:uuid}}/edit"): INVALID,
    ("POST", f"{M}/institutions/{{institution_id:uuid}}/action"): Probe(
        form={"action": "suspend", "reason": "Matrix check"}),
    ("POST", f"{M}/institutions/{{institution_id:uuid}}/focal-points"): Probe(
        form=lambda: {"email": unique_email()}),
    ("POST", f"{M}/requests/new"): INVALID,
    ("POST", f"{M}/requests/{{request_id:uuid}}/edit/{{step:str}}"): INVALID,
    ("POST", f"{M}/requests/{{request_id:uuid}}/document"): INVALID,
    ("POST", f"{M}/requests/{{request_id:uuid}}/action"): Probe(form={"action": "submit"}),
    # A draft is not open for matching: adding to its shortlist is refused with a reason.
    ("POST", f"{M}/requests/{{request_id:uuid}}/shortlist"): INVALID,
    ("POST", f"{M}/requests/{{request_id:uuid}}/shortlist/share"): Probe(form={}),
    ("POST", f"{M}/requests/{{request_id:uuid}}/shortlist/{{entry_id:uuid}}/{{action:str}}"):
        Probe(form={}),
    ("POST", f"{M}/requests/{{request_id:uuid}}/selection/{{entry_id:uuid}}"): Probe(
        form={"chosen": "1"}),
    ("POST", f"{M}/search/saved"): INVALID,
    ("POST", f"{M}/search/saved/{{saved_id:uuid}}/delete"): Probe(form={}),
    ("POST", f"{M}/admin/members"): INVALID,
    ("POST", f"{M}/admin/members/{{membership_id:uuid}}/role"): Probe(form={"role": "staff"}),
    ("POST", f"{M}/admin/members/{{membership_id:uuid}}/revoke"): Probe(form={}),
    ("POST", f"{M}/admin/invitations/{{invitation_id:uuid}}/revoke"): Probe(form={}),
    ("POST", f"{M}/admin/sso"): INVALID,
    ("POST", f"{M}/admin/sso/{{provider_id:uuid}}"): INVALID,
    ("POST", f"{M}/admin/matching"): INVALID,
    ("POST", f"{M}/admin/api-tokens"): Probe(form={"name": "Matrix dashboard"}),
    ("POST", f"{M}/admin/api-tokens/{{token_id:uuid}}/revoke"): Probe(form={}),
    ("POST", f"{M}/imports/{{batch_id:uuid}}/run"): Probe(form={}),
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/move"): Probe(form={"action": "contract"}),
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/plan"): Probe(form={
        "planned_start": "2027-03-01", "planned_end": "2027-04-15", "modality": "on_site",
        "duty_station": "Khartoum"}),
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/checklist/{{item_id:uuid}}"): Probe(
        form={"done": "1"}),
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/report"): Probe(form={
        "activities": "Trained 20 engineers.", "results": "A maintenance plan."}),
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/evaluation"): Probe(form={
        "relevance": "5", "quality": "4", "timeliness": "4", "knowledge_transfer": "5",
        "would_host_again": "5"}),
    # Nothing was sent for review on a new assignment: the handler says so (409).
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/review"): Probe(
        form={"part": "report", "decision": "accept"}, status=409),
    ("POST", f"{M}/reminders/stop/{{token:str}}"): Probe(form={}),
    ("POST", f"{M}/follow-up/{{token:str}}"): Probe(form={"still_used": "partly"}),
    ("POST", f"{M}/assignments/reminders"): Probe(form={"on": "1"}),
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/host-rating"): Probe(form={
        "support_received": "4", "preparation": "3", "would_go_again": "5"}),
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/outputs"): Probe(form={
        "trained_female": "12", "trained_male": "8", "sessions_held": "6"}),
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/milestones"): Probe(
        form={"title": "Matrix milestone", "kind": "milestone"}),
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/milestones/{{milestone_id:uuid}}"): Probe(
        form={"title": "Inception note", "kind": "deliverable", "status": "done"}),
    # No file sent: the handler asks for one next to the field.
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/milestones/{{milestone_id:uuid}}/evidence"):
        INVALID,
    ("POST", f"{M}/assignments/{{assignment_id:uuid}}/milestones/{{milestone_id:uuid}}/evidence/"
     "{evidence_id:uuid}/remove"): Probe(form={}),
    ("POST", f"{M}/admin/checklist"): Probe(form=lambda: {"label": f"Matrix item {uuid.uuid4().hex[:6]}"}),
    ("POST", f"{M}/admin/checklist/{{item_id:uuid}}"): Probe(form={"active": "1"}),
    ("POST", f"{M}/admin/partners"): INVALID,
    ("POST", f"{M}/admin/partners/{{partner_id:uuid}}"): INVALID,
    ("POST", f"{M}/admin/partners/{{partner_id:uuid}}/status"): Probe(form={"status": "active"}),
    ("POST", f"{M}/admin/funding"): INVALID,
    ("POST", f"{M}/admin/funding/{{project_id:uuid}}"): INVALID,
    ("POST", f"{M}/admin/funding/{{project_id:uuid}}/status"): Probe(form={"status": "active"}),
    ("POST", f"{M}/experts/duplicates/{{duplicate_id:uuid}}/dismiss"): Probe(form={}),
    # Without the profile to keep: refused on the error page, nothing merged.
    ("POST", f"{M}/experts/duplicates/{{duplicate_id:uuid}}/merge"): Probe(
        form={}, invalid=True, shows=".error-detail"),
    ("POST", f"{M}/admin/sectors"): INVALID,
    ("POST", f"{M}/admin/sectors/{{sector_id:uuid}}"): INVALID,
    ("POST", f"{M}/admin/sectors/{{sector_id:uuid}}/status"): Probe(form={"active": "1"}),
    ("POST", f"{M}/trainings/new"): INVALID,
    ("POST", f"{M}/trainings/{{training_id:uuid}}/edit"): INVALID,
    ("POST", f"{M}/trainings/{{training_id:uuid}}/move"): Probe(form={"action": "hold"}),
    ("POST", f"{M}/trainings/{{training_id:uuid}}/participants"): Probe(
        form={"p-sex": "female", "p-age_group": "18_24"}),
    # Without a file (the import's tests send real ones): refused at the file field.
    ("POST", f"{M}/trainings/{{training_id:uuid}}/participants/import"): INVALID,
    ("POST", f"{M}/trainings/{{training_id:uuid}}/participants/import/confirm"): INVALID,
    ("POST", f"{M}/trainings/{{training_id:uuid}}/participants/{{participant_id:uuid}}/remove"):
        Probe(form={}),
    ("POST",
     f"{M}/trainings/{{training_id:uuid}}/participants/{{participant_id:uuid}}/withdraw"):
        Probe(form={}),
    ("POST", f"{M}/trainings/{{training_id:uuid}}/evidence"): Probe(form={}),
    ("POST", "/admin/missions"): INVALID,
    ("POST", "/admin/missions/{slug:str}/status"): Probe(form={"status": "active"}),
    ("POST", "/admin/missions/{slug:str}/mission-admins"): INVALID,
}


def test_every_probe_names_a_route():
    stale = sorted(set(PROBES) - set(ACCESS))
    assert not stale, f"PROBES names routes that ACCESS does not: {stale}"


@dataclass
class People:
    users: dict[str, User]
    institution_id: uuid.UUID  # the focal point's institution


@pytest.fixture(scope="module")
async def people(session_factory, missions) -> People:
    """One user per role in Sudan (a platform admin with no membership at all); the focal
    point speaks for an approved institution of the mission, the partner user for one of
    its partner agencies."""
    sudan = missions["sudan"]
    async with session_factory() as db:
        institution = await make_institution(db, sudan, name="Matrix Water Authority")
        agency_id = await a_partner_agency(db, sudan)
    users = {role: await make_user(session_factory, sudan, role,
                                   host_institution_id=institution.id
                                   if role == "institution_focal_point" else None,
                                   partner_agency_id=agency_id
                                   if role == "partner_user" else None)
             for role in ROLES}
    users["platform_admin"] = await make_user(session_factory, None, None, platform_admin=True)
    return People(users, institution.id)


async def _session_token(session_factory, tenant, user, settings) -> str:
    with tenant_scope(tenant):
        async with session_factory() as db:
            return await start_session(db, tenant, user, Actor(ip="127.0.0.1"), settings, "tests")


def _params(path: str) -> dict:
    return {"mission_slug": "sudan", "slug": "sudan", "file_path": "css/portal.css",
            "step": "personal" if "/me/" in path else "terms", "action": "submit"}


async def _objects(session_factory, tenant, path: str, who: str, people: People) -> dict:
    """The route's objects, made in the mission: the focal point's are their institution's."""
    if path not in ISOLATION_CASES:
        return {}
    case = ISOLATION_CASES[path]
    kwargs = {}
    if who == "institution_focal_point" and \
            "institution_id" in inspect.signature(case.factory).parameters:
        kwargs["institution_id"] = people.institution_id
    async with session_factory() as db:
        return {**dict(case.fixed), case.param: await case.factory(db, tenant, **kwargs)}


def reached(response, probe: Probe) -> str | None:
    """Why the response does not show the handler was reached (None: it was)."""
    status, location = response.status_code, response.headers.get("location", "")
    if probe.status is not None:
        return None if status == probe.status else f"expected {probe.status}"
    if 200 <= status < 300:
        return None
    if status in (301, 302, 303, 307, 308):
        if "/sign-in?next=" in location:
            return "sent to sign in"
        if location.split("?")[0].rstrip("/").endswith("/sign-in") and probe.location is None:
            return f"redirected to {location}"
        return None
    if status in (400, 422) and probe.invalid:
        if not select_all(response.text, probe.shows):
            return f"{status} without the handler's message ({probe.shows})"
        return None
    return "not reached"


@pytest.mark.parametrize("who", ["anonymous", *ROLES, "platform_admin"])
async def test_matrix(app, client, missions, session_factory, settings, people, who):
    sudan = missions["sudan"]
    failures = []
    for (method, path), allowed in sorted(ACCESS.items()):
        is_allowed = allowed == EVERYONE or who in allowed
        probe = PROBES.get((method, path), Probe())
        user = None if who == "anonymous" else people.users[who]
        token = None if user is None else await _session_token(session_factory, sudan, user,
                                                               settings)
        # Objects after the session: those that belong to "the person who signed in last"
        # (tests/isolation.py) are the actor's own.
        params = {**_params(path), **await _objects(session_factory, sudan, path, who, people)}
        if is_allowed and probe.state is not None and user is not None:
            async with session_factory() as db:
                await probe.state(db, sudan, user)
        use_session(client, token)
        url = fill(path, **params)
        if allowed == TOKEN_ONLY:
            url = fill(url, profile_id=uuid.uuid4(), request_id=uuid.uuid4(),
                       activity_id=uuid.uuid4(), assignment_id=uuid.uuid4())
        form = probe.form() if callable(probe.form) else probe.form
        response = await request(client, method, url, form if is_allowed else None)
        if allowed == TOKEN_ONLY:
            if response.status_code != 401 or \
                    not response.headers.get("content-type", "").startswith("application/json"):
                failures.append((method, path, "expected 401 JSON", response.status_code))
            continue
        denied_to_anonymous = response.status_code == 303 and "/sign-in?next=" in \
            response.headers.get("location", "")
        if is_allowed and (problem := reached(response, probe)):
            failures.append((method, path, problem, response.status_code,
                             response.headers.get("location", "")))
        if not is_allowed:
            expected_ok = denied_to_anonymous if who == "anonymous" else response.status_code == 403
            if not expected_ok:
                failures.append((method, path, "expected refusal", response.status_code))
    use_session(client, None)
    speak(client, None)
    assert not failures, "\n".join(map(str, failures))
