"""The CV step of the expert's profile (/<mission>/me/profile/cv), the expert's own download,
and staff downloading an expert's CV. Uploads are plain multipart forms (no JavaScript)."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.core.errors import FormErrors
from app.core.roles import EXPERTS_VIEW, PROFILE_OWN
from app.documents import MB, download
from app.experts.documents import current_cv, read_cv, save_cv
from app.experts.models import ExpertDocument, ExpertProfile
from app.experts.profile_form import STEPS
from app.experts.services import completeness, get_profile, own_profile
from app.i18n import gettext as _
from app.i18n import gettext_noop
from app.storage import storage_for
from app.web.deps import CurrentActor, CurrentTenant, Db
from app.web.flash import flash
from app.web.guards import requires
from app.web.templating import page
from app.web.uploads import BODY_LIMIT, MultipartForm, upload_too_large
from tenants.context import TenantContext

OWN = [requires(PROFILE_OWN)]


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
    return download(document.filename, document.content_type, data)


@get("/me/profile/cv", name="cv_step", guards=OWN)
async def cv_step(request: Request, tenant: CurrentTenant, db: Db,
                  actor: CurrentActor) -> Response:
    profile = await own_profile(db, tenant, actor, create=True)
    return await _cv_page(request, tenant, db, profile)


@post("/me/profile/cv", name="upload_cv", guards=OWN, request_max_body_size=BODY_LIMIT,
      exception_handlers={RequestEntityTooLarge: upload_too_large(PROFILE_OWN, "cv", gettext_noop("My CV"))})
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
