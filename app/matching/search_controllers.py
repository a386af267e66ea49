"""Staff's free search of the registry through the search engine (typos, accents, every
word of a profile, facets with counts, highlighted snippets), their saved searches, and the
mission admin's matching weights. The rules are in app/matching/registry_search.py and
app/matching/services.py.

The search page is one GET form: it works without JavaScript, and with htmx the search box
searches as one types (only the page's results block comes back; its facets and "save this
search" blocks follow out of band). When the engine does not answer, the page says so and
points to the PostgreSQL registry (/<mission>/experts), which always works."""

from __future__ import annotations

import logging
import uuid

from litestar import Request, get, post
from litestar.datastructures import MultiDict
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.core.errors import FormErrors
from app.core.roles import EXPERTS_VIEW, MATCHING_CONFIGURE
from app.experts import labels as expert_labels
from app.i18n import gettext as _
from app.matching import registry_search
from app.matching.controllers import criterion_labels
from app.matching.registry_search import (
    FACETS,
    MAX_OFFSET,
    MAX_SAVED_NAME,
    MAX_SAVED_PER_USER,
    PAGE_SIZE,
    choices_for,
    parse_search,
    registry_link,
    rows_of,
    run_search,
    saved_searches,
)
from app.matching.scoring import CRITERIA, DEFAULT_WEIGHTS, MAX_WEIGHT, NearMissMargins
from app.matching.services import matching_settings, set_mission_weights, weights_are_customised
from app.web.deps import CurrentActor, CurrentTenant, Db, FormData, Search
from app.web.flash import flash
from app.web.forms import FieldErrors, text_form
from app.web.guards import requires
from app.web.reference import country_name, language_label
from app.web.templating import is_htmx, page
from search_index import SearchResult, SearchUnavailable

log = logging.getLogger(__name__)

VIEW = [requires(EXPERTS_VIEW)]
CONFIGURE = [requires(MATCHING_CONFIGURE)]


async def _search_page(request: Request, tenant, db, search, actor, params: MultiDict,
                       save_errors: dict | None = None, save_name: str = "",
                       status_code: int = 200) -> Response:
    locale = request.state.locale
    choices = await choices_for(db, tenant, locale)
    form = parse_search(params, choices)
    result, unavailable = SearchResult(hits=[], total=0), False
    if form.errors:
        status_code = 400
    else:
        try:
            result = await run_search(search, tenant, form)
        except SearchUnavailable as exc:
            log.warning("registry search: the search engine did not answer: %s", exc)
            unavailable = True
    facets = {}
    for name in FACETS:
        counts = {value: count for value, count in (result.facets.get(name) or {}).items()
                  if value in choices.allowed(name)}
        for value in form.chosen.get(name, []):
            counts.setdefault(value, 0)
        facets[name] = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    query = form.query_string()
    context = dict(
        form=form, errors=form.errors, result=result, rows=rows_of(result),
        unavailable=unavailable, facets=facets, facet_params=FACETS, query=query,
        page_size=PAGE_SIZE, max_offset=MAX_OFFSET,
        base=f"/{tenant.slug}/search", registry_url=registry_link(tenant, form),
        sector_names=choices.sectors, modality_names=dict(expert_labels.modalities()),
        language_label=lambda code: language_label(code, locale),
        country_name=lambda code: country_name(code, locale),
        # A keystroke swaps the results, the facets and the save form, never the list of
        # saved searches: not read then (a query on every keystroke).
        saved=[] if _keystroke(request) else await saved_searches(db, tenant, actor),
        save_errors=save_errors or {},
        save_name=save_name, max_saved=MAX_SAVED_PER_USER, max_saved_name=MAX_SAVED_NAME)
    return page(request, "matching/search.html", status_code=status_code,
                with_blocks=("search_facets", "save_search"), **context)


def _keystroke(request: Request) -> bool:
    """htmx asking for the results block alone (typing, paging, a facet changed)."""
    return is_htmx(request) and request.headers.get("hx-target") == "search-results"


@get("/search", name="expert_search", guards=VIEW)
async def expert_search(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                        search: Search) -> Response:
    return await _search_page(request, tenant, db, search, actor, request.query_params)


# --- saved searches -------------------------------------------------------------------------

