"""The shortlist as the people on it see it (staff's side is app.matching.controllers).

The expert, under /me: the invitations they got (never that staff merely proposed them),
each with the request's terms of reference and Accept / Decline, and the open requests
that fit their profile, where they can say they are interested.

The institution's focal points, once staff shared the list: the candidates, pseudonymous
unless the expert agreed to be shown to institutions or accepted this invitation, with
the score and its reasons, and "we would choose this expert". Who may see a request is
decided by assignment_requests.services.get_request; staff see the same page."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from litestar import Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.roles import PROFILE_OWN, REQUESTS_VIEW
from app.assignment_requests.documents import read_terms_document
from app.assignment_requests.models import AssignmentRequest, RequestSkill
from app.assignment_requests.services import (acting_as, get_request, languages_of, skills_of,
                                              terms_document)
from app.assignment_requests.states import INSTITUTION, MATCHABLE
from app.documents import download
from app.experts import labels as expert_labels
from app.experts.models import ExpertLanguage, ExpertProfile, ExpertSkill, Skill
from app.experts.services import active_consents, own_profile
from app.i18n import gettext as _
from app.institutions.models import HostInstitution
from app.matching import shortlist
from app.matching.controllers import criterion_labels
from app.matching.models import ShortlistEntry
from app.matching.scoring import CRITERIA
from app.search.outbox import REQUESTS
from app.storage import storage_for
from app.web.deps import CurrentActor, CurrentTenant, Db, Search
from app.web.flash import flash
from app.web.forms import text_form
from app.web.guards import requires
from app.web.reference import country_name, language_label
from app.web.templating import page
from search_index import Filter, SearchQuery, SearchUnavailable
from tenants.context import TenantContext
from tenants.services import list_sectors

log = logging.getLogger(__name__)
OWN, VIEW = [requires(PROFILE_OWN)], [requires(REQUESTS_VIEW)]
# What an expert sees of their entries: 'proposed' (staff's idea) and 'interested' (their
# own request, shown on the requests page) are not invitations.
SHOWN_TO_EXPERT = ("invited", "accepted", "declined", "selected", "not_selected")
# What the institution sees: everyone still in the running, and the one(s) selected.
SHOWN_TO_INSTITUTION = ("proposed", "interested", "invited", "accepted", "selected")
MATCHING_REQUESTS = 20


def expert_status_labels() -> dict[str, str]:
    """An entry's status in the expert's words."""
    return {"interested": _("You said you are interested"),
            "invited": _("Invited: the mission waits for your answer"),
            "accepted": _("You accepted"), "declined": _("You declined"),
            "selected": _("Selected"), "not_selected": _("Not selected")}


def institution_status_labels() -> dict[str, str]:
    """An entry's status as the institution reads it."""
    return {"proposed": _("Proposed by the mission"), "interested": _("Proposed by the mission"),
            "invited": _("Invited by the mission"), "accepted": _("Available: accepted"),
            "selected": _("Selected")}


def _sector_names(sectors, locale: str) -> dict[str, str]:
    return {s.code: s.display_name(locale) for s in sectors}


# --- the expert's invitations --------------------------------------------------------------

async def _own_entry(db: AsyncSession, tenant: TenantContext, actor: Actor,
                     entry_id: uuid.UUID, lock: bool = False
                     ) -> tuple[ShortlistEntry, AssignmentRequest, ExpertProfile]:
    """The signed-in expert's own invitation, else 404 (another expert's entry, one staff
    only proposed, another mission's). With lock, the request row and then the entry are
    held until commit, in the order staff's confirmation takes them."""
    profile = await own_profile(db, tenant, actor)
    if profile is None:
        raise NotFoundException()
    query = select(ShortlistEntry).where(ShortlistEntry.tenant_id == tenant.id,
                                         ShortlistEntry.id == entry_id,
                                         ShortlistEntry.profile_id == profile.id,
                                         ShortlistEntry.status.in_(SHOWN_TO_EXPERT))
    entry = await db.scalar(query)
    if entry is None:
        raise NotFoundException()
    request_query = select(AssignmentRequest).where(AssignmentRequest.tenant_id == tenant.id,
                                                    AssignmentRequest.id == entry.request_id)
    if lock:
        assignment = await db.scalar(request_query.with_for_update())
        entry = await db.scalar(query.with_for_update())
        if entry is None or assignment is None:
            raise NotFoundException()
        await db.refresh(assignment)
        await db.refresh(entry)
    else:
        assignment = await db.scalar(request_query)
    if assignment is None:
        raise NotFoundException()
    return entry, assignment, profile


