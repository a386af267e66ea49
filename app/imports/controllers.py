"""Staff's import pages: upload a file (experts or assignment requests), a preview with the
row-level errors, then the import itself as a background job (app.jobs), with a
progress bar that htmx polls (a reload link without JavaScript); the rejected rows and the
templates as downloads."""

from __future__ import annotations

import uuid

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response
from litestar.utils.scope.state import ScopeState

from app.core.actor import Actor
from app.core.roles import IMPORTS_RUN
from app.core.roster_format import (
    DEFAULT_STATUS,
    EXPERTS,
    INITIAL_STATUSES,
    KINDS,
    REQUESTS,
    columns_of,
    import_columns,
)
from app.documents import MB, download
from app.i18n import current_locale
from app.i18n import gettext as _
from app.imports import services
from app.imports.readers import ImportFileError
from app.storage import storage_for
from app.web.csv_export import XLSX, csv_text, xlsx_bytes
from app.web.deps import CurrentActor, CurrentTenant, Db, FormData
from app.web.errors import error_response, sign_in_required_handler
from app.web.flash import flash
from app.web.guards import SignInRequired, requires
from app.web.links import public_base
from app.web.templating import page
from app.web.uploads import MultipartForm

RUN = [requires(IMPORTS_RUN)]
# A roster of 20,000 full profiles is about 10 MB: 100,000 rows (the default row limit,
# PORTAL_IMPORT_MAX_ROWS) fit.
IMPORT_MAX_MB = 80
IMPORT_BODY_LIMIT = (IMPORT_MAX_MB + 2) * MB


def _status_options(kind: str) -> list[tuple[str, str]]:
    labels = {"submitted": _("Submitted: staff review each one"),
              "verified": _("Verified: staff vouch for the roster"),
              "draft": _("Draft"), "open": _("Open for matching")}
    return [(s, labels[s]) for s in INITIAL_STATUSES[kind]]


async def _upload_page(request: Request, db, tenant, errors: dict | None = None,
                       form: dict | None = None, status_code: int = 200) -> Response:
    return page(request, "imports/index.html", status_code=status_code, errors=errors or {},
                form=form or {"kind": EXPERTS}, batches=await services.recent_batches(db, tenant),
                expert_statuses=_status_options(EXPERTS),
                request_statuses=_status_options(REQUESTS), max_mb=IMPORT_MAX_MB)


