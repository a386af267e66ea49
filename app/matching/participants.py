"""What the people on a shortlist may see and do (staff's side is app.matching.services).

The expert sees the invitations they got (never that staff merely proposed them), each
with the request's terms of reference, and the open requests that fit their profile,
where they can say they are interested. The institution's focal points see the shortlist
once staff shared it: the candidates, pseudonymous unless the expert agreed to be shown to
institutions or accepted this invitation, with the score and its reasons, and can say
whom they would choose. Who may see an assignment request is decided by
assignment_requests.services.get_request; staff see the institution's page too."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assignment_requests.documents import read_terms_document
from app.assignment_requests.models import (
    AssignmentRequest,
    RequestDocument,
    RequestLanguage,
    RequestSkill,
)
from app.assignment_requests.services import (
    acting_as,
    get_request,
    institution_of,
    languages_of,
    skills_of,
    terms_document,
)
from app.assignment_requests.states import INSTITUTION, MATCHABLE
from app.core.actor import Actor
from app.experts import labels as expert_labels
from app.experts.models import ExpertLanguage, ExpertProfile, ExpertSkill, Skill
from app.experts.services import active_consents, own_profile
from app.i18n import gettext as _
from app.institutions.models import HostInstitution
from app.matching import shortlist
from app.matching.models import ShortlistEntry
from app.matching.scoring import CRITERIA
from app.search.outbox import REQUESTS
from app.web.reference import country_name, language_label
from search_index import Filter, SearchQuery, SearchUnavailable
from tenants.context import TenantContext
from tenants.directory import mission_sectors

log = logging.getLogger(__name__)
# What an expert sees of their entries: 'proposed' (staff's idea) and 'interested' (their
# own request, shown on the requests page) are not invitations.
SHOWN_TO_EXPERT = ("invited", "accepted", "declined", "selected", "not_selected")
# What the institution sees: everyone still in the running, and the one(s) selected.
SHOWN_TO_INSTITUTION = ("proposed", "interested", "invited", "accepted", "selected")
MATCHING_REQUESTS = 20


async def _sector_names(db: AsyncSession, tenant: TenantContext, locale: str) -> dict[str, str]:
    return {s.code: s.display_name(locale) for s in await mission_sectors(db, tenant)}


# --- the expert's invitations --------------------------------------------------------------

async def own_invitation(db: AsyncSession, tenant: TenantContext, actor: Actor,
                         entry_id: uuid.UUID, lock: bool = False
                         ) -> tuple[ShortlistEntry, AssignmentRequest]:
    """The signed-in expert's own invitation and its assignment request, else 404 (another
    expert's entry, one staff only proposed, another mission's). With lock, the request row
    and then the entry are held until commit, in the order staff's confirmation takes them."""
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
        assignment_request = await db.scalar(request_query.with_for_update())
        entry = await db.scalar(query.with_for_update())
        if entry is None or assignment_request is None:
            raise NotFoundException()
        await db.refresh(assignment_request)
        await db.refresh(entry)
    else:
        assignment_request = await db.scalar(request_query)
    if assignment_request is None:
        raise NotFoundException()
    return entry, assignment_request


async def own_invitations(db: AsyncSession, tenant: TenantContext, actor: Actor
                          ) -> list[tuple[ShortlistEntry, AssignmentRequest, HostInstitution]]:
    """The expert's invitations, latest first (none without a profile)."""
    profile = await own_profile(db, tenant, actor)
    if profile is None:
        return []
    return list((await db.execute(
        select(ShortlistEntry, AssignmentRequest, HostInstitution)
        .join(AssignmentRequest, AssignmentRequest.id == ShortlistEntry.request_id)
        .join(HostInstitution, HostInstitution.id == AssignmentRequest.institution_id)
        .where(ShortlistEntry.tenant_id == tenant.id,
               ShortlistEntry.profile_id == profile.id,
               ShortlistEntry.status.in_(SHOWN_TO_EXPERT))
        .order_by(func.coalesce(ShortlistEntry.invited_at, ShortlistEntry.created_at).desc(),
                  AssignmentRequest.number.desc()))).all())


@dataclass
class ShortlistInvitation:
    """One invitation as the expert reads it: the assignment request's terms and what they
    may answer now."""

    entry: ShortlistEntry
    assignment_request: AssignmentRequest
    institution: HostInstitution
    required: list[Skill]
    desired: list[Skill]
    languages: list[RequestLanguage]
    document: RequestDocument | None   # the terms of reference file, if attached
    sector_name: str
    can_accept: bool
    can_decline: bool


async def invitation_for_expert(db: AsyncSession, tenant: TenantContext, actor: Actor,
                                entry_id: uuid.UUID, locale: str) -> ShortlistInvitation:
    entry, assignment_request = await own_invitation(db, tenant, actor, entry_id)
    required, desired = await skills_of(db, tenant, assignment_request)
    sectors = await _sector_names(db, tenant, locale)
    return ShortlistInvitation(
        entry=entry, assignment_request=assignment_request,
        institution=await institution_of(db, tenant, assignment_request),
        required=required, desired=desired,
        languages=await languages_of(db, tenant, assignment_request),
        document=await terms_document(db, tenant, assignment_request),
        sector_name=sectors.get(assignment_request.sector or "", ""),
        can_accept=entry.status == "invited" and assignment_request.status in MATCHABLE,
        can_decline=entry.status in ("invited", "accepted"))