@get("/me/invitations", name="expert_invitations", guards=OWN)
async def expert_invitations(request: Request, tenant: CurrentTenant, db: Db,
                             actor: CurrentActor) -> Response:
    profile = await own_profile(db, tenant, actor)
    rows = []
    if profile is not None:
        rows = list(await db.execute(
            select(ShortlistEntry, AssignmentRequest, HostInstitution)
            .join(AssignmentRequest, AssignmentRequest.id == ShortlistEntry.request_id)
            .join(HostInstitution, HostInstitution.id == AssignmentRequest.institution_id)
            .where(ShortlistEntry.tenant_id == tenant.id,
                   ShortlistEntry.profile_id == profile.id,
                   ShortlistEntry.status.in_(SHOWN_TO_EXPERT))
            .order_by(func.coalesce(ShortlistEntry.invited_at, ShortlistEntry.created_at).desc(),
                      AssignmentRequest.number.desc())))
    return page(request, "matching/expert_invitations.html", rows=rows,
                status_names=expert_status_labels())


async def _invitation_page(request: Request, tenant, db, entry, assignment, errors=None,
                           status_code: int = 200, form=None) -> Response:
    locale = request.state.locale
    required, desired = await skills_of(db, tenant, assignment)
    sectors = _sector_names(await list_sectors(db, tenant), locale)
    return page(request, "matching/expert_invitation.html", status_code=status_code,
                entry=entry, assignment=assignment,
                institution=await db.get(HostInstitution, assignment.institution_id),
                required=required, desired=desired,
                languages=await languages_of(db, tenant, assignment),
                document=await terms_document(db, tenant, assignment),
                sector_name=sectors.get(assignment.sector or "", ""),
                language_label=lambda code: language_label(code, locale),
                level_names=dict(expert_labels.language_levels()),
                modality_names=dict(expert_labels.modalities()),
                status_names=expert_status_labels(),
                can_accept=entry.status == "invited" and assignment.status in MATCHABLE,
                can_decline=entry.status in ("invited", "accepted"),
                errors=errors or {}, form=form or {})


@get("/me/invitations/{entry_id:uuid}", name="expert_invitation", guards=OWN)
async def expert_invitation(request: Request, tenant: CurrentTenant, db: Db,
                            actor: CurrentActor, entry_id: FromPath[uuid.UUID]) -> Response:
    entry, assignment, _profile = await _own_entry(db, tenant, actor, entry_id)
    return await _invitation_page(request, tenant, db, entry, assignment)


@post("/me/invitations/{entry_id:uuid}", name="respond_to_invitation", guards=OWN)
async def respond_to_invitation(request: Request, tenant: CurrentTenant, db: Db,
                                actor: CurrentActor, entry_id: FromPath[uuid.UUID]) -> Response:
    form = await text_form(request)
    action = form.get("action", "")
    entry, assignment, _profile = await _own_entry(db, tenant, actor, entry_id, lock=True)
    try:
        await shortlist.respond(db, tenant, actor, assignment, entry, action,
                                form.get("reason", ""))
    except shortlist.ShortlistRefused as exc:
        await db.rollback()
        entry, assignment, _profile = await _own_entry(db, tenant, actor, entry_id)
        return await _invitation_page(request, tenant, db, entry, assignment,
                                      {"reason": exc.message}, 400,
                                      {"reason": form.get("reason", "")})
    message = _("Thank you: the mission knows you accept.") if action == "accept" \
        else _("Thank you: the mission knows you decline.")
    return flash(request, Redirect(f"/{tenant.slug}/me/invitations/{entry_id}", status_code=303),
                 "success", message)