@post("/search/saved", name="save_search", guards=VIEW)
async def save_search(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                      search: Search) -> Response:
    posted = await text_form(request)
    name, raw_query = posted.get("name") or "", posted.get("query") or ""
    try:
        query = await registry_search.save_search(db, tenant, actor, name, raw_query,
                                                  request.state.locale)
    except FormErrors as exc:
        return await _search_page(request, tenant, db, search, actor,
                                  registry_search.saved_search_params(raw_query), exc.errors,
                                  " ".join(name.split()), status_code=400)
    target = f"/{tenant.slug}/search" + (f"?{query}" if query else "")
    return flash(request, Redirect(target, status_code=303), "success",
                 _("Search saved as “%(name)s”.") % {"name": " ".join(name.split())})


@post("/search/saved/{saved_id:uuid}/delete", name="delete_saved_search", guards=VIEW)
async def delete_saved_search(request: Request, tenant: CurrentTenant, db: Db,
                              actor: CurrentActor, saved_id: FromPath[uuid.UUID]) -> Response:
    await registry_search.delete_saved_search(db, tenant, actor, saved_id)
    return flash(request, Redirect(f"/{tenant.slug}/search", status_code=303), "success",
                 _("Saved search deleted."))


# --- matching weights -----------------------------------------------------------------------

async def _weights_page(request: Request, tenant, db, values: dict[str, str] | None = None,
                        errors: dict | None = None, status_code: int = 200) -> Response:
    current, margins = await matching_settings(db, tenant)
    return page(request, "matching/weights.html", status_code=status_code,
                criteria=CRITERIA, labels=criterion_labels(), defaults=DEFAULT_WEIGHTS,
                values=values or {**{name: str(current[name]) for name in CRITERIA},
                                  **{f"near_{k}": str(v) for k, v in margins.as_dict().items()}},
                margins=margin_fields(),
                customised=await weights_are_customised(db, tenant), max_weight=MAX_WEIGHT,
                errors=errors or {})


def margin_fields() -> list[tuple[str, str, str, int, int]]:
    """The near-miss margins on the form: (field, label, hint, default, maximum)."""
    default, limits = NearMissMargins(), NearMissMargins.LIMITS
    return [("near_years", _("Years of experience short of the minimum"),
             _("An expert with this many years fewer than the request asks for is a near "
               "miss."), default.years, limits["years"]),
            ("near_levels", _("Language levels short of the minimum"),
             _("An expert this many levels below a required language's level is a near "
               "miss."), default.levels, limits["levels"]),
            ("near_days", _("Days between a free period and the work window"),
             _("An expert free only this many days before or after the work window is a "
               "near miss."), default.days, limits["days"])]


@get("/admin/matching", name="matching_weights", guards=CONFIGURE)
async def matching_weights(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    return await _weights_page(request, tenant, db)


@post("/admin/matching", name="save_matching_weights", guards=CONFIGURE)
async def save_matching_weights(request: Request, tenant: CurrentTenant, db: Db,
                                actor: CurrentActor, data: FormData) -> Response:
    restore = data.get("action") == "restore"
    names = [*CRITERIA, *(f"near_{name}" for name in NearMissMargins.LIMITS)]
    values = {name: (data.get(name) or "").strip() for name in names}
    errors = FieldErrors()
    checked = None if restore else {
        name: errors.integer(name, values[name], 0, MAX_WEIGHT, required=True)
        for name in CRITERIA}
    margins = None if restore else {
        name: errors.integer(f"near_{name}", values[f"near_{name}"], 0, limit, required=True)
        for name, limit in NearMissMargins.LIMITS.items()}
    try:
        if errors:
            raise FormErrors(errors)
        # without errors every value is a number (None comes with an error)
        weights = None if checked is None else {
            name: weight for name, weight in checked.items() if weight is not None}
        changed = await set_mission_weights(
            db, tenant, actor, weights,
            None if margins is None else NearMissMargins(**{
                name: value for name, value in margins.items() if value is not None}))
    except FormErrors as exc:
        return await _weights_page(request, tenant, db, values, exc.errors, status_code=400)
    message = (_("The default weights are back.") if restore
               else _("Matching weights saved.") if changed else _("Nothing to change."))
    return flash(request, Redirect(f"/{tenant.slug}/admin/matching", status_code=303),
                 "success", message)


SEARCH_ROUTES = [expert_search, save_search, delete_saved_search, matching_weights,
                 save_matching_weights]
