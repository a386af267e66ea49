"""The one place that says which role may do what. Handlers declare a permission
(guards.requires); nothing else compares role names."""

from __future__ import annotations

ROLES = ("expert", "institution_focal_point", "partner_user", "donor_viewer", "staff",
         "mission_admin")
# Roles a mission admin may invite someone into (experts sign up by themselves).
INVITABLE_ROLES = ("institution_focal_point", "partner_user", "donor_viewer", "staff",
                   "mission_admin")

ACCOUNT_OWN = "account.own"          # see and change one's own account
AUDIT_VIEW = "audit.view"            # read the mission's audit trail
MEMBERS_MANAGE = "members.manage"    # invite people, change and revoke roles
PLATFORM_ADMIN = "platform.admin"    # HQ: create and suspend missions, appoint mission admins
SSO_CONFIGURE = "sso.configure"      # set up the mission's single sign-on providers
PROFILE_OWN = "profile.own"          # an expert: keep one's own profile, consent, data
EXPERTS_VIEW = "experts.view"        # staff: read the registry and profiles, export it
EXPERTS_VET = "experts.vet"          # staff: verify, reject, ask changes; notes; skills
INSTITUTIONS_MANAGE = "institutions.manage"  # staff: create, approve, suspend institutions
REQUESTS_MANAGE = "requests.manage"  # staff: every request of the mission, its life cycle
REQUESTS_VIEW = "requests.view"      # write and follow requests: a focal point their institution's,
#                                      staff (who also hold REQUESTS_MANAGE) every request
MATCHING_CONFIGURE = "matching.configure"  # mission admin: the weights of the matching criteria
IMPORTS_RUN = "imports.run"          # staff: import rosters of experts and requests from files
API_TOKENS_MANAGE = "api.tokens"     # mission admin: create and revoke the mission's API tokens
ASSIGNMENTS_VIEW = "assignments.view"  # follow the assignments one takes part in: an expert
#                                        their own, a focal point their institution's, staff all
ASSIGNMENTS_MANAGE = "assignments.manage"  # staff: move assignments, plan them, tick preparation
ASSIGNMENTS_CONFIGURE = "assignments.configure"  # mission admin: the preparation checklist
JOBS_MANAGE = "jobs.manage"          # mission admin: the mission's background jobs, retry failed ones
TRAININGS_VIEW = "trainings.view"    # see trainings: a partner user their agency's, staff all
TRAININGS_RECORD = "trainings.record"  # record and submit trainings: a partner user for their
#                                        agency, staff for any agency of the mission
TRAININGS_REVIEW = "trainings.review"  # staff: every training of the mission; approve, return
PARTNERS_MANAGE = "partners.manage"  # mission admin: the partner agencies and funding projects
SECTORS_MANAGE = "sectors.manage"    # mission admin: add, rename and deactivate the sectors
REPORTS_VIEW = "reports.view"        # staff: the mission's dashboards, supply against demand
REPORTS_PARTNER = "reports.partner"  # a partner user: their agency's training figures
REPORTS_PROJECT = "reports.project"  # the project report: staff every funding project's, a
#                                      donor viewer their own projects' with small cells hidden

_STAFF = frozenset({ACCOUNT_OWN, EXPERTS_VIEW, EXPERTS_VET, INSTITUTIONS_MANAGE,
                    REQUESTS_VIEW, REQUESTS_MANAGE, IMPORTS_RUN, ASSIGNMENTS_VIEW,
                    ASSIGNMENTS_MANAGE, TRAININGS_VIEW, TRAININGS_RECORD, TRAININGS_REVIEW,
                    REPORTS_VIEW, REPORTS_PROJECT})
PERMISSIONS: dict[str, frozenset[str]] = {
    "expert": frozenset({ACCOUNT_OWN, PROFILE_OWN, ASSIGNMENTS_VIEW}),
    "institution_focal_point": frozenset({ACCOUNT_OWN, REQUESTS_VIEW, ASSIGNMENTS_VIEW}),
    "partner_user": frozenset({ACCOUNT_OWN, TRAININGS_VIEW, TRAININGS_RECORD, REPORTS_PARTNER}),
    # A donor reads figures only: nothing that names a person (no registry, requests,
    # assignments or trainings pages).
    "donor_viewer": frozenset({ACCOUNT_OWN, REPORTS_PROJECT}),
    "staff": _STAFF,
    "mission_admin": _STAFF | {AUDIT_VIEW, MEMBERS_MANAGE, SSO_CONFIGURE, MATCHING_CONFIGURE,
                               API_TOKENS_MANAGE, JOBS_MANAGE, ASSIGNMENTS_CONFIGURE,
                               PARTNERS_MANAGE, SECTORS_MANAGE},
}
# HQ oversees every mission with a mission admin's rights, plus the platform pages.
PLATFORM_ADMIN_PERMISSIONS = PERMISSIONS["mission_admin"] | {PLATFORM_ADMIN}


def permissions_for(role: str | None, is_platform_admin: bool) -> frozenset[str]:
    if is_platform_admin:
        return PLATFORM_ADMIN_PERMISSIONS
    return PERMISSIONS.get(role or "", frozenset())