@get("/me/invitations/{entry_id:uuid}/terms", name="expert_invitation_terms", guards=OWN)
async def expert_invitation_terms(request: Request, tenant: CurrentTenant, db: Db,
                                  actor: CurrentActor, entry_id: FromPath[uuid.UUID]) -> Response:
    _entry, assignment, _profile = await _own_entry(db, tenant, actor, entry_id)
    found = await read_terms_document(db, tenant, assignment,
                                      storage_for(request.app.state.settings))
    if not found:
        raise NotFoundException()
    document, content = found
    return download(document.filename, document.content_type, content)


# --- open requests that fit the expert ------------------------------------------------------

@dataclass
class OpenRequest:
    request: AssignmentRequest
    institution: HostInstitution
    title_marked: str = ""        # the title with the matched words marked (HTML-escaped)
    skills: list[tuple[str, bool]] = field(default_factory=list)  # (name, the expert has it)
    entry_status: str | None = None  # the expert's place on its shortlist, if any


async def _own_skills(db: AsyncSession, tenant: TenantContext,
                      profile: ExpertProfile) -> list[Skill]:
    return list(await db.scalars(select(Skill)
                                 .join(ExpertSkill, ExpertSkill.skill_id == Skill.id)
                                 .where(ExpertSkill.tenant_id == tenant.id,
                                        ExpertSkill.profile_id == profile.id)
                                 .order_by(Skill.code)))


async def matching_requests(db: AsyncSession, tenant: TenantContext, search,
                            profile: ExpertProfile, sector_names: dict[str, str],
                            locale: str) -> tuple[list[OpenRequest], bool]:
    """Open requests fitting the profile, best first, and whether the engine answered.
    The engine ranks; PostgreSQL says what is still open now (the index may lag)."""
    own_skills = await _own_skills(db, tenant, profile)
    text = " ".join([*(s.display_name(locale) for s in own_skills),
                     *(sector_names.get(code, code) for code in profile.sectors or [])])
    found: list[tuple[uuid.UUID, dict[str, str]]] = []
    from_engine = True
    if text.strip():
        try:
            result = await search.search(REQUESTS, str(tenant.id), SearchQuery(
                text=text, matching="any",
                filters=(Filter("status", "in", sorted(MATCHABLE)),),
                limit=MATCHING_REQUESTS, highlight=("title", "skills")))
            found = [(uuid.UUID(hit.id), hit.highlights) for hit in result.hits]
        except SearchUnavailable as exc:
            log.warning("open requests from PostgreSQL, the search engine did not answer: %s",
                        exc)
            from_engine = False
    if not from_engine:
        in_sectors = await db.scalars(select(AssignmentRequest.id).where(
            AssignmentRequest.tenant_id == tenant.id,
            AssignmentRequest.status.in_(MATCHABLE),
            AssignmentRequest.sector.in_(list(profile.sectors or [])))
            .order_by(AssignmentRequest.opened_at.desc().nulls_last(),
                      AssignmentRequest.number.desc())
            .limit(MATCHING_REQUESTS))
        found = [(request_id, {}) for request_id in in_sectors]
    ids = [request_id for request_id, _marks in found]
    rows = {r.id: (r, i) for r, i in await db.execute(
        select(AssignmentRequest, HostInstitution)
        .join(HostInstitution, HostInstitution.id == AssignmentRequest.institution_id)
        .where(AssignmentRequest.tenant_id == tenant.id, AssignmentRequest.id.in_(ids),
               AssignmentRequest.status.in_(MATCHABLE)))}
    statuses = dict((await db.execute(select(ShortlistEntry.request_id, ShortlistEntry.status)
                                      .where(ShortlistEntry.tenant_id == tenant.id,
                                             ShortlistEntry.profile_id == profile.id,
                                             ShortlistEntry.request_id.in_(ids)))).all())
    asked: dict[uuid.UUID, list[tuple[str, bool]]] = {}
    mine = {s.id for s in own_skills}
    for request_id, skill in await db.execute(
            select(RequestSkill.request_id, Skill)
            .join(Skill, Skill.id == RequestSkill.skill_id)
            .where(RequestSkill.tenant_id == tenant.id, RequestSkill.request_id.in_(ids))
            .order_by(RequestSkill.required.desc(), Skill.code)):
        asked.setdefault(request_id, []).append((skill.display_name(locale), skill.id in mine))
    listed = []
    for request_id, marks in found:
        if request_id not in rows:
            continue
        status = statuses.get(request_id)
        listed.append(OpenRequest(
            *rows[request_id], title_marked=marks.get("title", ""),
            skills=asked.get(request_id, []),
            # Staff merely proposing them is not for the expert to see.
            entry_status=None if status == "proposed" else status))
    return listed, from_engine


