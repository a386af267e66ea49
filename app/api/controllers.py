"""The read-only JSON API for integrators: /api/v1/<mission>/experts, /requests, a
request's /matches and the partner agencies' /activities, with an API token of that mission (Authorization: Bearer <token>).

The mission comes from the URL (RequestContextMiddleware, as for the pages; an unknown
mission is 404) and the caller from the token, in a guard that runs before anything else
of the handler: no token, a malformed, unknown or revoked one is 401; a token of another
mission is 404. Session cookies mean nothing here. The guard also writes the call's audit
event, so calls refused for bad parameters (400) or unknown ids (404) are in the trail too.
Every error is a JSON body (app.web.errors), never a page.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from litestar import MediaType, Request, Response, Router, get
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.exceptions import (
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.params import FromPath, Parameter, QueryParameter

from app.api import matches, schemas, services
from app.api.tokens import ApiAuthFailed, authenticate_call
from app.reports.services import ReportFilter
from app.web.context import MISSION_PARAM, client_ip, provide_tenant
from app.web.deps import CurrentTenant, Db, Search

API_PREFIX = "/api/v1"
SCHEMA_PATH = f"{API_PREFIX}/schema"
SECURITY_SCHEME = "apiToken"
MAX_OFFSET = 2_147_483_647
AUDITED_PARAM_LENGTH = 200  # the audit trail keeps this much of each parameter

# Which object a path names, for the audit event.
OBJECT_TYPES = {"profile_id": "expert_profile", "request_id": "assignment_request",
                "activity_id": "training", "assignment_id": "assignment"}


def _clean(value: str) -> str:
    # PostgreSQL's JSONB refuses NUL; nobody needs more than this much of a parameter.
    return value.replace("\x00", "\ufffd")[:AUDITED_PARAM_LENGTH]


async def api_token_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Authenticates the token for the mission in the URL and audits the call."""
    tenant = getattr(connection.state, "tenant", None)
    if tenant is None:
        raise NotFoundException()
    header = connection.headers.get("authorization", "").strip()
    if not header:
        raise ApiAuthFailed("an API token is required: Authorization: Bearer <token>")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiAuthFailed("use the header Authorization: Bearer <token>")
    params = {_clean(key): [_clean(v) for v in values][:10]
              for key, values in list(connection.query_params.dict().items())[:20]}
    object_type, object_id = "", ""
    for name, kind in OBJECT_TYPES.items():
        if name in connection.path_params:
            object_type, object_id = kind, connection.path_params[name]
    connection.state.api_caller = caller = await authenticate_call(
        connection.app.state.session_factory, getattr(connection.state, "missions", []),
        tenant, value.strip(), ip=client_ip(connection), path=connection.url.path,
        action=handler.name or "api", params=params, object_type=object_type,
        object_id=object_id)
    if caller.scope == "aggregates" and not (handler.name or "").startswith("api.reports."):
        raise PermissionDeniedException("this API token reads the report figures only")


# --- parameters ----------------------------------------------------------------------------

Lang = Annotated[Literal["en", "ar", "pt", "fr"], Parameter(
    description="Language of skill names (falls back to English, then the skill's code).")]
Offset = Annotated[int, Parameter(ge=0, le=MAX_OFFSET, description="Items to skip.")]
Sector = Annotated[str | None, Parameter(
    pattern=r"^[a-z0-9_]{1,64}$", description="A sector code of the mission, e.g. water_management.")]
LanguageCode = Annotated[str | None, Parameter(
    pattern=r"^[a-z]{2,3}$", description="An ISO 639-1 language code the expert speaks, e.g. ar.")]
ExpertStatus = Literal["draft", "submitted", "verified", "inactive", "rejected"]
AssignmentStatus = Literal["planned", "contracted", "in_progress", "completed", "evaluated",
                           "cancelled"]
