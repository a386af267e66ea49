"""Error pages: HTML for people, JSON for machines; never a stack trace."""

from __future__ import annotations

import logging
from http import HTTPStatus

import asyncpg
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap
from sqlalchemy import exc as sa_exc

from app.core.errors import Refusal
from app.i18n import gettext as _
from app.web.context import locale_for
from app.web.forms import ControlCharacters
from app.web.guards import SignInRequired, sign_in_url
from app.web.templating import page

log = logging.getLogger(__name__)

JSON_PREFIXES = ("/api/", "/healthz")
# How long a client is asked to wait when PostgreSQL cannot be reached (503).
OUTAGE_RETRY_AFTER_SECONDS = 30
_DRIVER_CONNECTION_ERRORS = (asyncpg.CannotConnectNowError, asyncpg.ConnectionDoesNotExistError,
                             asyncpg.ConnectionFailureError, asyncpg.TooManyConnectionsError)


def _titles() -> dict[int, tuple[str, str]]:
    # Built per call so that each title is translated into the request's language.
    return {
        400: (_("This request could not be understood"),
              _("Please check what you entered and try again.")),
        403: (_("You are not allowed to do this"),
              _("Your account does not give access to this page.")),
        404: (_("Page not found"),
              _("The page or mission you asked for does not exist, or is no longer available.")),
        405: (_("This action is not possible here"),
              _("The page does not accept this kind of request.")),
        409: (_("This is not possible at this stage"),
              _("The record has changed or is not in a state that allows this.")),
        422: (_("Please check what you entered"),
              _("Some of what you entered cannot be used.")),
        429: (_("Too many attempts"), _("Please wait a moment and try again.")),
        500: (_("Something went wrong on our side"),
              _("The problem has been recorded. Please try again in a few minutes.")),
        503: (_("The service is briefly unavailable"),
              _("Our database cannot be reached right now. Please try again in a minute.")),
    }


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(JSON_PREFIXES)


def _ensure_locale(request: Request) -> None:
    if not hasattr(request.state, "locale"):  # no route matched: the middleware never ran
        request.state.locale = locale_for(request, None)


def json_error(status: int, message: str | None = None, details: list | None = None,
               headers: dict | None = None) -> Response:
    """{"error": {"status": 400, "message": "...", "details": [...]}} (app.api.schemas.ErrorBody)."""
    error: dict = {"status": status, "message": message or _phrase(status)}
    if details:
        error["details"] = details
    return Response({"error": error}, status_code=status, media_type=MediaType.JSON,
                    headers=headers)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _parameter_errors(exc: HTTPException) -> list[dict]:
    """Litestar's validation errors (which parameter, where, why) for a JSON client."""
    if not isinstance(exc, ValidationException) or not isinstance(exc.extra, list):
        return []
    return [{"key": str(item.get("key", "")), "source": str(item.get("source", "")),
             "message": str(item.get("message", ""))}
            for item in exc.extra if isinstance(item, dict)]


def error_response(request: Request, status: int, detail: str | None = None) -> Response:
    if _wants_json(request):
        return json_error(status, detail if status < 500 else None)
    _ensure_locale(request)
    title, explanation = _titles().get(status, _titles()[400 if status < 500 else 500])
    return page(request, "errors/error.html", status_code=status, status=status, title=title,
                explanation=explanation, detail=detail)


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    if exc.status_code >= 500:  # Litestar's own 500s (e.g. a dependency failing its type)
        log.error("error %s on %s %s", exc.status_code, request.method, request.url.path,
                  exc_info=exc)
    if _wants_json(request):
        details = _parameter_errors(exc)
        message = "invalid parameters" if details else exc.detail if exc.status_code < 500 \
            else None
        return json_error(exc.status_code, message, details, headers=exc.headers)
    detail = None
    if exc.status_code == 403 and "CSRF" in (exc.detail or ""):
        detail = _("The form had expired. Reload the page and send it again.")
    elif exc.status_code == 400:
        detail = exc.detail
    return error_response(request, exc.status_code, detail)


def sign_in_required_handler(request: Request, exc: SignInRequired) -> Response:
    if _wants_json(request):
        return error_response(request, 401, "sign in required")
    return Redirect(sign_in_url(request), status_code=303)


def refusal_handler(request: Request, exc: Refusal) -> Response:
    """A rule said no and the controller did not show it next to a field: the message on a
    page of its own, with the refusal's status (nothing was written)."""
    return error_response(request, exc.status, str(exc))


def control_characters_handler(request: Request, exc: ControlCharacters) -> Response:
    """The input boundary's refusal (app/web/forms.py): a form route naming its page in
    opt["form_page"] shows it again with the message next to the field; anything else gets
    the message, with the field's name, on an error page (JSON under /api/)."""
    handler = request.scope.get("route_handler")
    opt = getattr(handler, "opt", None) or {}
    if opt.get("form_page") and not _wants_json(request):
        _ensure_locale(request)
        extra = opt.get("form_context")
        return page(request, opt["form_page"], status_code=400, errors=exc.errors,
                    form=exc.form, **(extra(request) if extra else {}))
    if _wants_json(request):
        return json_error(400, "invalid parameters", [
            {"key": field, "source": "query" if field in request.query_params else "body",
             "message": message} for field, message in exc.errors.items()])
    detail = "; ".join(f"{field}: {message}" for field, message in exc.errors.items())
    return error_response(request, 400, detail)


def _from_database_layer(exc: BaseException) -> bool:
    frame = exc.__traceback__
    while frame is not None:
        name = frame.tb_frame.f_globals.get("__name__", "")
        if name.startswith(("sqlalchemy.", "asyncpg.")):
            return True
        frame = frame.tb_next
    return False


def database_unreachable(exc: BaseException) -> bool:
    """Is this (or what caused it) PostgreSQL being out of reach, rather than a bug? A
    refused or dropped connection, a server starting up or shutting down, a pool
    connection invalidated; a socket error counts when raised under the database layer."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _DRIVER_CONNECTION_ERRORS):
            return True
        if isinstance(current, sa_exc.DBAPIError) and (
                current.connection_invalidated
                or isinstance(current, sa_exc.OperationalError | sa_exc.InterfaceError)):
            return True
        if isinstance(current, OSError) and _from_database_layer(current):
            return True  # refused, reset, timed out (not a file or a search engine's socket)
        current = current.__cause__ or current.__context__
    return False


def database_unavailable_response(request: Request) -> Response:
    headers = {"Retry-After": str(OUTAGE_RETRY_AFTER_SECONDS)}
    if _wants_json(request):
        return json_error(503, "database unavailable", headers=headers)
    _ensure_locale(request)
    response = error_response(request, 503)
    response.headers.update(headers)
    return response


def internal_error_handler(request: Request, exc: Exception) -> Response:
    if database_unreachable(exc):
        log.warning("database unreachable on %s %s: %r", request.method, request.url.path, exc)
        return database_unavailable_response(request)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    SignInRequired: sign_in_required_handler,
    ControlCharacters: control_characters_handler,
    Refusal: refusal_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}