async def _requests_page(request: Request, tenant, db, search, actor, errors=None,
                         status_code: int = 200) -> Response:
    locale = request.state.locale
    profile = await own_profile(db, tenant, actor)
    sector_names = _sector_names(await list_sectors(db, tenant), locale)
    found, from_engine = ([], True) if profile is None else await matching_requests(
        db, tenant, search, profile, sector_names, locale)
    return page(request, "matching/expert_requests.html", status_code=status_code,
                profile=profile, found=found, from_engine=from_engine,
                sector_names=sector_names, status_names=expert_status_labels(),
                modality_names=dict(expert_labels.modalities()),
                can_express_interest=profile is not None and profile.status == "verified",
                errors=errors or {})


@get("/me/requests", name="expert_requests", guards=OWN)
async def expert_requests(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                          search: Search) -> Response:
    return await _requests_page(request, tenant, db, search, actor)


@post("/me/requests/{request_id:uuid}/interest", name="express_interest", guards=OWN)
async def express_interest(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                           search: Search, request_id: FromPath[uuid.UUID]) -> Response:
    # Only a request open for matching in this mission exists here; the row stays locked
    # until commit, so two clicks at once add the expert once.
    assignment = await db.scalar(select(AssignmentRequest).where(
        AssignmentRequest.tenant_id == tenant.id, AssignmentRequest.id == request_id,
        AssignmentRequest.status.in_(MATCHABLE)).with_for_update())
    if assignment is None:
        raise NotFoundException()
    profile = await own_profile(db, tenant, actor)
    try:
        if profile is None:
            raise shortlist.ShortlistRefused(
                _("Your profile must be verified by the mission first."))
        await shortlist.express_interest(db, tenant, actor, assignment, profile)
    except shortlist.ShortlistRefused as exc:
        await db.rollback()
        return await _requests_page(request, tenant, db, search, actor,
                                    {"interest": exc.message}, 400)
    return flash(request, Redirect(f"/{tenant.slug}/me/requests#request-{request_id}",
                                   status_code=303),
                 "success", _("The mission knows you are interested in request #%(n)s.")
                 % {"n": assignment.number})


# --- the institution's view of the shortlist ------------------------------------------------

@dataclass
class Candidate:
    """One shortlisted expert as the institution sees them."""

    entry: ShortlistEntry
    number: int
    name: str | None          # None: pseudonymous
    sectors: list[str]
    years: int | None
    languages: list[tuple[str, str]]   # (language name, level label)
    country: str
    reasons: list[dict]       # the score's criteria that apply, in the reader's words


def _reasons(explanation: dict, labels: dict[str, str]) -> list[dict]:
    """The stored explanation's criteria (what scoring found when the expert was
    shortlisted), without the text snippets, which may quote the profile."""
    criteria = (explanation or {}).get("criteria") or {}
    reasons = []
    for name in CRITERIA:
        facts = criteria.get(name)
        if not isinstance(facts, dict) or facts.get("value") is None:
            continue
        reasons.append({"name": name, "label": labels.get(name, name),
                        "percent": round(float(facts["value"]) * 100),
                        "matched": list(facts.get("matched") or []),
                        "missing": list(facts.get("missing") or [])})
    return reasons


