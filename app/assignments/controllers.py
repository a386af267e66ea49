"""Assignments' pages: the list (staff: every assignment with filters; an expert: their
own; a focal point: their institution's experts), the assignment page with its plan,
preparation checklist, life-cycle actions and history, and the mission admins' checklist.
Who may see an assignment is decided in one place: services.get_assignment."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.assignments import closing, follow_ups, labels, milestones, outputs, services
from app.assignments import reminders as reminders_service
from app.assignments.milestones import MilestoneForm
from app.assignments.models import ASSIGNMENT_STATUSES
from app.assignments.services import AssignmentFilter, AssignmentRefused, PlanForm
from app.assignments.states import NEEDS_REASON, OPEN, allowed_actions
from app.core.clock import now
from app.core.errors import FormErrors, StaleForm
from app.core.roles import (
    ASSIGNMENTS_CONFIGURE,
    ASSIGNMENTS_MANAGE,
    ASSIGNMENTS_VIEW,
    PROFILE_OWN,
    REQUESTS_VIEW,
)
from app.core.sex_categories import sex_labels
from app.documents import MB, download
from app.experts import labels as expert_labels
from app.i18n import gettext as _
from app.i18n import gettext_noop
from app.institutions.services import list_institutions
from app.partners.funding import list_funding_projects
from app.storage import storage_for
from app.web.deps import CurrentActor, CurrentTenant, Db, FormData
from app.web.flash import flash
from app.web.forms import FieldErrors, form_version, text_form
from app.web.guards import requires
from app.web.links import absolute_url
from app.web.templating import is_htmx, page
from app.web.uploads import BODY_LIMIT, MultipartForm, upload_too_large
from tenants.context import TenantContext
from tenants.directory import mission_sectors

VIEW, MANAGE = [requires(ASSIGNMENTS_VIEW)], [requires(ASSIGNMENTS_MANAGE)]
# The final report is the expert's to write, the evaluation the host institution's.
EXPERT_ONLY, INSTITUTION_ONLY = [requires(PROFILE_OWN)], [requires(REQUESTS_VIEW)]
CONFIGURE = [requires(ASSIGNMENTS_CONFIGURE)]


def _url(tenant, assignment_id) -> str:
    return f"/{tenant.slug}/assignments/{assignment_id}"



# --- the list, the board and the timeline share one set of filters ------------------------

FILTER_PARAMS = ("status", "sector", "institution", "q", "from", "to", "overdue")


def _filter(params, sectors: set[str]) -> AssignmentFilter:
    flt, errors = AssignmentFilter(), FieldErrors()
    flt.errors = errors
    flt.status = errors.choice("status", params.get("status", ""), ASSIGNMENT_STATUSES) or ""
    flt.sector = errors.choice("sector", params.get("sector", ""), sectors) or ""
    flt.institution_id = errors.option_id("institution", params.get("institution", ""))
    flt.q = " ".join(params.get("q", "").split())[:200]
    flt.period_from = errors.day("from", params.get("from", ""), required=False)
    flt.period_to = errors.day("to", params.get("to", ""), required=False)
    flt.overdue = params.get("overdue", "") == "1"
    if flt.period_from and flt.period_to and flt.period_to < flt.period_from:
        errors["to"] = _("The end comes before the start.")
    return flt


async def _sectors(request: Request, db, tenant) -> dict[str, str]:
    return {s.code: s.display_name(request.state.locale) for s in await mission_sectors(db, tenant)}


async def _filters(request: Request, db, tenant, params,
                   staff: bool = True) -> tuple[AssignmentFilter, dict]:
    """The filters read from params (the address's query, or the one a board card carries)
    and what the filter form shows (to staff: experts and focal points have no form): the
    sectors' and institutions' names, and the query again for the links between the list,
    the board, the timeline and the export."""
    sectors = await _sectors(request, db, tenant)
    flt = _filter(params, set(sectors))
    institutions = await list_institutions(db, tenant) if staff else []
    return flt, {
        "flt": flt, "errors": flt.errors, "sector_names": sectors,
        "status_options": labels.statuses(),
        "institution_options": [(str(i.id), i.name) for i in institutions],
        "query": urlencode([(name, params.get(name, "")) for name in FILTER_PARAMS
                            if params.get(name, "")])}


async def _list_page(request: Request, tenant, db, actor) -> Response:
    staff = actor.can(ASSIGNMENTS_MANAGE)
    flt, shown = await _filters(request, db, tenant, request.query_params, staff)
    rows = [] if flt.errors else await services.list_assignments(db, tenant, actor, flt)
    reminders = None if staff or actor.user_id is None \
        else await reminders_service.reminders_on(db, tenant, actor.user_id)
    return page(request, "assignments/list.html", status_code=400 if flt.errors else 200,
                rows=rows, reminders=reminders, staff=staff,
                institution_view=actor.host_institution_id is not None, **shown)


@get("/assignments", name="assignment_list", guards=VIEW)
async def assignment_list(request: Request, tenant: CurrentTenant, db: Db,
                          actor: CurrentActor) -> Response:
    return await _list_page(request, tenant, db, actor)


@get("/assignments/export.csv", name="assignment_export", guards=MANAGE)
async def assignment_export(request: Request, tenant: CurrentTenant, db: Db,
                            actor: CurrentActor) -> Response:
    """The staff list as CSV, with the list's filters."""
    flt = _filter(request.query_params, set(await _sectors(request, db, tenant)))
    if flt.errors:
        return await _list_page(request, tenant, db, actor)
    text = await services.export_csv(db, tenant, actor, flt)
    # Litestar adds the charset to a text/ media type itself: naming it here would say it twice.
    return Response(text.encode("utf-8"), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="assignments-{tenant.slug}.csv"',
        "Cache-Control": "no-store"})


