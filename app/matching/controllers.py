"""Staff's matching workspace for one request: the ranked candidates with their
explanations, facet filters and search within the results (htmx swaps only the list), and
the shortlist with its actions (invite, remove, share with the institution, confirm)."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.assignment_requests.services import focal_points, get_request
from app.core.errors import Refusal
from app.core.kept import Kept
from app.core.roles import REQUESTS_MANAGE
from app.experts import labels as expert_labels
from app.experts.services import profile_number
from app.i18n import gettext as _
from app.matching import shortlist
from app.matching.scoring import CRITERIA
from app.matching.services import (
    CANDIDATE_POOL,
    Candidate,
    Matches,
    MatchFilters,
    find_candidates,
    shortlist_score,
)
from app.web.deps import CurrentActor, CurrentTenant, Db, Search
from app.web.flash import flash
from app.web.forms import text_form
from app.web.guards import requires
from app.web.links import absolute_url
from app.web.reference import country_name, language_label
from app.web.templating import is_htmx, page
from tenants.directory import mission_sectors

MANAGE = [requires(REQUESTS_MANAGE)]
# The workspace lists this many candidates first, and as many more at each "show more"
# (?limit=, up to the pool the engine hands over for ranking).
SHOWN_AT_ONCE = 20


def _filters(params) -> MatchFilters:
    return MatchFilters(sector=params.get("sector", "")[:64],
                        language=params.get("language", "")[:3],
                        country=params.get("country", "")[:2],
                        modality=params.get("modality", "")[:16],
                        q=params.get("q", "").strip()[:100])


def _shown(params) -> int:
    """How many ranked candidates to list (?limit=); anything else than a whole number
    from 1 to the pool is refused (400) rather than guessed."""
    raw = params.get("limit", "")
    if not raw:
        return SHOWN_AT_ONCE
    limit = int(raw) if raw.isascii() and raw.isdigit() else 0
    if not 1 <= limit <= CANDIDATE_POOL:
        raise Refusal(_("“%(value)s” is not a number of candidates to show: use a whole "
                        "number from 1 to %(most)s.") % {"value": raw[:20], "most": CANDIDATE_POOL},
                      status=400)
    return limit


def criterion_labels() -> dict[str, str]:
    return {"required_skills": _("Required skills"), "desired_skills": _("Desired skills"),
            "occupation_fit": _("Occupation fit"), "sector": _("Sector"), "languages": _("Languages"),
            "availability": _("Availability"), "experience": _("Experience"),
            "modality_location": _("Modality and location"),
            "evaluations": _("Past evaluations")}


def _workspace_url(tenant, request_id) -> str:
    return f"/{tenant.slug}/requests/{request_id}/matches"


def _list_query(params, shown: int) -> str:
    """The workspace's filters and length as a query string ("" for the default list):
    the reasons of a row are those of the list it was on."""
    kept = [(k, v) for k, v in params.items() if v and k != "limit"]
    if shown != SHOWN_AT_ONCE:
        kept.append(("limit", str(shown)))
    return f"?{urlencode(kept)}" if kept else ""


# The lists this process rendered lately, each by mission, request, the list's filters
# and length, and language: a row opened soon after shows its reasons from the very match
# that ranked the list, rather than running it again (at 100,000 experts the match is most
# of the workspace's time). Only a shortcut, so safe with several web processes: a miss
# (another process, a restart, an older list) runs the same match from PostgreSQL and the
# engine. Few and short-lived: each holds some 30 candidates' search documents.
_recent_lists: Kept[Matches] = Kept(seconds=300.0, most=16)


def _list_key(tenant, assignment, params, shown: int, locale: str) -> tuple:
    return tenant.id, assignment.id, _list_query(params, shown), locale


def _context(locale: str) -> dict:
    """What the workspace's rows and a candidate's reasons are rendered with."""
    return dict(criterion_labels=criterion_labels(), criteria=CRITERIA,
                modality_names=dict(expert_labels.modalities()),
                level_names=dict(expert_labels.language_levels()),
                language_label=lambda code: language_label(code, locale),
                country_name=lambda code: country_name(code, locale))


async def _workspace(request: Request, tenant, db, search, actor, assignment, errors=None,
                     status_code: int = 200) -> Response:
    locale = request.state.locale
    flt = _filters(request.query_params)
    shown = _shown(request.query_params)
    matches = await find_candidates(db, tenant, search, assignment, flt, locale, limit=shown)
    _recent_lists.put(_list_key(tenant, assignment, request.query_params, shown, locale),
                      matches)
    listed = await shortlist.entries(db, tenant, assignment)
    on_list = {entry.profile_id for entry, _profile in listed}
    sectors = {s.code: s.display_name(locale) for s in await mission_sectors(db, tenant)}
    base = _workspace_url(tenant, assignment.id)
    kept = [(k, v) for k, v in request.query_params.items() if v and k != "limit"]
    more = len(matches.candidates) == shown < min(matches.total, CANDIDATE_POOL)
    following = min(shown + SHOWN_AT_ONCE, CANDIDATE_POOL)
    return page(request, "matching/workspace.html", status_code=status_code,
                assignment=assignment, matches=matches, flt=flt, listed=listed, base=base,
                shown=shown, first_new=shown - SHOWN_AT_ONCE + 1,
                more_url=f"{base}?{urlencode([*kept, ('limit', following)])}" if more else "",
                more_count=min(following, matches.total) - shown,
                on_list=on_list, errors=errors or {}, sector_names=sectors,
                reasons_query=_list_query(request.query_params, shown), **_context(locale),
                filtered=bool(kept), status_names=shortlist_status_labels())


def shortlist_status_labels() -> dict[str, str]:
    return {"proposed": _("Proposed"), "interested": _("Interested (asked by the expert)"),
            "invited": _("Invited"), "accepted": _("Accepted"), "declined": _("Declined"),
            "selected": _("Selected"), "not_selected": _("Not selected")}


@get("/requests/{request_id:uuid}/matches", name="request_matches", guards=MANAGE)
async def request_matches(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                          search: Search, request_id: FromPath[uuid.UUID]) -> Response:
    assignment = await get_request(db, tenant, actor, request_id)
    return await _workspace(request, tenant, db, search, actor, assignment)


@get("/requests/{request_id:uuid}/matches/{profile_id:uuid}", name="candidate_reasons",
     guards=MANAGE)
async def candidate_reasons(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                            search: Search, request_id: FromPath[uuid.UUID],
                            profile_id: FromPath[uuid.UUID]) -> Response:
    """One candidate's reasons, as the workspace's list with the same filters and length
    (the query string of the row's link) scores them: htmx fetches them into the row when
    it is opened; without JavaScript they are a page of their own. The list's own match
    when this process rendered it lately (_recent_lists), else the same match run again: the
    occupation fit (relative to the request's best candidate) and the snippets are the
    list's either way."""
    assignment = await get_request(db, tenant, actor, request_id)
    locale = request.state.locale
    shown = _shown(request.query_params)
    key = _list_key(tenant, assignment, request.query_params, shown, locale)
    matches = _recent_lists.get(key) or await find_candidates(
        db, tenant, search, assignment, _filters(request.query_params), locale, limit=shown)
    ranked: dict[uuid.UUID, tuple[int | None, Candidate]] = {
        c.profile_id: (rank, c) for rank, c in enumerate(matches.candidates, 1)}
    ranked.update((c.profile_id, (None, c)) for c in matches.near_misses)
    if profile_id not in ranked:
        number = await profile_number(db, tenant, profile_id)
        if number is None:
            raise NotFoundException()
        raise Refusal(_("Expert #%(n)s is not among the candidates of this list now (their "
                        "profile or the request may have changed since it was shown): "
                        "reload the candidates.") % {"n": number})
    rank, candidate = ranked[profile_id]
    query = _list_query(request.query_params, shown)
    back = f"{_workspace_url(tenant, request_id)}{query}#{f'rank-{rank}' if rank else 'near-misses'}"
    return page(request, "matching/reasons_fragment.html" if is_htmx(request)
                else "matching/reasons.html", assignment=assignment, candidate=candidate,
                rank=rank, back=back, matches=matches, **_context(locale))


async def _refused(request: Request, tenant, db, search, actor, request_id,
                   exc: shortlist.ShortlistRefused) -> Response:
    """Nothing of the refused action is kept; the workspace says why."""
    await db.rollback()
    assignment = await get_request(db, tenant, actor, request_id)
    return await _workspace(request, tenant, db, search, actor, assignment,
                            {"shortlist": exc.message}, 400)


def _back(request: Request, tenant, request_id, anchor: str = "shortlist") -> str:
    """Back to the workspace with the filters the form was posted from."""
    referer = request.headers.get("referer", "")
    base = _workspace_url(tenant, request_id)
    query = referer.partition("?")[2] if referer.partition("?")[0].endswith(base) else ""
    return f"{base}{'?' + query if query else ''}#{anchor}"


@post("/requests/{request_id:uuid}/shortlist", name="shortlist_add", guards=MANAGE)
async def shortlist_add(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                        search: Search, request_id: FromPath[uuid.UUID]) -> Response:
    assignment = await get_request(db, tenant, actor, request_id)
    form = await text_form(request)
    try:
        profile_id = uuid.UUID(form.get("profile_id", ""))
    except ValueError:
        return await _workspace(request, tenant, db, search, actor, assignment,
                                {"shortlist": _("Choose an expert from the list.")}, 400)
    # The score and its reasons as they are now, kept with the entry.
    score, explanation = await shortlist_score(db, tenant, search, assignment, profile_id,
                                               request.state.locale)
    try:
        await shortlist.add(db, tenant, actor, assignment, profile_id,
                            form.get("note", ""), score, explanation)
    except shortlist.ShortlistRefused as exc:
        return await _refused(request, tenant, db, search, actor, request_id, exc)
    return flash(request, Redirect(_back(request, tenant, request_id), status_code=303),
                 "success", _("Added to the shortlist."))


@post("/requests/{request_id:uuid}/shortlist/{entry_id:uuid}/{action:str}",
      name="shortlist_action", guards=MANAGE)
async def shortlist_action(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                           search: Search, request_id: FromPath[uuid.UUID],
                           entry_id: FromPath[uuid.UUID], action: FromPath[str]) -> Response:
    if action not in ("invite", "remove", "confirm"):
        raise NotFoundException()
    assignment = await get_request(db, tenant, actor, request_id, lock=True)
    entry = await shortlist.get_entry(db, tenant, assignment, entry_id, lock=True)
    expert_link = absolute_url(request, f"/{tenant.slug}/me/invitations/{entry.id}")
    try:
        if action == "invite":
            await shortlist.invite(db, tenant, actor, assignment, entry, expert_link)
            message = _("Invitation sent to the expert.")
        elif action == "remove":
            await shortlist.remove(db, tenant, actor, assignment, entry)
            message = _("Removed from the shortlist.")
        else:
            form = await text_form(request)
            await shortlist.confirm(db, tenant, actor, assignment, entry, expert_link,
                                    form.get("override_reason", ""))
            message = _("Selection confirmed: the assignment is created.")
    except shortlist.ShortlistRefused as exc:
        return await _refused(request, tenant, db, search, actor, request_id, exc)
    return flash(request, Redirect(_back(request, tenant, request_id), status_code=303),
                 "success", message)


@post("/requests/{request_id:uuid}/shortlist/share", name="shortlist_share", guards=MANAGE)
async def shortlist_share(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                          search: Search, request_id: FromPath[uuid.UUID]) -> Response:
    assignment = await get_request(db, tenant, actor, request_id, lock=True)
    try:
        await shortlist.share(db, tenant, actor, assignment,
                              absolute_url(request, f"/{tenant.slug}/requests/{request_id}/shortlist"),
                              await focal_points(db, tenant, assignment.institution_id))
    except shortlist.ShortlistRefused as exc:
        return await _refused(request, tenant, db, search, actor, request_id, exc)
    return flash(request, Redirect(_back(request, tenant, request_id), status_code=303),
                 "success", _("The institution's focal points can now see the shortlist."))


MATCHING_ROUTES = [request_matches, candidate_reasons, shortlist_add, shortlist_action, shortlist_share]
