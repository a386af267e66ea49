"""File upload forms (CVs, terms of reference): the body limit and the page shown when a
file is far too large to even reach the handler."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import Body
from litestar.response import Response
from litestar.utils.scope.state import ScopeState

from app.config import get_settings
from app.core.actor import Actor
from app.documents import MB
from app.web.errors import error_response, sign_in_required_handler
from app.web.guards import SignInRequired
from app.web.templating import page

MultipartForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
# Litestar needs the body limit when the route is built, before any app settings exist.
# It leaves room above the file limit for the form around the file, so a file somewhat over
# the limit still reaches the handler and is refused next to the field; anything bigger is
# cut off while it streams in (see upload_too_large).
BODY_LIMIT = (get_settings().max_upload_mb + 2) * MB


def upload_too_large(permission: str, field: str, label: str):
    """The handler for a body over BODY_LIMIT, which stops before the route's handler (and
    even the CSRF check) runs: 413 with the form again and the reason next to the field."""
    def handler(request: Request, exc: RequestEntityTooLarge) -> Response:
        actor: Actor | None = getattr(request.state, "actor", None)
        if actor is None or not actor.signed_in:
            return sign_in_required_handler(request, SignInRequired())
        if not actor.can(permission):
            return error_response(request, 403)
        # The CSRF middleware stopped before recording the token; the page's form needs it.
        assert request.app.csrf_config is not None  # app/main.py turns CSRF protection on
        cookie = request.app.csrf_config.cookie_name
        ScopeState.from_scope(request.scope).csrf_token = request.cookies.get(cookie, "")
        return page(request, "upload_too_large.html", status_code=413, field=field,
                    label=label, action=request.url.path,
                    max_mb=request.app.state.settings.max_upload_mb)
    return handler