def _calendar(tenant: TenantContext, text: str) -> Response:
    return Response(text.encode("utf-8"), media_type="text/calendar", headers={
        "Content-Disposition": f'inline; filename="assignments-{tenant.slug}.ics"',
        "Cache-Control": "no-store"})


@get("/assignments/calendar.ics", name="assignment_calendar", guards=VIEW)
async def assignment_calendar(request: Request, tenant: CurrentTenant, db: Db,
                              actor: CurrentActor) -> Response:
    """The actor's assignments as an iCalendar file, downloaded while signed in."""
    return _calendar(tenant, await services.calendar_feed(
        db, tenant, actor, absolute_url(request, ""), request.state.locale))


@post("/assignments/calendar/address", name="assignment_calendar_address", guards=VIEW)
async def assignment_calendar_address(request: Request, tenant: CurrentTenant, db: Db,
                                      actor: CurrentActor) -> Response:
    """A new secret address to subscribe to, shown once (only its hash is kept)."""
    token = await services.new_calendar_address(db, tenant, actor)
    return page(request, "assignments/calendar_address.html", address=absolute_url(
        request, f"/{tenant.slug}/assignments/calendar/{token}.ics"))


@get("/assignments/calendar/{address:str}", name="assignment_calendar_feed")
async def assignment_calendar_feed(request: Request, tenant: CurrentTenant, db: Db,
                                   address: FromPath[str]) -> Response:
    """The feed a calendar program fetches without signing in: the address is the key."""
    token, _dot, extension = address.rpartition(".")
    if extension != "ics" or not token:
        raise NotFoundException()
    return _calendar(tenant, await services.calendar_at_address(
        db, tenant, token, absolute_url(request, ""), request.state.locale))


# --- one assignment -------------------------------------------------------------------------

