"""The mission home's services: what waits for the person signed in, and what the health
check reports (can the database be reached, is its schema at the migration head this code
expects)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect

from app.accounts.donors import donor_projects
from app.accounts.models import Membership
from app.assignment_requests.models import AssignmentRequest
from app.assignment_requests.states import MATCHABLE
from app.assignments.models import Assignment, Evaluation, FinalReport
from app.core.actor import Actor
from app.core.clock import now, today_in
from app.core.roles import (
    MEMBERS_MANAGE,
    PROFILE_OWN,
    REPORTS_PROJECT,
    REPORTS_VIEW,
    REQUESTS_MANAGE,
    REQUESTS_VIEW,
    TRAININGS_RECORD,
    TRAININGS_REVIEW,
)
from app.db.migrate import current_revision
from app.experts.models import ExpertProfile
from app.experts.services import completeness, own_profile
from app.i18n import gettext as _
from app.i18n import ngettext
from app.institutions.models import HostInstitution
from app.jobs.services import failed_jobs
from app.matching.models import ShortlistEntry
from app.partners.models import FundingProject
from app.trainings import labels as training_labels
from app.trainings.models import Training
from tenants.context import TenantContext


@dataclass(frozen=True)
class DatabaseHealth:
    reachable: bool
    error: str = ""              # the exception's class when it was not reachable
    current: str | None = None   # the schema's migration revision

    def at(self, head: str | None) -> bool:
        return self.reachable and self.current == head


async def database_health(session_factory) -> DatabaseHealth:
    """Its own session, not the request's, so a failing database is reported, not raised."""
    try:
        async with session_factory() as session:
            await session.execute(text("SELECT 1"))
            current = await current_revision(session)
    except Exception as exc:  # noqa: BLE001 - the point is to report any database failure
        return DatabaseHealth(reachable=False, error=exc.__class__.__name__)
    return DatabaseHealth(reachable=True, current=current)


# --- what waits for the person signed in: one block per role they hold ---------------------

# An invitation nobody answered for this long needs a reminder from staff.
UNANSWERED_DAYS = 7
# Assignments starting this soon need their preparation finished.
STARTING_SOON_DAYS = 14
# The order a partner user reads their activities in: what came back to them first.
TRAINING_ORDER = ("returned", "planned", "held", "submitted", "approved")


@dataclass(frozen=True)
class WorkItem:
    key: str     # stable name (tests, anchors)
    label: str   # in the reader's language
    count: int
    link: str    # the page that resolves it


@dataclass
class WorkBlock:
    key: str
    title: str
    items: list[WorkItem]
    status: str = ""              # the expert's profile state, shown beside the block
    percent: int | None = None    # how complete the expert's profile is
    missing: list[str] = field(default_factory=list)


def _count(model, *where) -> ScalarSelect:
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


async def _counts(db: AsyncSession, **columns: ColumnElement) -> dict[str, int]:
    """Several counts in one round trip (one grouped query per block)."""
    row = (await db.execute(select(*(c.label(name) for name, c in columns.items())))).one()
    return {name: int(value or 0) for name, value in row._mapping.items()}


def _items(tenant: TenantContext, counts: dict[str, int],
           rows: list[tuple[str, str, str]]) -> list[WorkItem]:
    """(key, label, path in the mission) -> the block's items with their counts."""
    return [WorkItem(key, label, counts[key], f"/{tenant.slug}{path}")
            for key, label, path in rows]


