"""The CV step of the expert's profile (/<mission>/me/profile/cv), the expert's own download,
and staff downloading an expert's CV. Uploads are plain multipart forms (no JavaScript)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response
from litestar.utils.scope.state import ScopeState

from app.accounts.identity import Actor
from app.accounts.roles import EXPERTS_VIEW, PROFILE_OWN
from app.accounts.services import FormErrors
from app.config import get_settings
from app.experts.documents import MB, content_disposition, current_cv, read_cv, save_cv
from app.experts.models import ExpertDocument, ExpertProfile
from app.experts.profile_form import STEPS
from app.experts.services import completeness, get_profile, own_profile
from app.i18n import gettext as _
from app.storage import storage_for
from app.web.deps import CurrentActor, CurrentTenant, Db
from app.web.errors import error_response, sign_in_required_handler
from app.web.flash import flash
from app.web.guards import SignInRequired, requires
from app.web.templating import page
from tenants.context import TenantContext

OWN = [requires(PROFILE_OWN)]
MultipartForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
# Litestar needs the body limit when the route is built, before any app settings exist.
# It leaves room above the CV limit for the form around the file, so a file somewhat over
# the limit still reaches validate_cv and is refused next to the field; anything bigger is
# cut off while it streams in (see _too_large).
BODY_LIMIT = (get_settings().max_upload_mb + 2) * MB


def _max_bytes(request: Request) -> int:
    return request.app.state.settings.max_upload_mb * MB


def _size_label(size: int) -> str:
    if size >= MB:
        return _("%(n)s MB") % {"n": f"{size / MB:.1f}"}
    return _("%(n)s KB") % {"n": max(1, round(size / 1024))}


def _cv_facts(document: ExpertDocument | None, tenant: TenantContext) -> dict | None:
    if document is None:
        return None
    uploaded = document.created_at.astimezone(ZoneInfo(tenant.time_zone))
    return {"filename": document.filename, "size": _size_label(document.size),
            "uploaded_on": uploaded.strftime("%Y-%m-%d %H:%M")}


async def _cv_page(request: Request, tenant: TenantContext, db, profile: ExpertProfile,
                   errors: dict | None = None, status_code: int = 200) -> Response:
    return page(request, "experts/cv_step.html", status_code=status_code, step="cv",
                steps=STEPS, profile=profile, errors=errors or {},
                progress=await completeness(db, tenant, profile),
                cv=_cv_facts(await current_cv(db, tenant, profile), tenant),
                max_mb=request.app.state.settings.max_upload_mb)


def _download(document: ExpertDocument, data: bytes) -> Response:
    return Response(content=data, media_type=document.content_type, headers={
        "Content-Disposition": content_disposition(document.filename),
        # Personal data: never kept by shared caches or the browser's disk cache.
        "Cache-Control": "private, no-store",
    })


def _too_large(request: Request, exc: RequestEntityTooLarge) -> Response:
    """The body went over BODY_LIMIT while streaming in, before the handler (and even the
    CSRF check) ran: answer 413 with the reason instead of a bare error page."""
    actor: Actor | None = getattr(request.state, "actor", None)
    if actor is None or not actor.signed_in:
        return sign_in_required_handler(request, SignInRequired())
    if not actor.can(PROFILE_OWN):
        return error_response(request, 403)
    # The CSRF middleware stopped before recording the token; the page's form needs it.
    cookie = request.app.csrf_config.cookie_name
    ScopeState.from_scope(request.scope).csrf_token = request.cookies.get(cookie, "")
    return page(request, "experts/cv_too_large.html", status_code=413,
                max_mb=request.app.state.settings.max_upload_mb)


@get("/me/profile/cv", name="cv_step", guards=OWN)
async def cv_step(request: Request, tenant: CurrentTenant, db: Db,
                  actor: CurrentActor) -> Response:
    profile = await own_profile(db, tenant, actor, create=True)
    return await _cv_page(request, tenant, db, profile)


@post("/me/profile/cv", name="upload_cv", guards=OWN, request_max_body_size=BODY_LIMIT,
      exception_handlers={RequestEntityTooLarge: _too_large})
async def upload_cv(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                    data: MultipartForm) -> Response:
    profile = await own_profile(db, tenant, actor, create=True)
    upload = data.get("cv")
    if isinstance(upload, list):  # the field sent twice: take the first file
        upload = next((item for item in upload if isinstance(item, UploadFile)), None)
    if not isinstance(upload, UploadFile):  # no file chosen: browsers send an empty field
        return await _cv_page(request, tenant, db, profile, status_code=400,
                              errors={"cv": _("Choose your CV file to upload.")})
    try:
        content = await upload.read()  # bounded by BODY_LIMIT
    finally:
        await upload.close()
    try:
        await save_cv(db, tenant, actor, profile, upload.filename, content,
                      storage_for(request.app.state.settings), max_bytes=_max_bytes(request))
    except FormErrors as exc:  # refused before anything was written
        return await _cv_page(request, tenant, db, profile, errors=exc.errors, status_code=400)
    return flash(request, Redirect(f"/{tenant.slug}/me/profile/cv", status_code=303), "success",
                 _("Your CV is uploaded."))


@get("/me/profile/cv/file", name="download_own_cv", guards=OWN)
async def download_own_cv(request: Request, tenant: CurrentTenant, db: Db,
                          actor: CurrentActor) -> Response:
    profile = await own_profile(db, tenant, actor)
    found = profile and await read_cv(db, tenant, profile,
                                      storage_for(request.app.state.settings))
    if not found:
        raise NotFoundException()
    return _download(*found)


@get("/experts/{profile_id:uuid}/cv", name="download_expert_cv", guards=[requires(EXPERTS_VIEW)])
async def download_expert_cv(request: Request, tenant: CurrentTenant, db: Db,
                             actor: CurrentActor, profile_id: FromPath[uuid.UUID]) -> Response:
    # get_profile scopes to this mission (another mission's id is a 404) and records that
    # staff looked at the profile.
    profile = await get_profile(db, tenant, actor, profile_id)
    found = await read_cv(db, tenant, profile, storage_for(request.app.state.settings))
    if not found:
        raise NotFoundException()
    return _download(*found)


CV_ROUTES = [cv_step, upload_cv, download_own_cv, download_expert_cv]