async def _assignment_page(request: Request, tenant, db, actor, assignment_id: uuid.UUID,
                           errors: dict | None = None, form: dict | None = None,
                           status_code: int = 200) -> Response:
    view = await services.get_assignment(db, tenant, actor, assignment_id)
    staff = view.who == services.STAFF
    actions = labels.actions()
    return page(request, "assignments/detail.html", status_code=status_code, view=view,
                a=view.assignment, staff=staff, errors=errors or {}, form=form or {},
                checklist=await services.checklist_of(db, tenant, view),
                item_label=services.item_label,
                actions=[(name, actions[name]) for name in allowed_actions(view.assignment.status)]
                if staff else [],
                modalities=expert_labels.modalities(),
                modality_names=dict(expert_labels.modalities()),
                history=await services.history(db, tenant, view),
                history_labels=labels.history(),
                report=await services.report_of(db, tenant, view),
                evaluation=await services.evaluation_of(db, tenant, view),
                report_sections=labels.report_sections(),
                criteria=labels.evaluation_criteria(),
                reportable=view.assignment.status in services.REPORTABLE,
                review_names=labels.review_statuses(),
                milestones=await milestones.milestones_of(db, tenant, view),
                milestone_kinds=labels.milestone_kinds(),
                milestone_statuses=labels.milestone_statuses(),
                can_hand_in=view.who in (services.STAFF, services.EXPERT)
                and view.assignment.status in OPEN,
                max_mb=request.app.state.settings.max_upload_mb,
                sexes=sex_labels(), output_counts=labels.output_counts(),
                outputs_open=view.who in (services.STAFF, services.EXPERT)
                and view.assignment.status in services.REPORTABLE,
                host_rating=await closing.rating_of(db, tenant, view),
                host_criteria=labels.host_rating_criteria(),
                rateable=view.who == services.EXPERT
                and view.assignment.status in closing.RATEABLE,
                follow_ups=await follow_ups.follow_ups_of(db, tenant, view),
                **await _funding(db, tenant, view),
                still_used_names=dict(labels.still_used()))


async def _funding(db, tenant, view: services.AssignmentView) -> dict:
    """The plan form's funding projects (staff): the active ones, and the one the
    assignment names even if closed since."""
    if view.who != services.STAFF:
        return {"project_options": [], "project_name": ""}
    kept = view.assignment.funding_project_id
    projects = await list_funding_projects(db, tenant)
    names = {p.id: f"{p.code} — {p.name} ({p.donor})" for p in projects}
    return {"project_options": [(str(p.id), names[p.id]) for p in projects
                                if p.status == "active" or p.id == kept],
            "project_name": names.get(kept, "") if kept else ""}


@get("/assignments/{assignment_id:uuid}", name="assignment_detail", guards=VIEW)
async def assignment_detail(request: Request, tenant: CurrentTenant, db: Db,
                            actor: CurrentActor,
                            assignment_id: FromPath[uuid.UUID]) -> Response:
    return await _assignment_page(request, tenant, db, actor, assignment_id)


async def _refused(request: Request, tenant, db, actor, assignment_id, exc, form) -> Response:
    """The page again with the message next to its field, as the assignment is now."""
    await db.rollback()
    return await _assignment_page(request, tenant, db, actor, assignment_id, exc.errors,
                                  form if not isinstance(exc, StaleForm) else {},
                                  status_code=exc.status)


@post("/assignments/{assignment_id:uuid}/move", name="assignment_move", guards=MANAGE)
async def assignment_move(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                          assignment_id: FromPath[uuid.UUID], data: FormData) -> Response:
    """A move from the assignment's page, or from the board (next=board: back to the board,
    the refusal shown on the assignment's card)."""
    action = data.get("action", "")
    from_board = data.get("next") == "board"
    # The board's filters travel with its cards, so the board comes back as filtered.
    board_params = dict(parse_qsl(data.get("filters", "")))
    try:
        await services.move(db, tenant, actor, assignment_id, action, data.get("reason", ""),
                            form_version(data.get("version")),
                            absolute_url(request, _url(tenant, assignment_id)))
    except (AssignmentRefused, StaleForm) as exc:
        if from_board:
            await db.rollback()
            # htmx swaps only answers it takes for success: the board with the refusal.
            return await _board_page(request, tenant, db, actor, board_params, assignment_id,
                                     exc.message, 200 if is_htmx(request) else exc.status)
        return await _refused(request, tenant, db, actor, assignment_id, exc, dict(data))
    done = _("Done: %(action)s.") % {"action": labels.actions().get(action, action)}
    if from_board and is_htmx(request):  # the board as it is now
        return await _board_page(request, tenant, db, actor, board_params)
    if from_board:
        query = urlencode([(name, board_params[name]) for name in FILTER_PARAMS
                           if board_params.get(name)])
        return flash(request, Redirect(f"/{tenant.slug}/assignments/board"
                                       + (f"?{query}" if query else ""), status_code=303),
                     "success", done)
    return flash(request, Redirect(_url(tenant, assignment_id), status_code=303), "success",
                 done)