async def _expert_block(db: AsyncSession, tenant: TenantContext, actor: Actor) -> WorkBlock:
    base = f"/{tenant.slug}"
    profile = await own_profile(db, tenant, actor)
    if profile is None:
        return WorkBlock("expert", _("Your expert profile"), [WorkItem(
            "profile", _("Start your profile"), 1, f"{base}/me/profile/personal")],
            missing=[])
    counts = await _counts(
        db,
        invitations=_count(ShortlistEntry, ShortlistEntry.tenant_id == tenant.id,
                           ShortlistEntry.profile_id == profile.id,
                           ShortlistEntry.status == "invited"),
        requests=_count(AssignmentRequest, AssignmentRequest.tenant_id == tenant.id,
                        AssignmentRequest.status.in_(sorted(MATCHABLE)),
                        AssignmentRequest.sector.in_(list(profile.sectors or []))))
    progress = await completeness(db, tenant, profile)
    items = []
    if progress.missing:
        items.append(WorkItem("missing", _("Parts of your profile still to complete"),
                              len(progress.missing), f"{base}/me"))
    items += [
        WorkItem("invitations", _("Invitations waiting for your answer"),
                 counts["invitations"], f"{base}/me/invitations"),
        WorkItem("requests", _("Open requests in your sectors"), counts["requests"],
                 f"{base}/me/requests")]
    return WorkBlock("expert", _("Your expert profile"), items, status=profile.status,
                     percent=progress.percent, missing=progress.missing)


async def _focal_point_block(db: AsyncSession, tenant: TenantContext,
                             actor: Actor) -> WorkBlock:
    ours = (AssignmentRequest.tenant_id == tenant.id,
            AssignmentRequest.institution_id == actor.host_institution_id)
    chosen = select(ShortlistEntry.id).where(
        ShortlistEntry.tenant_id == tenant.id,
        ShortlistEntry.request_id == AssignmentRequest.id,
        ShortlistEntry.chosen_by_institution.is_(True))
    counts = await _counts(
        db,
        drafts=_count(AssignmentRequest, *ours, AssignmentRequest.status == "draft",
                      AssignmentRequest.status_reason == ""),
        sent_back=_count(AssignmentRequest, *ours, AssignmentRequest.status == "draft",
                         AssignmentRequest.status_reason != ""),
        shortlists=_count(AssignmentRequest, *ours, AssignmentRequest.status == "shortlisting",
                          AssignmentRequest.shortlist_shared_at.is_not(None), ~chosen.exists()),
        on_assignment=select(func.count()).select_from(Assignment).join(
            AssignmentRequest, AssignmentRequest.id == Assignment.request_id).where(
            *ours, Assignment.tenant_id == tenant.id, Assignment.status == "in_progress")
        .scalar_subquery())
    return WorkBlock("focal_point", _("Your institution's requests"), _items(tenant, counts, [
        ("sent_back", _("Requests sent back for changes"), "/institution"),
        ("drafts", _("Drafts to finish and submit"), "/institution"),
        ("shortlists", _("Shortlists waiting for your choice"), "/institution"),
        ("on_assignment", _("Experts on assignment with you"),
         "/assignments?status=in_progress")]))


async def _officer_block(db: AsyncSession, tenant: TenantContext) -> WorkBlock:
    moment = now()
    soon = today_in(tenant.time_zone) + timedelta(days=STARTING_SOON_DAYS)
    shortlisted = select(ShortlistEntry.id).where(
        ShortlistEntry.tenant_id == tenant.id, ShortlistEntry.request_id == AssignmentRequest.id)
    counts = await _counts(
        db,
        to_vet=_count(ExpertProfile, ExpertProfile.tenant_id == tenant.id,
                      ExpertProfile.status == "submitted"),
        to_open=_count(AssignmentRequest, AssignmentRequest.tenant_id == tenant.id,
                       AssignmentRequest.status == "submitted"),
        no_shortlist=_count(AssignmentRequest, AssignmentRequest.tenant_id == tenant.id,
                            AssignmentRequest.status == "open", ~shortlisted.exists()),
        unanswered=_count(ShortlistEntry, ShortlistEntry.tenant_id == tenant.id,
                          ShortlistEntry.status == "invited",
                          ShortlistEntry.invited_at < moment - timedelta(days=UNANSWERED_DAYS)),
        starting=_count(Assignment, Assignment.tenant_id == tenant.id,
                        Assignment.status.in_(("planned", "contracted")),
                        Assignment.planned_start <= soon),
        reports=_count(FinalReport, FinalReport.tenant_id == tenant.id,
                       FinalReport.status == "submitted")
        + _count(Evaluation, Evaluation.tenant_id == tenant.id,
                 Evaluation.status == "submitted"))
    return WorkBlock("officer", _("Programme work"), _items(tenant, counts, [
        ("to_vet", _("Expert profiles to vet"), "/experts?status=submitted"),
        ("to_open", _("Requests to review and open"), "/requests?status=submitted"),
        ("no_shortlist", _("Open requests without a shortlist"), "/requests?status=open"),
        ("unanswered", ngettext("Invitations without an answer for %(days)s day",
                                "Invitations without an answer for %(days)s days",
                                UNANSWERED_DAYS) % {"days": UNANSWERED_DAYS},
         "/requests?status=shortlisting"),
        ("starting", ngettext("Assignments starting within %(days)s day",
                              "Assignments starting within %(days)s days",
                              STARTING_SOON_DAYS) % {"days": STARTING_SOON_DAYS},
         f"/assignments?to={soon.isoformat()}"),
        ("reports", _("Final reports and evaluations to review"), "/assignments")]))