@get("/imports", name="imports", guards=RUN)
async def imports(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    return await _upload_page(request, db, tenant)


def _too_large(request: Request, exc: RequestEntityTooLarge) -> Response:
    actor: Actor | None = getattr(request.state, "actor", None)
    if actor is None or not actor.signed_in:
        return sign_in_required_handler(request, SignInRequired())
    if not actor.can(IMPORTS_RUN):
        return error_response(request, 403)
    assert request.app.csrf_config is not None  # app/main.py turns CSRF protection on
    cookie = request.app.csrf_config.cookie_name
    ScopeState.from_scope(request.scope).csrf_token = request.cookies.get(cookie, "")
    return page(request, "imports/index.html", status_code=413,
                errors={"file": _("The file is larger than %(mb)s MB. Split it into smaller "
                                  "files.") % {"mb": IMPORT_MAX_MB}},
                form={"kind": EXPERTS}, batches=[], expert_statuses=_status_options(EXPERTS),
                request_statuses=_status_options(REQUESTS), max_mb=IMPORT_MAX_MB)


@post("/imports", name="upload_import", guards=RUN, request_max_body_size=IMPORT_BODY_LIMIT,
      exception_handlers={RequestEntityTooLarge: _too_large})
async def upload_import(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                        data: MultipartForm) -> Response:
    def text(name: str) -> str:
        value = data.get(name, "")
        return value if isinstance(value, str) else ""

    kind = text("kind")
    free_skills = text("free_skills") == "1"
    form: dict = {"kind": kind, "status": text(f"status_{kind}"), "free_skills": free_skills}
    errors = {}
    if kind not in KINDS:
        errors["kind"] = _("Choose one of the options listed.")
    initial_status = form["status"] or DEFAULT_STATUS.get(kind, "")
    if kind in KINDS and initial_status not in INITIAL_STATUSES[kind]:
        errors[f"status_{kind}"] = _("Choose one of the options listed.")
    upload = data.get("file")
    if isinstance(upload, list):
        upload = next((item for item in upload if isinstance(item, UploadFile)), None)
    if not isinstance(upload, UploadFile):
        errors["file"] = _("Choose the file to import.")
    if errors or not isinstance(upload, UploadFile):
        return await _upload_page(request, db, tenant, errors, form, 400)
    try:
        content = await upload.read()
    finally:
        await upload.close()
    if len(content) > IMPORT_MAX_MB * MB:
        return await _upload_page(request, db, tenant, {"file": _(
            "The file is larger than %(mb)s MB. Split it into smaller files.")
            % {"mb": IMPORT_MAX_MB}}, form, 400)
    try:
        batch = await services.receive_upload(db, tenant, actor,
                                              storage_for(request.app.state.settings), kind,
                                              upload.filename or "import", content,
                                              initial_status, current_locale(),
                                              free_skills=free_skills)
    except ImportFileError as exc:
        await db.rollback()
        return await _upload_page(request, db, tenant, {"file": exc.message}, form, 400)
    return Redirect(f"/{tenant.slug}/imports/{batch.id}", status_code=303)


def _status_context(tenant, batch) -> dict:
    total = batch.valid_rows or 0
    return {"batch": batch, "running": batch.status == "running",
            # a worker is reading and checking the file: the page asks again until it is done
            "checking": batch.status == "checking",
            "percent": min(100, round(100 * batch.processed / total)) if total else 0,
            "rejected": batch.total_rows - batch.valid_rows,
            "base": f"/{tenant.slug}/imports/{batch.id}"}


@get("/imports/{batch_id:uuid}", name="import_preview", guards=RUN)
async def import_preview(request: Request, tenant: CurrentTenant, db: Db,
                         batch_id: FromPath[uuid.UUID]) -> Response:
    batch = await services.get_batch(db, tenant, batch_id)
    return page(request, "imports/preview.html", facts=batch.facts,
                status_labels=dict(_status_options(batch.kind)),
                **_status_context(tenant, batch))


@get("/imports/{batch_id:uuid}/progress", name="import_progress", guards=RUN)
async def import_progress(request: Request, tenant: CurrentTenant, db: Db,
                          batch_id: FromPath[uuid.UUID], was: FromQuery[str] = "") -> Response:
    """The status part of the preview alone, which htmx swaps in every second while the
    file is checked or the import runs (the fragment stops asking once it is over). When
    the check is over, the whole preview is reloaded: its rows and errors are new."""
    batch = await services.get_batch(db, tenant, batch_id)
    response = page(request, "imports/_status.html", **_status_context(tenant, batch))
    response.headers["Cache-Control"] = "no-store"
    if was == "checking" and batch.status != "checking":
        response.headers["HX-Refresh"] = "true"
    return response


@post("/imports/{batch_id:uuid}/run", name="run_import", guards=RUN)
async def run_import(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                     batch_id: FromPath[uuid.UUID], data: FormData) -> Response:
    valid_only = data.get("valid_only") == "1"
    links = services.Links(public_base(request))  # checked before anything starts
    try:
        await services.start_batch(db, tenant, actor, batch_id, valid_only, links)
    except services.RunRefused as exc:
        return flash(request, Redirect(f"/{tenant.slug}/imports/{batch_id}", status_code=303),
                     "error", exc.message)
    return Redirect(f"/{tenant.slug}/imports/{batch_id}", status_code=303)


@get("/imports/{batch_id:uuid}/rejected.csv", name="import_rejected", guards=RUN)
async def import_rejected(request: Request, tenant: CurrentTenant, db: Db,
                          batch_id: FromPath[uuid.UUID]) -> Response:
    batch = await services.get_batch(db, tenant, batch_id)
    try:
        data = await storage_for(request.app.state.settings).get(services.rejected_key(batch))
    except OSError:
        raise NotFoundException() from None
    return download(f"rejected-{batch.kind}.csv", "text/csv", data)


# --- templates -------------------------------------------------------------------------------

def template_csv(kind: str) -> str:
    return csv_text(import_columns(kind), [])


def template_xlsx(kind: str) -> bytes:
    """The columns on the first sheet, and a guide (format, example) on the second."""
    guide = [[column.name, "yes" if column.required else "", column.format, column.example]
             for column in columns_of(kind) if not column.export_only]
    return xlsx_bytes([(kind, import_columns(kind), []),
                       ("guide", ["column", "required", "format", "example"], guide)])


def _template(kind: str, extension: str):
    @get(f"/imports/template/{kind}.{extension}", name=f"import_template_{kind}_{extension}",
         guards=RUN)
    async def handler() -> Response:
        if extension == "csv":
            return download(f"{kind}-template.csv", "text/csv",
                            template_csv(kind).encode("utf-8"))
        return download(f"{kind}-template.xlsx", XLSX, template_xlsx(kind))
    return handler


TEMPLATE_ROUTES = [_template(kind, ext) for kind in KINDS for ext in ("csv", "xlsx")]
IMPORT_ROUTES = [imports, upload_import, import_preview, import_progress, run_import,
                 import_rejected, *TEMPLATE_ROUTES]