async def respond_to_invitation(db: AsyncSession, tenant: TenantContext, actor: Actor,
                                entry_id: uuid.UUID, action: str, reason: str) -> None:
    """Accept or decline (ShortlistRefused says why not, e.g. a decline without a reason)."""
    entry, assignment_request = await own_invitation(db, tenant, actor, entry_id, lock=True)
    await shortlist.respond(db, tenant, actor, assignment_request, entry, action, reason)


async def invitation_terms(db: AsyncSession, tenant: TenantContext, actor: Actor,
                           entry_id: uuid.UUID, storage):
    """The invited request's terms of reference file and its content, else 404."""
    _entry, assignment_request = await own_invitation(db, tenant, actor, entry_id)
    found = await read_terms_document(db, tenant, assignment_request, storage)
    if not found:
        raise NotFoundException()
    return found


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


@dataclass
class OpenRequests:
    """The expert's page of open requests."""

    profile: ExpertProfile | None
    found: list[OpenRequest]
    from_engine: bool               # False: the engine did not answer, found by sector
    sector_names: dict[str, str]
    can_express_interest: bool


async def open_requests_for_expert(db: AsyncSession, tenant: TenantContext, actor: Actor,
                                   search, locale: str) -> OpenRequests:
    profile = await own_profile(db, tenant, actor)
    sector_names = await _sector_names(db, tenant, locale)
    found, from_engine = ([], True) if profile is None else await matching_requests(
        db, tenant, search, profile, sector_names, locale)
    return OpenRequests(profile=profile, found=found, from_engine=from_engine,
                        sector_names=sector_names,
                        can_express_interest=profile is not None and profile.status == "verified")


async def express_interest(db: AsyncSession, tenant: TenantContext, actor: Actor,
                           request_id: uuid.UUID) -> AssignmentRequest:
    """Put the expert on the request's shortlist as interested; ShortlistRefused when their
    profile is not verified (or they are already on it in another way)."""
    # Only a request open for matching in this mission exists here; the row stays locked
    # until commit, so two clicks at once add the expert once.
    assignment_request = await db.scalar(select(AssignmentRequest).where(
        AssignmentRequest.tenant_id == tenant.id, AssignmentRequest.id == request_id,
        AssignmentRequest.status.in_(MATCHABLE)).with_for_update())
    if assignment_request is None:
        raise NotFoundException()
    profile = await own_profile(db, tenant, actor)
    if profile is None:
        raise shortlist.ShortlistRefused(_("Your profile must be verified by the mission first."))
    await shortlist.express_interest(db, tenant, actor, assignment_request, profile)
    return assignment_request


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
        # each skill asked for and how strongly the expert holds it (explanations kept
        # before skills were graded list them as matched and missing)
        skills = [(found["skill"], round(float(found["strength"]) * 100))
                  for found in facts.get("skills") or []]
        skills += [(skill, 100) for skill in facts.get("matched") or []]
        skills += [(skill, 0) for skill in facts.get("missing") or []]
        reasons.append({"name": name, "label": labels.get(name, name),
                        "percent": round(float(facts["value"]) * 100), "skills": skills})
    return reasons


async def shortlist_for_institution(db: AsyncSession, tenant: TenantContext,
                                    assignment_request: AssignmentRequest, locale: str,
                                    criterion_labels: dict[str, str]) -> list[Candidate]:
    sector_names = await _sector_names(db, tenant, locale)
    levels = dict(expert_labels.language_levels())
    listed = [(entry, profile)
              for entry, profile in await shortlist.entries(db, tenant, assignment_request)
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
            reasons=_reasons(entry.explanation, criterion_labels)))
    return candidates


@dataclass
class InstitutionShortlist:
    assignment_request: AssignmentRequest
    institution: HostInstitution
    who: str | None                 # 'institution' or 'staff' (assignment_requests.states)
    shared: bool                    # staff shared it; before that, no candidate is shown
    candidates: list[Candidate]
    can_choose: bool


async def institution_shortlist(db: AsyncSession, tenant: TenantContext, actor: Actor,
                                request_id: uuid.UUID, locale: str,
                                criterion_labels: dict[str, str]) -> InstitutionShortlist:
    assignment_request = await get_request(db, tenant, actor, request_id)
    shared = assignment_request.shortlist_shared_at is not None
    who = acting_as(actor, assignment_request)
    return InstitutionShortlist(
        assignment_request=assignment_request,
        institution=await institution_of(db, tenant, assignment_request), who=who,
        shared=shared,
        candidates=await shortlist_for_institution(db, tenant, assignment_request, locale,
                                                   criterion_labels) if shared else [],
        can_choose=who == INSTITUTION and assignment_request.status in MATCHABLE)


async def choose_candidate(db: AsyncSession, tenant: TenantContext, actor: Actor,
                           request_id: uuid.UUID, entry_id: uuid.UUID, chosen: bool) -> None:
    """The institution says it would choose (or no longer) this expert; ShortlistRefused
    when the request or the entry no longer allows it."""
    assignment_request = await get_request(db, tenant, actor, request_id, lock=True)
    if acting_as(actor, assignment_request) != INSTITUTION:
        raise PermissionDeniedException()  # staff see the list; the choice is the institution's
    entry = await shortlist.get_entry(db, tenant, assignment_request, entry_id, lock=True)
    await shortlist.mark_choice(db, tenant, actor, assignment_request, entry, chosen)