RequestStatus = Literal["submitted", "open", "shortlisting", "filled", "closed", "rejected",
                        "cancelled"]

ERRORS = {
    400: ResponseSpec(schemas.ErrorBody, description="A parameter is not valid.",
                      generate_examples=False),
    401: ResponseSpec(schemas.ErrorBody, description="No API token, or an unknown or revoked one.",
                      generate_examples=False),
    403: ResponseSpec(schemas.ErrorBody, generate_examples=False,
                      description="The token reads the report figures only."),
    404: ResponseSpec(schemas.ErrorBody, generate_examples=False,
                      description="No such mission or object, or the token belongs to another mission."),
}


# --- endpoints -----------------------------------------------------------------------------

@get("/experts", name="api.experts.list", responses=ERRORS, operation_id="listExperts",
     summary="List experts")
async def api_experts(
        tenant: CurrentTenant, db: Db,
        limit: Annotated[int, Parameter(ge=1, le=100, description="Page size.")] = 20,
        offset: Offset = 0, sector: Sector = None, language: LanguageCode = None,
        status: Annotated[ExpertStatus | None, Parameter(
            description="The profile's status in the registry.")] = None,
        lang: Lang = "en") -> schemas.ExpertList:
    """Experts of the mission who consent to matching, by number. Names only for those who
    also consent to sharing their profile with host institutions; never contact details."""
    return await services.list_experts(db, tenant, limit=limit, offset=offset, sector=sector,
                                       language=language, status=status, locale=lang)


@get("/experts/{profile_id:uuid}", name="api.experts.get", responses=ERRORS,
     operation_id="getExpert", summary="Get an expert")
async def api_expert(tenant: CurrentTenant, db: Db, profile_id: FromPath[uuid.UUID],
                     lang: Lang = "en") -> schemas.Expert:
    """One expert (404 when they do not consent to matching, or are of another mission)."""
    return await services.get_expert(db, tenant, profile_id, locale=lang)


@get("/requests", name="api.requests.list", responses=ERRORS, operation_id="listRequests",
     summary="List assignment requests")
async def api_requests(
        tenant: CurrentTenant, db: Db,
        limit: Annotated[int, Parameter(ge=1, le=100, description="Page size.")] = 20,
        offset: Offset = 0,
        status: Annotated[RequestStatus | None, Parameter(
            description="The request's state (drafts are never listed).")] = None,
        sector: Sector = None, lang: Lang = "en") -> schemas.RequestList:
    """Assignment requests of the mission (every state but draft), by number."""
    return await services.list_requests(db, tenant, limit=limit, offset=offset, status=status,
                                        sector=sector, locale=lang)


@get("/requests/{request_id:uuid}", name="api.requests.get", responses=ERRORS,
     operation_id="getRequest", summary="Get an assignment request")
async def api_request(tenant: CurrentTenant, db: Db, request_id: FromPath[uuid.UUID],
                      lang: Lang = "en") -> schemas.AssignmentRequest:
    """One assignment request (404 for drafts and other missions' requests)."""
    return await services.get_request(db, tenant, request_id, locale=lang)


@get("/requests/{request_id:uuid}/matches", name="api.requests.matches", responses=ERRORS,
     operation_id="getRequestMatches", summary="Ranked candidates for a request")
async def api_request_matches(
        tenant: CurrentTenant, db: Db, search: Search, request_id: FromPath[uuid.UUID],
        limit: Annotated[int, Parameter(ge=1, le=50, description="How many candidates.")] = 20,
        lang: Lang = "en") -> schemas.Matches:
    """The request's best candidates, ranked and explained exactly as the staff's matching
    workspace shows them (same candidates, order, scores and per-criterion explanation)."""
    return await matches.request_matches(db, tenant, search, request_id, limit, locale=lang)


ActivityStatus = Literal["held", "submitted", "returned", "approved"]
ActivityKind = Literal["training", "training_of_trainers", "cascade", "awareness",
                       "technical_support"]