async def _partner_block(db: AsyncSession, tenant: TenantContext, actor: Actor) -> WorkBlock:
    rows = dict((await db.execute(
        select(Training.status, func.count()).where(
            Training.tenant_id == tenant.id,
            Training.partner_agency_id == actor.partner_agency_id)
        .group_by(Training.status))).all())
    names = dict(training_labels.statuses())
    return WorkBlock("partner", _("Your agency's activities"), [
        WorkItem(status, names[status], rows.get(status, 0),
                 f"/{tenant.slug}/trainings?status={status}") for status in TRAINING_ORDER])


async def _admin_block(db: AsyncSession, tenant: TenantContext) -> WorkBlock:
    counts = await _counts(
        db,
        applications=_count(HostInstitution, HostInstitution.tenant_id == tenant.id,
                            HostInstitution.status == "pending"),
        members=_count(Membership, Membership.tenant_id == tenant.id,
                       Membership.status == "active"),
        failed=failed_jobs(tenant))
    return WorkBlock("admin", _("Mission administration"), _items(tenant, counts, [
        ("applications", _("Host institution applications to decide"),
         "/institutions?status=pending"),
        ("failed", _("Failed background jobs"), "/admin/jobs"),
        ("members", _("People with a role in the mission"), "/admin/members")]))


async def work_waiting(db: AsyncSession, tenant: TenantContext, actor: Actor) -> list[WorkBlock]:
    """What needs the person now, one block per part of their role, each item counted and
    linked to the page that resolves it. Nothing for a visitor."""
    blocks = []
    if actor.can(PROFILE_OWN):
        blocks.append(await _expert_block(db, tenant, actor))
    if actor.can(REQUESTS_VIEW) and not actor.can(REQUESTS_MANAGE) \
            and actor.host_institution_id is not None:
        blocks.append(await _focal_point_block(db, tenant, actor))
    if actor.can(TRAININGS_RECORD) and not actor.can(TRAININGS_REVIEW) \
            and actor.partner_agency_id is not None:
        blocks.append(await _partner_block(db, tenant, actor))
    if actor.can(REQUESTS_MANAGE):
        blocks.append(await _officer_block(db, tenant))
    if actor.can(MEMBERS_MANAGE):
        blocks.append(await _admin_block(db, tenant))
    return blocks


async def funded_projects(db: AsyncSession, tenant: TenantContext,
                          actor: Actor) -> list[FundingProject]:
    """A donor viewer's funding projects, each leading to its report (the only pages they
    read); nobody else's home lists them."""
    if not actor.can(REPORTS_PROJECT) or actor.can(REPORTS_VIEW):
        return []
    return await donor_projects(db, tenant, actor.membership_id)
