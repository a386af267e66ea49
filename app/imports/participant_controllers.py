"""Importing a training's participant list (partner users and staff, on their training):
upload a CSV, XLSX or JSON file, see every row and every row error, then add them all at
once (or none). Templates to download, with the roster import's functions."""

from __future__ import annotations

import json
import uuid

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.core.errors import FormErrors, StaleForm
from app.core.roles import TRAININGS_RECORD
from app.core.roster_format import PARTICIPANTS, columns_of, import_columns
from app.documents import MB, download
from app.i18n import gettext as _
from app.imports import participants
from app.imports.checks import RowError
from app.imports.controllers import (
    IMPORT_BODY_LIMIT,
    IMPORT_MAX_MB,
    XLSX,
    template_csv,
    template_xlsx,
)
from app.imports.readers import ImportFileError
from app.trainings.services import TrainingRefused, get_training, import_participants
from app.web.deps import CurrentActor, CurrentTenant, Db, FormData
from app.web.errors import error_response
from app.web.flash import flash
from app.web.forms import form_version
from app.web.guards import requires
from app.web.templating import page
from app.web.uploads import MultipartForm

RECORD = [requires(TRAININGS_RECORD)]


def _url(tenant, training_id) -> str:
    return f"/{tenant.slug}/trainings/{training_id}"


async def _page(request: Request, tenant, db, actor, training_id: uuid.UUID,
                errors: dict | None = None, checked: participants.Checked | None = None,
                status_code: int = 200) -> Response:
    view = await get_training(db, tenant, actor, training_id)
    by_row: dict[int, list[RowError]] = {}
    for error in checked.errors if checked else []:
        by_row.setdefault(error.row, []).append(error)
    return page(request, "trainings/import.html", status_code=status_code, t=view.training,
                errors=errors or {}, checked=checked, row_errors=by_row,
                preview=list(zip(checked.numbers, checked.rows, strict=True)) if checked else [],
                columns=import_columns(PARTICIPANTS),
                guide=[c for c in columns_of(PARTICIPANTS)], max_mb=IMPORT_MAX_MB,
                sent_back=json.dumps(checked.rows, ensure_ascii=False) if checked else "")


@get("/trainings/{training_id:uuid}/participants/import", name="participant_import",
     guards=RECORD)
async def participant_import(request: Request, tenant: CurrentTenant, db: Db,
                             actor: CurrentActor, training_id: FromPath[uuid.UUID]) -> Response:
    return await _page(request, tenant, db, actor, training_id)


def _too_large(request: Request, exc: RequestEntityTooLarge) -> Response:
    return error_response(request, 413)


@post("/trainings/{training_id:uuid}/participants/import", name="participant_import_check",
      guards=RECORD, request_max_body_size=IMPORT_BODY_LIMIT,
      exception_handlers={RequestEntityTooLarge: _too_large})
async def participant_import_check(request: Request, tenant: CurrentTenant, db: Db,
                                   actor: CurrentActor, training_id: FromPath[uuid.UUID],
                                   data: MultipartForm) -> Response:
    """The file read and every row checked; nothing is written yet."""
    await get_training(db, tenant, actor, training_id)   # 404 before reading anything
    upload = data.get("file")
    if isinstance(upload, list):
        upload = next((item for item in upload if isinstance(item, UploadFile)), None)
    if not isinstance(upload, UploadFile):
        return await _page(request, tenant, db, actor, training_id,
                           {"file": _("Choose the file to import.")}, status_code=400)
    try:
        content = await upload.read()
    finally:
        await upload.close()
    try:
        if len(content) > IMPORT_MAX_MB * MB:
            raise ImportFileError(_("The file is larger than %(mb)s MB. Split it into smaller "
                                    "files.") % {"mb": IMPORT_MAX_MB})
        source = participants.read(content)
    except ImportFileError as exc:
        return await _page(request, tenant, db, actor, training_id, {"file": exc.message},
                           status_code=400)
    checked = participants.check([(row.number, row.values) for row in source.rows])
    return await _page(request, tenant, db, actor, training_id, checked=checked,
                       status_code=422 if checked.errors else 200)


@post("/trainings/{training_id:uuid}/participants/import/confirm",
      name="participant_import_confirm", guards=RECORD)
async def participant_import_confirm(request: Request, tenant: CurrentTenant, db: Db,
                                     actor: CurrentActor, training_id: FromPath[uuid.UUID],
                                     data: FormData) -> Response:
    """The previewed rows, checked again and added all at once, or none."""
    await get_training(db, tenant, actor, training_id)   # 404 before reading anything
    try:
        checked = participants.check(participants.sent_back(data.get("rows", "")))
    except ImportFileError as exc:
        return await _page(request, tenant, db, actor, training_id, {"file": exc.message},
                           status_code=400)
    if checked.errors:
        return await _page(request, tenant, db, actor, training_id, checked=checked,
                           status_code=422)
    try:
        added = await import_participants(db, tenant, actor, training_id, checked.forms,
                                          form_version(data.get("version")))
    except (FormErrors, TrainingRefused, StaleForm) as exc:
        await db.rollback()
        return await _page(request, tenant, db, actor, training_id,
                           {"file": "; ".join(exc.errors.values()) or exc.message},
                           checked=checked, status_code=exc.status)
    return flash(request, Redirect(_url(tenant, training_id) + "#participants",
                                   status_code=303), "success",
                 _("%(n)s participants are added.") % {"n": added})


@get("/trainings/participants-template.csv", name="participant_template_csv", guards=RECORD)
async def participant_template_csv() -> Response:
    return download("participants-template.csv", "text/csv",
                    template_csv(PARTICIPANTS).encode("utf-8"))


@get("/trainings/participants-template.xlsx", name="participant_template_xlsx",
     guards=RECORD)
async def participant_template_xlsx() -> Response:
    return download("participants-template.xlsx", XLSX, template_xlsx(PARTICIPANTS))


PARTICIPANT_IMPORT_ROUTES = [participant_import, participant_import_check,
                             participant_import_confirm, participant_template_csv,
                             participant_template_xlsx]