async def _board_page(request: Request, tenant, db, actor, params,
                      refused_id: uuid.UUID | None = None, message: str = "",
                      status_code: int = 200) -> Response:
    actions = labels.actions()
    flt, shown = await _filters(request, db, tenant, params)
    if flt.errors:
        status_code = 400
    columns = {status: [] for status in services.BOARD_COLUMNS} if flt.errors \
        else await services.board(db, tenant, actor, flt)
    return page(request, "assignments/board.html", status_code=status_code, **shown,
                columns=columns,
                # "All of them" of the evaluated column: the list with the board's filters.
                evaluated_query=urlencode([(name, value) for name, value
                                           in parse_qsl(shown["query"]) if name != "status"]
                                          + [("status", "evaluated")]),
                status_names=dict(labels.statuses()), refused_id=refused_id, message=message,
                # On the board, the moves that need no reason; the others are on the page.
                moves={status: [(name, actions[name]) for name in allowed_actions(status)
                                if name not in NEEDS_REASON]
                       for status in services.BOARD_COLUMNS},
                evaluated_shown=services.BOARD_EVALUATED)


@get("/assignments/timeline", name="assignment_timeline", guards=MANAGE)
async def assignment_timeline(request: Request, tenant: CurrentTenant, db: Db,
                              actor: CurrentActor) -> Response:
    """Who is where when: a table of weeks, drawn on the server (no chart library), with
    the list's filters."""
    flt, shown = await _filters(request, db, tenant, request.query_params)
    weeks, rows = await services.timeline(db, tenant, actor, flt)
    return page(request, "assignments/timeline.html", status_code=400 if flt.errors else 200,
                **shown, weeks=weeks, rows=[] if flt.errors else rows,
                today=services.mission_today(tenant), one_week=timedelta(weeks=1))


@get("/assignments/board", name="assignment_board", guards=MANAGE)
async def assignment_board(request: Request, tenant: CurrentTenant, db: Db,
                           actor: CurrentActor) -> Response:
    """Staff's board by status: each card moves on with the same rules as its page (htmx
    swaps the board; without JavaScript the forms post and come back), with the list's
    filters."""
    return await _board_page(request, tenant, db, actor, request.query_params)


@post("/assignments/{assignment_id:uuid}/plan", name="assignment_plan", guards=MANAGE)
async def assignment_plan(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                          assignment_id: FromPath[uuid.UUID], data: FormData) -> Response:
    form = PlanForm(planned_start=data.get("planned_start", ""),
                    planned_end=data.get("planned_end", ""), modality=data.get("modality", ""),
                    duty_station=data.get("duty_station", ""), reason=data.get("reason", ""),
                    version=form_version(data.get("version")),
                    funding_project_id=data.get("funding_project_id"))
    try:
        await services.change_plan(db, tenant, actor, assignment_id, form,
                                   absolute_url(request, _url(tenant, assignment_id)))
    except (AssignmentRefused, StaleForm, FormErrors) as exc:
        return await _refused(request, tenant, db, actor, assignment_id, exc, dict(data))
    return flash(request, Redirect(_url(tenant, assignment_id), status_code=303), "success",
                 _("The plan is saved."))


@post("/assignments/{assignment_id:uuid}/checklist/{item_id:uuid}", name="assignment_tick",
      guards=MANAGE)
async def assignment_tick(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                          assignment_id: FromPath[uuid.UUID], item_id: FromPath[uuid.UUID],
                          data: FormData) -> Response:
    try:
        await services.tick(db, tenant, actor, assignment_id, item_id, data.get("done") == "1",
                            form_version(data.get("version")))
    except (AssignmentRefused, StaleForm) as exc:
        return await _refused(request, tenant, db, actor, assignment_id, exc, {})
    return Redirect(_url(tenant, assignment_id) + "#checklist", status_code=303)