async def shortlist_for_institution(db: AsyncSession, tenant: TenantContext,
                                    assignment: AssignmentRequest,
                                    locale: str) -> list[Candidate]:
    sector_names = _sector_names(await list_sectors(db, tenant), locale)
    levels = dict(expert_labels.language_levels())
    labels = criterion_labels()
    listed = [(entry, profile) for entry, profile in await shortlist.entries(db, tenant, assignment)
              if entry.status in SHOWN_TO_INSTITUTION]
    spoken: dict[uuid.UUID, list[ExpertLanguage]] = {}
    for lang in await db.scalars(select(ExpertLanguage).where(
            ExpertLanguage.tenant_id == tenant.id,
            ExpertLanguage.profile_id.in_([p.id for _e, p in listed]))
            .order_by(ExpertLanguage.created_at)):
        spoken.setdefault(lang.profile_id, []).append(lang)
    candidates = []
    for entry, profile in listed:
        consents = await active_consents(db, tenant, profile.id)
        named = shortlist.expert_can_be_named(entry, "share_with_institutions" in consents)
        candidates.append(Candidate(
            entry=entry, number=profile.number,
            name=(profile.full_name or None) if named and not profile.erased_at else None,
            sectors=[sector_names.get(code, code) for code in profile.sectors or []],
            years=profile.years_experience,
            languages=[(language_label(lang.language, locale), levels.get(lang.level, lang.level))
                       for lang in spoken.get(profile.id, [])],
            country=country_name(profile.residence_country, locale),
            reasons=_reasons(entry.explanation, labels)))
    return candidates


async def _shortlist_page(request: Request, tenant, db, actor, assignment, errors=None,
                          status_code: int = 200) -> Response:
    shared = assignment.shortlist_shared_at is not None
    who = acting_as(actor, assignment)
    return page(request, "matching/institution_shortlist.html", status_code=status_code,
                assignment=assignment, shared=shared, who=who,
                institution=await db.get(HostInstitution, assignment.institution_id),
                candidates=await shortlist_for_institution(db, tenant, assignment,
                                                           request.state.locale)
                if shared else [],
                can_choose=who == INSTITUTION and assignment.status in MATCHABLE,
                status_names=institution_status_labels(), errors=errors or {})


@get("/requests/{request_id:uuid}/shortlist", name="institution_shortlist", guards=VIEW)
async def institution_shortlist(request: Request, tenant: CurrentTenant, db: Db,
                                actor: CurrentActor, request_id: FromPath[uuid.UUID]) -> Response:
    assignment = await get_request(db, tenant, actor, request_id)
    return await _shortlist_page(request, tenant, db, actor, assignment)


@post("/requests/{request_id:uuid}/selection/{entry_id:uuid}", name="institution_choice",
      guards=VIEW)
async def institution_choice(request: Request, tenant: CurrentTenant, db: Db,
                             actor: CurrentActor, request_id: FromPath[uuid.UUID],
                             entry_id: FromPath[uuid.UUID]) -> Response:
    form = await text_form(request)
    assignment = await get_request(db, tenant, actor, request_id, lock=True)
    if acting_as(actor, assignment) != INSTITUTION:
        raise PermissionDeniedException()  # staff see the list; the choice is the institution's
    entry = await shortlist.get_entry(db, tenant, assignment, entry_id, lock=True)
    chosen = form.get("chosen") == "1"
    try:
        await shortlist.mark_choice(db, tenant, actor, assignment, entry, chosen)
    except shortlist.ShortlistRefused as exc:
        await db.rollback()
        assignment = await get_request(db, tenant, actor, request_id)
        return await _shortlist_page(request, tenant, db, actor, assignment,
                                     {"choice": exc.message}, 400)
    return flash(request, Redirect(f"/{tenant.slug}/requests/{request_id}/shortlist"
                                   f"#entry-{entry_id}", status_code=303), "success",
                 _("Your choice is noted; the mission confirms the selection.") if chosen
                 else _("Your choice is withdrawn."))


PARTICIPANT_ROUTES = [expert_invitations, expert_invitation, respond_to_invitation,
                      expert_invitation_terms, expert_requests, express_interest,
                      institution_shortlist, institution_choice]
