"""Assignment requests' pages: the institution's dashboard, the staff queue with its CSV
export, the multi-step request form (each step a plain form; the first one creates the
draft), the terms-of-reference attachment, and the request page with its timeline and
life-cycle actions. Who may see a request is decided in one place: services.get_request."""

from __future__ import annotations

import uuid
from datetime import date
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.assignment_requests import form as request_form
from app.assignment_requests import labels, services
from app.assignment_requests.documents import read_terms_document, save_terms_document
from app.assignment_requests.models import REQUEST_STATUSES
from app.assignment_requests.services import RequestActionRefused
from app.assignment_requests.states import EDITABLE, allowed_actions
from app.core.errors import FormErrors
from app.core.roles import REQUESTS_MANAGE, REQUESTS_VIEW
from app.documents import MB, download
from app.experts import labels as expert_labels
from app.i18n import gettext as _
from app.i18n import gettext_noop
from app.institutions.services import list_institutions
from app.storage import storage_for
from app.web.deps import CurrentActor, CurrentTenant, Db
from app.web.flash import flash
from app.web.forms import FieldErrors, rows, text_form
from app.web.guards import requires
from app.web.links import absolute_url
from app.web.reference import language_label, languages
from app.web.templating import page
from app.web.uploads import BODY_LIMIT, MultipartForm, upload_too_large
from tenants.directory import mission_sectors

VIEW, MANAGE = [requires(REQUESTS_VIEW)], [requires(REQUESTS_MANAGE)]
FORM_STEPS = ("terms", "profile", "logistics")


def _link(request: Request, tenant, request_id) -> str:
    return absolute_url(request, f"/{tenant.slug}/requests/{request_id}")


# --- the institution's dashboard -----------------------------------------------------------

@get("/institution", name="institution_dashboard", guards=VIEW)
async def institution_dashboard(request: Request, tenant: CurrentTenant, db: Db,
                                actor: CurrentActor) -> Response:
    if actor.can(REQUESTS_MANAGE):  # staff: their overview is the queue
        return Redirect(f"/{tenant.slug}/requests", status_code=303)
    institution = await services.own_institution(db, tenant, actor)
    if institution is None:
        # A focal point whose institution link was lost (e.g. the role changed by hand).
        return page(request, "assignment_requests/dashboard.html", institution=None,
                    requests=[])
    return page(request, "assignment_requests/dashboard.html", institution=institution,
                requests=await services.institution_requests(db, tenant, institution.id))


# --- the staff queue -----------------------------------------------------------------------

def _queue_filter(params) -> services.QueueFilter:
    status = params.get("status", "")
    flt = services.QueueFilter(
        status=status if status in (*REQUEST_STATUSES, "all") else "",
        sector=params.get("sector", "")[:64], institution=params.get("institution", "")[:40])
    for name in ("start_from", "start_to"):
        raw = params.get(name, "")
        if raw:
            try:
                setattr(flt, name, date.fromisoformat(raw))
            except ValueError:
                flt.errors[name] = _("Use a date like 2026-03-31.")
    if flt.start_from and flt.start_to and flt.start_to < flt.start_from:
        flt.errors["start_to"] = _("The end comes before the start.")
    return flt