# --- the final report, the evaluation and their review ---------------------------------------

@post("/assignments/{assignment_id:uuid}/report", name="assignment_report", guards=EXPERT_ONLY,
      request_max_body_size=BODY_LIMIT,
      exception_handlers={RequestEntityTooLarge: upload_too_large(
          PROFILE_OWN, "attachment", gettext_noop("Final report"))})
async def assignment_report(request: Request, tenant: CurrentTenant, db: Db,
                            actor: CurrentActor, assignment_id: FromPath[uuid.UUID],
                            data: MultipartForm) -> Response:
    """The final report's sections, and an attached document when one is chosen."""
    texts = {name: value for name, value in data.items() if isinstance(value, str)}
    upload = data.get("attachment")
    if isinstance(upload, list):  # the field sent twice: take the first file
        upload = next((item for item in upload if isinstance(item, UploadFile)), None)
    attachment = None
    if isinstance(upload, UploadFile) and upload.filename:
        try:
            content = await upload.read()  # bounded by BODY_LIMIT
        finally:
            await upload.close()
        attachment = services.Attachment(upload.filename, content,
                                         storage_for(request.app.state.settings),
                                         request.app.state.settings.max_upload_mb * MB)
    try:
        await services.submit_report(db, tenant, actor, assignment_id, texts,
                                     absolute_url(request, _url(tenant, assignment_id)),
                                     attachment=attachment)
    except (AssignmentRefused, FormErrors) as exc:
        return await _refused(request, tenant, db, actor, assignment_id, exc, texts)
    return flash(request, Redirect(_url(tenant, assignment_id), status_code=303), "success",
                 _("Your final report is sent to the mission."))


@get("/assignments/{assignment_id:uuid}/report/attachment", name="assignment_report_file",
     guards=VIEW)
async def assignment_report_file(request: Request, tenant: CurrentTenant, db: Db,
                                 actor: CurrentActor,
                                 assignment_id: FromPath[uuid.UUID]) -> Response:
    filename, content_type, content = await services.report_attachment(
        db, tenant, actor, assignment_id, storage_for(request.app.state.settings))
    return download(filename, content_type, content)


@post("/assignments/{assignment_id:uuid}/host-rating", name="assignment_host_rating",
      guards=EXPERT_ONLY)
async def assignment_host_rating(request: Request, tenant: CurrentTenant, db: Db,
                                 actor: CurrentActor, assignment_id: FromPath[uuid.UUID],
                                 data: FormData) -> Response:
    """The expert rates the host institution (for staff's eyes only)."""
    try:
        await closing.rate_host(db, tenant, actor, assignment_id, data,
                                data.get("host_comments", ""))
    except (AssignmentRefused, FormErrors) as exc:
        return await _refused(request, tenant, db, actor, assignment_id, exc, dict(data))
    return flash(request, Redirect(_url(tenant, assignment_id) + "#host-rating",
                                   status_code=303),
                 "success", _("Thank you: your rating is with the mission."))


@get("/assignments/{assignment_id:uuid}/letter.pdf", name="assignment_letter", guards=VIEW)
async def assignment_letter(request: Request, tenant: CurrentTenant, db: Db,
                            actor: CurrentActor, assignment_id: FromPath[uuid.UUID]) -> Response:
    """The completion letter, for the expert and staff once the assignment is evaluated."""
    filename, content = await closing.completion_letter(db, tenant, actor, assignment_id)
    return download(filename, "application/pdf", content)


@post("/assignments/{assignment_id:uuid}/evaluation", name="assignment_evaluation",
      guards=INSTITUTION_ONLY)
async def assignment_evaluation(request: Request, tenant: CurrentTenant, db: Db,
                                actor: CurrentActor, assignment_id: FromPath[uuid.UUID],
                                data: FormData) -> Response:
    try:
        await services.submit_evaluation(db, tenant, actor, assignment_id, data,
                                         data.get("comments", ""),
                                         absolute_url(request, _url(tenant, assignment_id)))
    except (AssignmentRefused, FormErrors) as exc:
        return await _refused(request, tenant, db, actor, assignment_id, exc, dict(data))
    return flash(request, Redirect(_url(tenant, assignment_id), status_code=303), "success",
                 _("Your evaluation is sent to the mission. Thank you."))