# A code of the mission's thematic areas (its mission file; e.g. counter_trafficking).
AREA_CODE = r"^[a-z0-9_]{1,64}$"


@get("/activities", name="api.activities.list", responses=ERRORS,
     operation_id="listActivities", summary="List capacity-building activities")
async def api_activities(
        tenant: CurrentTenant, db: Db,
        limit: Annotated[int, Parameter(ge=1, le=100, description="Page size.")] = 20,
        offset: Offset = 0,
        status: Annotated[ActivityStatus | None, Parameter(
            description="The activity's state (planned ones are never listed).")] = None,
        kind: Annotated[ActivityKind | None, Parameter(description="The kind of activity.")
                        ] = None,
        thematic_area: Annotated[str | None, Parameter(
            pattern=AREA_CODE,
            description="The code of one of the mission's thematic areas.")] = None,
        agency: Annotated[uuid.UUID | None, Parameter(
            description="A partner agency's id.")] = None) -> schemas.ActivityList:
    """Trainings and other capacity-building activities of the mission's partner agencies
    once held, newest first, with their participants as aggregate figures (by sex, by
    institution, by age group; a breakdown may be partial) and their sessions' hours."""
    return await services.list_activities(db, tenant, limit=limit, offset=offset,
                                           status=status, kind=kind,
                                           thematic_area=thematic_area, agency=agency)


@get("/activities/{activity_id:uuid}", name="api.activities.get", responses=ERRORS,
     operation_id="getActivity", summary="Get a capacity-building activity")
async def api_activity(tenant: CurrentTenant, db: Db,
                       activity_id: FromPath[uuid.UUID]) -> schemas.Activity:
    """One activity (404 while it is planned, and for other missions' activities)."""
    return await services.get_activity(db, tenant, activity_id)


@get("/assignments", name="api.assignments.list", responses=ERRORS,
     operation_id="listAssignments", summary="List assignments")
async def api_assignments(
        tenant: CurrentTenant, db: Db,
        limit: Annotated[int, Parameter(ge=1, le=100, description="Page size.")] = 20,
        offset: Offset = 0,
        status: Annotated[AssignmentStatus | None, Parameter(
            description="The assignment's state.")] = None,
        sector: Sector = None) -> schemas.AssignmentList:
    """Assignments of the mission, by request number and place: dates, milestones, outputs
    and the accepted evaluation's scores. The expert only while they consent to matching."""
    return await services.list_assignments(db, tenant, limit=limit, offset=offset,
                                           status=status, sector=sector)


@get("/assignments/{assignment_id:uuid}", name="api.assignments.get", responses=ERRORS,
     operation_id="getAssignment", summary="Get an assignment")
async def api_assignment(tenant: CurrentTenant, db: Db,
                         assignment_id: FromPath[uuid.UUID]) -> schemas.Assignment:
    """One assignment (404 for another mission's)."""
    return await services.get_assignment(db, tenant, assignment_id)


From = Annotated[date | None, QueryParameter(
    name="from", description="From this day, e.g. 2026-01-01.")]
To = Annotated[date | None, QueryParameter(
    name="to", description="Up to this day, e.g. 2026-03-31.")]
Area = Annotated[str | None, Parameter(
    pattern=AREA_CODE, description="The code of one of the mission's thematic areas.")]
Id = Annotated[uuid.UUID | None, Parameter(description="The id of the mission's record.")]


def _protected(request: Request) -> bool:
    """Small counts hidden: for tokens limited to aggregates (a full token reads the
    registry itself, as staff do)."""
    return request.state.api_caller.scope == "aggregates"


def _report_filter(period_from: date | None, period_to: date | None, sector: str | None,
                   area: str | None, agency: uuid.UUID | None,
                   project: uuid.UUID | None) -> ReportFilter:
    if period_from and period_to and period_to < period_from:
        raise ValidationException(extra=[{"key": "to", "source": "query",
                                          "message": "the end comes before the start"}])
    return ReportFilter(period_from=period_from, period_to=period_to, sector=sector or "",
                        thematic_area=area or "", agency_id=agency, project_id=project)