async def _queue_page(request: Request, tenant, db, flt, rows_, total, page_number) -> Response:
    locale = request.state.locale
    sectors = await mission_sectors(db, tenant)
    query = urlencode([(k, v) for k, v in request.query_params.items() if k != "page"])
    return page(request, "assignment_requests/queue.html",
                status_code=400 if flt.errors else 200, rows=rows_, total=total,
                page_number=page_number, pages=max(1, -(-total // services.PAGE_SIZE)),
                flt=flt, errors=flt.errors, query=query,
                status_options=[("all", _("All states")), *labels.statuses()],
                sector_options=[(s.code, s.display_name(locale)) for s in sectors],
                sector_names={s.code: s.display_name(locale) for s in sectors},
                institution_options=[(str(i.id), i.name)
                                     for i in await list_institutions(db, tenant)],
                priority_names=dict(labels.priorities()))


@get("/requests", name="request_queue", guards=MANAGE)
async def request_queue(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    flt = _queue_filter(request.query_params)
    try:
        page_number = max(1, min(int(request.query_params.get("page", "1")), 10_000))
    except ValueError:
        page_number = 1
    found, total = ([], 0) if flt.errors else await services.queue(db, tenant, flt, page_number)
    return await _queue_page(request, tenant, db, flt, found, total, page_number)


@get("/requests/export.csv", name="request_export", guards=MANAGE)
async def request_export(request: Request, tenant: CurrentTenant, db: Db,
                         actor: CurrentActor) -> Response:
    flt = _queue_filter(request.query_params)
    if flt.errors:
        return await _queue_page(request, tenant, db, flt, [], 0, 1)
    text = await services.export_csv(db, tenant, actor, flt, request.state.locale)
    return Response(text.encode("utf-8"), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="requests-{tenant.slug}.csv"',
        "Cache-Control": "no-store"})


# --- the form ------------------------------------------------------------------------------

async def _step_page(request: Request, tenant, db, actor, step: str, assignment=None,
                     values=None, errors=None, status_code: int = 200,
                     extra_row: bool = False) -> Response:
    locale = request.state.locale
    if values is None:
        values = await request_form.form_values(db, tenant, assignment, locale) \
            if assignment else {}
    values = {"lang": [], **values}
    if extra_row or not values["lang"]:
        values["lang"] = [*values["lang"], {}]
    document = await services.terms_document(db, tenant, assignment) if assignment else None
    return page(request, f"assignment_requests/step_{step}.html", status_code=status_code,
                step=step, steps=labels.steps(), assignment=assignment, form=values,
                errors=errors or {}, document=document,
                institution_options=[(str(i.id), i.name) for i in
                                     await list_institutions(db, tenant, status="approved")]
                if actor.can(REQUESTS_MANAGE) and assignment is None else [],
                sector_options=[(s.code, s.display_name(locale))
                                for s in await mission_sectors(db, tenant, active_only=True)],
                modalities=expert_labels.modalities(),
                levels=expert_labels.language_levels(),
                education_levels=expert_labels.education_levels(),
                priorities=labels.priorities(), language_options=languages(locale),
                max_mb=request.app.state.settings.max_upload_mb)


def _posted_values(form) -> dict:
    """A posted form in the shape the step templates read."""
    values = {key: form.get(key, "") for key in form.keys() if not key.startswith("lang-")}
    values["lang"] = [row for _i, row in rows(form, "lang", keep_blank=True)]
    return values


def _next(tenant, assignment, step: str, form) -> str:
    base = f"/{tenant.slug}/requests/{assignment.id}"
    if "save_next" not in form:
        return f"{base}/edit/{step}"
    following = {"terms": "edit/profile", "profile": "edit/logistics", "logistics": "document"}
    return f"{base}/{following[step]}"


@get("/requests/new", name="new_request", guards=VIEW)
async def new_request(request: Request, tenant: CurrentTenant, db: Db,
                      actor: CurrentActor) -> Response:
    if not actor.can(REQUESTS_MANAGE):
        # A focal point's institution must be approved before anything is typed.
        try:
            await services.institution_for_new_request(db, tenant, actor, None)
        except RequestActionRefused as exc:
            return flash(request, Redirect(f"/{tenant.slug}/institution", status_code=303),
                         "error", exc.message)
    return await _step_page(request, tenant, db, actor, "terms",
                            values={"institution_id": request.query_params.get("institution", "")})


@post("/requests/new", name="create_request", guards=VIEW)
async def create_request(request: Request, tenant: CurrentTenant, db: Db,
                         actor: CurrentActor) -> Response:
    form = await text_form(request)
    try:
        institution = await services.institution_for_new_request(
            db, tenant, actor, form.get("institution_id"))
        assignment, errors = await request_form.start_request(db, tenant, actor, institution,
                                                              form)
    except RequestActionRefused as exc:
        await db.rollback()
        assignment, errors = None, FieldErrors({exc.field: exc.message})
    if errors:
        await db.rollback()
        return await _step_page(request, tenant, db, actor, "terms", values=_posted_values(form),
                                errors=errors, status_code=400)
    return flash(request, Redirect(_next(tenant, assignment, "terms", form), status_code=303),
                 "success", _("Draft saved. You can come back to it at any time."))


@get("/requests/{request_id:uuid}/edit/{step:str}", name="request_step", guards=VIEW)
async def request_step(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                       request_id: FromPath[uuid.UUID], step: FromPath[str]) -> Response:
    if step not in FORM_STEPS:
        raise NotFoundException()
    assignment = await services.get_request(db, tenant, actor, request_id)
    return await _step_page(request, tenant, db, actor, step, assignment)


@post("/requests/{request_id:uuid}/edit/{step:str}", name="save_request_step", guards=VIEW)
async def save_request_step(request: Request, tenant: CurrentTenant, db: Db,
                            actor: CurrentActor, request_id: FromPath[uuid.UUID],
                            step: FromPath[str]) -> Response:
    if step not in FORM_STEPS:
        raise NotFoundException()
    form = await text_form(request)
    assignment = await services.get_request(db, tenant, actor, request_id, lock=True)
    if form.get("add_row") == "lang":
        return await _step_page(request, tenant, db, actor, step, assignment,
                                values=_posted_values(form), extra_row=True)
    try:
        if step == "terms":
            errors = await request_form.save_terms(db, tenant, actor, assignment, form)
        elif step == "profile":
            errors = await request_form.save_profile(db, tenant, actor, assignment, form,
                                                     request.state.locale)
        else:
            errors = await request_form.save_logistics(db, tenant, actor, assignment, form)
    except RequestActionRefused as exc:
        errors = FieldErrors(form=exc.message)
    if errors:
        await db.rollback()  # nothing of a refused step is kept
        assignment = await services.get_request(db, tenant, actor, request_id)
        return await _step_page(request, tenant, db, actor, step, assignment,
                                values=_posted_values(form), errors=errors, status_code=400)
    return flash(request, Redirect(_next(tenant, assignment, step, form), status_code=303),
                 "success", _("Saved."))


# --- the terms of reference file -----------------------------------------------------------

@get("/requests/{request_id:uuid}/document", name="request_document_step", guards=VIEW)
async def request_document_step(request: Request, tenant: CurrentTenant, db: Db,
                                actor: CurrentActor, request_id: FromPath[uuid.UUID]) -> Response:
    assignment = await services.get_request(db, tenant, actor, request_id)
    return await _step_page(request, tenant, db, actor, "document", assignment)


@post("/requests/{request_id:uuid}/document", name="upload_request_document", guards=VIEW,
      request_max_body_size=BODY_LIMIT,
      exception_handlers={RequestEntityTooLarge: upload_too_large(REQUESTS_VIEW, "document",
                                                            gettext_noop("Terms of reference"))})
async def upload_request_document(request: Request, tenant: CurrentTenant, db: Db,
                                  actor: CurrentActor, request_id: FromPath[uuid.UUID],
                                  data: MultipartForm) -> Response:
    assignment = await services.get_request(db, tenant, actor, request_id, lock=True)
    upload = data.get("document")
    if isinstance(upload, list):
        upload = next((item for item in upload if isinstance(item, UploadFile)), None)
    if not isinstance(upload, UploadFile):
        return await _step_page(request, tenant, db, actor, "document", assignment,
                                status_code=400,
                                errors={"document": _("Choose the file to upload.")})
    try:
        content = await upload.read()  # bounded by BODY_LIMIT
    finally:
        await upload.close()
    try:
        await save_terms_document(db, tenant, actor, assignment, upload.filename, content,
                                  storage_for(request.app.state.settings),
                                  max_bytes=request.app.state.settings.max_upload_mb * MB)
    except FormErrors as exc:
        await db.rollback()
        assignment = await services.get_request(db, tenant, actor, request_id)
        return await _step_page(request, tenant, db, actor, "document", assignment,
                                errors=exc.errors, status_code=400)
    return flash(request, Redirect(f"/{tenant.slug}/requests/{request_id}", status_code=303),
                 "success", _("The terms of reference are attached."))


@get("/requests/{request_id:uuid}/document/file", name="download_request_document",
     guards=VIEW)
async def download_request_document(request: Request, tenant: CurrentTenant, db: Db,
                                    actor: CurrentActor,
                                    request_id: FromPath[uuid.UUID]) -> Response:
    assignment = await services.get_request(db, tenant, actor, request_id)
    found = await read_terms_document(db, tenant, assignment,
                                      storage_for(request.app.state.settings))
    if not found:
        raise NotFoundException()
    document, content = found
    return download(document.filename, document.content_type, content)


# --- the request page and its life cycle ------------------------------------------------------

async def _request_page(request: Request, tenant, db, actor, assignment, errors=None,
                        status_code: int = 200) -> Response:
    locale = request.state.locale
    required, desired = await services.skills_of(db, tenant, assignment)
    who = services.acting_as(actor, assignment)
    assert who is not None  # get_request let only those who act on it see it
    sectors = {s.code: s.display_name(locale) for s in await mission_sectors(db, tenant)}
    return page(request, "assignment_requests/detail.html", status_code=status_code,
                assignment=assignment,
                institution=await services.institution_of(db, tenant, assignment),
                required=required, desired=desired,
                languages=await services.languages_of(db, tenant, assignment),
                document=await services.terms_document(db, tenant, assignment),
                timeline=await services.timeline(db, tenant, assignment),
                missing=await services.missing_parts(db, tenant, assignment)
                if assignment.status == "draft" else [],
                actions=allowed_actions(assignment.status, who),
                action_names=labels.actions(), history_names=labels.history(), editable=assignment.status in EDITABLE[who],
                who=who, errors=errors or {},
                sector_name=sectors.get(assignment.sector or "", ""),
                language_label=lambda code: language_label(code, locale),
                level_names=dict(expert_labels.language_levels()),
                education_names=dict(expert_labels.education_levels()),
                modality_names=dict(expert_labels.modalities()),
                priority_names=dict(labels.priorities()))


@get("/requests/{request_id:uuid}", name="request_detail", guards=VIEW)
async def request_detail(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                         request_id: FromPath[uuid.UUID]) -> Response:
    assignment = await services.get_request(db, tenant, actor, request_id)
    return await _request_page(request, tenant, db, actor, assignment)


@post("/requests/{request_id:uuid}/action", name="request_action", guards=VIEW)
async def request_action(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                         request_id: FromPath[uuid.UUID]) -> Response:
    form = await text_form(request)
    assignment = await services.get_request(db, tenant, actor, request_id, lock=True)
    try:
        await services.apply_action(db, tenant, actor, assignment, form.get("action", ""),
                                    form.get("reason", ""), _link(request, tenant, request_id))
    except RequestActionRefused as exc:
        await db.rollback()
        assignment = await services.get_request(db, tenant, actor, request_id)
        return await _request_page(request, tenant, db, actor, assignment,
                                   {"reason": exc.message}, status_code=400)
    return flash(request, Redirect(f"/{tenant.slug}/requests/{request_id}", status_code=303),
                 "success", _("Saved."))


REQUEST_ROUTES = [institution_dashboard, request_queue, request_export, new_request,
                  create_request, request_step, save_request_step, request_document_step,
                  upload_request_document, download_request_document, request_detail,
                  request_action]