@post("/assignments/{assignment_id:uuid}/review", name="assignment_review", guards=MANAGE)
async def assignment_review(request: Request, tenant: CurrentTenant, db: Db,
                            actor: CurrentActor, assignment_id: FromPath[uuid.UUID],
                            data: FormData) -> Response:
    part = data.get("part", "")
    try:
        await services.review(db, tenant, actor, assignment_id, part, data.get("decision", ""),
                              data.get("reason", ""), form_version(data.get("version")),
                              absolute_url(request, _url(tenant, assignment_id)))
    except (AssignmentRefused, StaleForm) as exc:
        return await _refused(request, tenant, db, actor, assignment_id, exc, dict(data))
    return flash(request, Redirect(_url(tenant, assignment_id), status_code=303), "success",
                 _("Review saved."))


@post("/assignments/{assignment_id:uuid}/outputs", name="assignment_outputs", guards=VIEW)
async def assignment_outputs(request: Request, tenant: CurrentTenant, db: Db,
                             actor: CurrentActor, assignment_id: FromPath[uuid.UUID],
                             data: FormData) -> Response:
    """The expert (or staff) record the outputs in donors' figures."""
    try:
        await outputs.save_outputs(db, tenant, actor, assignment_id, dict(data),
                                   form_version(data.get("version")))
    except (AssignmentRefused, StaleForm, FormErrors) as exc:
        return await _refused(request, tenant, db, actor, assignment_id, exc, dict(data))
    return flash(request, Redirect(_url(tenant, assignment_id) + "#outputs", status_code=303),
                 "success", _("The outputs are saved."))


# --- milestones and deliverables -----------------------------------------------------------

def _milestone_form(data) -> MilestoneForm:
    return MilestoneForm(title=data.get("title", ""), kind=data.get("kind", ""),
                         due_date=data.get("due_date", ""), status=data.get("status", "pending"),
                         version=form_version(data.get("version")))


@post("/assignments/{assignment_id:uuid}/milestones", name="milestone_add", guards=MANAGE)
async def milestone_add(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                        assignment_id: FromPath[uuid.UUID], data: FormData) -> Response:
    """A new milestone, or (from_terms) the request's tasks and deliverables again."""
    try:
        if data.get("from_terms") == "1":
            await milestones.add_from_terms(db, tenant, actor, assignment_id,
                                            form_version(data.get("version")))
        else:
            await milestones.add_milestone(db, tenant, actor, assignment_id,
                                           _milestone_form(data))
    except (AssignmentRefused, StaleForm, FormErrors) as exc:
        return await _refused(request, tenant, db, actor, assignment_id, exc,
                              {**dict(data), "milestone": "new"})
    return flash(request, Redirect(_url(tenant, assignment_id) + "#milestones", status_code=303),
                 "success", _("Milestones saved."))


@post("/assignments/{assignment_id:uuid}/milestones/{milestone_id:uuid}",
      name="milestone_change", guards=MANAGE)
async def milestone_change(request: Request, tenant: CurrentTenant, db: Db,
                           actor: CurrentActor, assignment_id: FromPath[uuid.UUID],
                           milestone_id: FromPath[uuid.UUID], data: FormData) -> Response:
    try:
        await milestones.change_milestone(db, tenant, actor, assignment_id, milestone_id,
                                          _milestone_form(data), remove=bool(data.get("remove")))
    except (AssignmentRefused, StaleForm, FormErrors) as exc:
        return await _refused(request, tenant, db, actor, assignment_id, exc,
                              {**dict(data), "milestone": str(milestone_id)})
    return flash(request, Redirect(_url(tenant, assignment_id) + "#milestones", status_code=303),
                 "success", _("Milestones saved."))


@post("/assignments/{assignment_id:uuid}/milestones/{milestone_id:uuid}/evidence",
      name="milestone_evidence", guards=VIEW, request_max_body_size=BODY_LIMIT,
      exception_handlers={RequestEntityTooLarge: upload_too_large(
          ASSIGNMENTS_VIEW, "evidence", gettext_noop("Evidence"))})