@get("/reports/dashboard", name="api.reports.dashboard", responses=ERRORS,
     operation_id="getDashboard", summary="The mission dashboard's figures")
async def api_report_dashboard(
        request: Request, tenant: CurrentTenant, db: Db,
        period_from: From = None, period_to: To = None, sector: Sector = None,
        area: Area = None, agency: Id = None, project: Id = None,
        lang: Lang = "en") -> schemas.Report:
    """Every table of the mission dashboard (registry, demand, assignments, trainings) with
    the same figures as the page and its exports, for the filters given. A token limited to
    aggregates sees counts from 1 to 4 as "<5" (and what would give them away)."""
    flt = _report_filter(period_from, period_to, sector, area, agency, project)
    return await services.report(db, tenant, "dashboard", flt, lang, _protected(request))


@get("/reports/supply", name="api.reports.supply", responses=ERRORS,
     operation_id="getSupply", summary="Supply against demand")
async def api_report_supply(
        request: Request, tenant: CurrentTenant, db: Db,
        period_from: From = None, period_to: To = None, sector: Sector = None,
        lang: Lang = "en") -> schemas.Report:
    """Open requests against the experts who could go now, by sector and required skill."""
    flt = _report_filter(period_from, period_to, sector, None, None, None)
    return await services.report(db, tenant, "supply", flt, lang, _protected(request))


API_ROUTES = [api_experts, api_expert, api_requests, api_request, api_request_matches,
              api_activities, api_activity, api_assignments, api_assignment,
              api_report_dashboard, api_report_supply]


def api_router() -> Router:
    return Router(
        path=f"{API_PREFIX}/{{{MISSION_PARAM}:str}}", route_handlers=API_ROUTES,
        guards=[api_token_guard], include_in_schema=True, tags=["API v1"],
        security=[{SECURITY_SCHEME: []}],
        dependencies={"tenant": Provide(provide_tenant, sync_to_thread=False)},
    )


async def _schema_not_found_as_json(response: Response) -> Response:
    # Litestar answers unknown paths under the schema with a small HTML page: not here.
    if response.status_code == 404:
        return Response({"error": {"status": 404, "message": "Not Found"}}, status_code=404,
                        media_type=MediaType.JSON)
    return response


def openapi_config() -> OpenAPIConfig:
    """The API's schema, as JSON at /api/v1/schema (and /api/v1/schema/openapi.json). Only
    the API's routes are in it: the app sets include_in_schema=False for everything else."""
    return OpenAPIConfig(
        title="Diaspora Bridge API", version="1.0.0", path=SCHEMA_PATH,
        description=(
            "Read-only access to one mission's experts, assignment requests, matching "
            "results, assignments and partner agencies' capacity-building activities "
            "(aggregate figures only). Authenticate with an API token created by a mission admin "
            "(Authorization: Bearer <token>); a token works for its own mission only. "
            "results and report figures. Authenticate with an API token created by a "
            "mission admin (Authorization: Bearer <token>); a token works for its own "
            "mission only. "
            "Experts appear only while they consent to matching, with their name only when "
            "they consent to sharing their profile with host institutions; contact details "
            "are never published. Errors: {\"error\": {\"status\": ..., \"message\": ...}}."),
        render_plugins=[JsonRenderPlugin()], use_handler_docstrings=True,
        openapi_router=Router(SCHEMA_PATH, route_handlers=[], include_in_schema=False,
                              after_request=_schema_not_found_as_json),
        components=Components(security_schemes={SECURITY_SCHEME: SecurityScheme(
            type="http", scheme="bearer",
            description="An API token of the mission, from /<mission>/admin/api-tokens.")}),
    )