async def milestone_evidence(request: Request, tenant: CurrentTenant, db: Db,
                             actor: CurrentActor, assignment_id: FromPath[uuid.UUID],
                             milestone_id: FromPath[uuid.UUID], data: MultipartForm) -> Response:
    """The expert (or staff) hand in one more evidence file of a milestone."""
    upload = data.get("evidence")
    if isinstance(upload, list):  # the field sent twice: take the first file
        upload = next((item for item in upload if isinstance(item, UploadFile)), None)
    content, filename = None, ""
    if isinstance(upload, UploadFile):  # else no file chosen: browsers send an empty field
        try:
            content, filename = await upload.read(), upload.filename  # bounded by BODY_LIMIT
        finally:
            await upload.close()
    try:
        await milestones.save_evidence(db, tenant, actor, assignment_id, milestone_id,
                                       filename, content,
                                       storage_for(request.app.state.settings),
                                       max_bytes=request.app.state.settings.max_upload_mb * MB)
    except (AssignmentRefused, FormErrors) as exc:
        return await _refused(request, tenant, db, actor, assignment_id, exc,
                              {"milestone": str(milestone_id)})
    return flash(request, Redirect(_url(tenant, assignment_id) + "#milestones", status_code=303),
                 "success", _("The evidence is uploaded."))


@get("/assignments/{assignment_id:uuid}/milestones/{milestone_id:uuid}/evidence/"
     "{evidence_id:uuid}", name="milestone_evidence_file", guards=VIEW)
async def milestone_evidence_file(request: Request, tenant: CurrentTenant, db: Db,
                                  actor: CurrentActor, assignment_id: FromPath[uuid.UUID],
                                  milestone_id: FromPath[uuid.UUID],
                                  evidence_id: FromPath[uuid.UUID]) -> Response:
    filename, content_type, content = await milestones.read_evidence(
        db, tenant, actor, assignment_id, milestone_id, evidence_id,
        storage_for(request.app.state.settings))
    return download(filename, content_type, content)


@post("/assignments/{assignment_id:uuid}/milestones/{milestone_id:uuid}/evidence/"
      "{evidence_id:uuid}/remove", name="milestone_evidence_remove", guards=MANAGE)
async def milestone_evidence_remove(request: Request, tenant: CurrentTenant, db: Db,
                                    actor: CurrentActor, assignment_id: FromPath[uuid.UUID],
                                    milestone_id: FromPath[uuid.UUID],
                                    evidence_id: FromPath[uuid.UUID],
                                    data: FormData) -> Response:
    """Staff remove an evidence file while the assignment is open."""
    try:
        await milestones.remove_evidence(db, tenant, actor, assignment_id, milestone_id,
                                         evidence_id, form_version(data.get("version")),
                                         storage_for(request.app.state.settings))
    except (AssignmentRefused, StaleForm) as exc:
        return await _refused(request, tenant, db, actor, assignment_id, exc,
                              {"milestone": str(milestone_id)})
    return flash(request, Redirect(_url(tenant, assignment_id) + "#milestones", status_code=303),
                 "success", _("The evidence file is removed."))


# --- reminders ------------------------------------------------------------------------------

@post("/assignments/reminders", name="assignment_reminders", guards=VIEW)
async def assignment_reminders(request: Request, tenant: CurrentTenant, db: Db,
                               actor: CurrentActor, data: FormData) -> Response:
    """The signed-in person turns their daily reminders on or off."""
    on = data.get("on") == "1"
    await reminders_service.set_reminders(db, tenant, actor, on)
    return flash(request, Redirect(f"/{tenant.slug}/assignments", status_code=303), "success",
                 _("Reminders are on.") if on else _("Reminders are off."))


@get("/reminders/stop/{token:str}", name="reminders_stop_page")
async def reminders_stop_page(request: Request, tenant: CurrentTenant, db: Db,
                              token: FromPath[str]) -> Response:
    """The link at the foot of every reminder: a button, because mail programs open links
    on their own to look at them."""
    person = await reminders_service.person_of_stop_link(
        db, tenant, request.app.state.secret_key, token, now())
    return page(request, "assignments/reminders_stop.html", email=person.email, done=False)


@post("/reminders/stop/{token:str}", name="reminders_stop")
async def reminders_stop(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                         token: FromPath[str]) -> Response:
    person = await reminders_service.stop_by_link(db, tenant, actor,
                                                  request.app.state.secret_key, token, now())
    return page(request, "assignments/reminders_stop.html", email=person.email, done=True)


# --- the follow-up questionnaire ------------------------------------------------------------

@get("/follow-up/{token:str}", name="follow_up_page")
async def follow_up_page(request: Request, tenant: CurrentTenant, db: Db,
                         token: FromPath[str]) -> Response:
    """The questionnaire a focal point opens from the mail, without signing in."""
    found = await follow_ups.questionnaire(db, tenant, request.app.state.secret_key, token,
                                           now())
    return page(request, "assignments/follow_up.html", q=found, errors={}, form={},
                still_used=labels.still_used())


@post("/follow-up/{token:str}", name="follow_up_answer")
async def follow_up_answer(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                           token: FromPath[str], data: FormData) -> Response:
    try:
        await follow_ups.answer(db, tenant, actor, request.app.state.secret_key, token,
                                dict(data), now())
    except FormErrors as exc:
        await db.rollback()
        found = await follow_ups.questionnaire(db, tenant, request.app.state.secret_key,
                                               token, now())
        return page(request, "assignments/follow_up.html", status_code=exc.status, q=found,
                    errors=exc.errors, form=dict(data), still_used=labels.still_used())
    return page(request, "assignments/follow_up.html", q=None, errors={}, form={},
                still_used=[])


# --- the mission's checklist ----------------------------------------------------------------

async def _checklist_page(request: Request, tenant, db, errors: dict | None = None,
                          form: dict | None = None, status_code: int = 200) -> Response:
    return page(request, "assignments/checklist.html", status_code=status_code,
                items=await services.checklist_for_admin(db, tenant),
                item_label=services.item_label, errors=errors or {}, form=form or {},
                max_items=services.MAX_ITEMS)


@get("/admin/checklist", name="checklist_admin", guards=CONFIGURE)
async def checklist_admin(request: Request, tenant: CurrentTenant, db: Db) -> Response:
    return await _checklist_page(request, tenant, db)


@post("/admin/checklist", name="checklist_add", guards=CONFIGURE)
async def checklist_add(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                        data: FormData) -> Response:
    try:
        await services.add_checklist_item(db, tenant, actor, data.get("label", ""),
                                          data.get("remote") == "1")
    except FormErrors as exc:
        await db.rollback()
        return await _checklist_page(request, tenant, db, exc.errors, dict(data), exc.status)
    return flash(request, Redirect(f"/{tenant.slug}/admin/checklist", status_code=303),
                 "success", _("Item added to the checklist."))


@post("/admin/checklist/{item_id:uuid}", name="checklist_change", guards=CONFIGURE)
async def checklist_change(request: Request, tenant: CurrentTenant, db: Db,
                           actor: CurrentActor, item_id: FromPath[uuid.UUID]) -> Response:
    form = await text_form(request)
    await services.change_checklist_item(db, tenant, actor, item_id, form.get("active") == "1",
                                         form.get("remote") == "1")
    return flash(request, Redirect(f"/{tenant.slug}/admin/checklist", status_code=303),
                 "success", _("Checklist saved."))


ASSIGNMENT_ROUTES = [assignment_list, assignment_export, assignment_calendar,
                     assignment_calendar_address, assignment_calendar_feed, assignment_board,
                     assignment_timeline,
                     assignment_detail, assignment_move, assignment_plan,
                     assignment_tick, assignment_report, assignment_evaluation,
                     assignment_review, assignment_outputs, assignment_report_file,
                     assignment_host_rating, assignment_letter, assignment_reminders,
                     reminders_stop_page, reminders_stop, follow_up_page, follow_up_answer,
                     milestone_add, milestone_change, milestone_evidence,
                     milestone_evidence_file, milestone_evidence_remove, checklist_admin, checklist_add, checklist_change]
