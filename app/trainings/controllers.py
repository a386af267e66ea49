"""Trainings' pages: the list (a partner user's home: their agency's activities; staff:
every training of the mission with filters), the form for a new training, the training's
page with its participants, its cascade sessions, its history, the form to correct it while
it may change and the life-cycle actions. Who may see a training is decided in one place:
services.get_training."""

from __future__ import annotations

import uuid
from decimal import Decimal
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.core.errors import FormErrors, StaleForm
from app.core.roles import TRAININGS_RECORD, TRAININGS_VIEW
from app.documents import PDF, download
from app.i18n import gettext as _
from app.partners.funding import list_funding_projects
from app.partners.services import list_partner_agencies
from app.trainings import cascades, evidence, labels, participants, services
from app.trainings.models import (
    AGE_GROUPS,
    SEX_CATEGORIES,
    TRAINING_KINDS,
    TRAINING_STATUSES,
)
from app.trainings.services import TrainingFilter, TrainingForm, TrainingRefused
from app.trainings.states import EDITABLE, PARTNER_ACTIONS, allowed_actions
from app.trainings.terms import OTHER, Terms, mission_terms
from app.web.csv_export import XLSX
from app.web.deps import CurrentActor, CurrentTenant, Db
from app.web.flash import flash
from app.web.forms import FieldErrors, form_version, rows, text_form
from app.web.guards import requires
from app.web.links import absolute_url
from app.web.templating import page

VIEW, RECORD = [requires(TRAININGS_VIEW)], [requires(TRAININGS_RECORD)]
# Empty institution rows offered on the form, below the ones already filled.
BLANK_ROWS = 2


def _url(tenant, training_id=None) -> str:
    return f"/{tenant.slug}/trainings" + (f"/{training_id}" if training_id else "")


async def _choices(db, tenant, offered: Terms | None = None) -> dict:
    offered = offered or await mission_terms(db, tenant)
    return {"kinds": labels.kinds(), "areas": offered.areas,
            "sexes": labels.sexes(), "kind_names": dict(labels.kinds()),
            "age_groups": labels.age_groups(), "modes": labels.participant_modes(),
            "age_names": dict(labels.age_groups()),
            "area_names": dict(offered.areas), "terms": offered,
            "curricula": [*offered.curricula, (OTHER, _("Another (type its name below)"))],
            "sex_names": dict(labels.sexes())}


# --- the list -------------------------------------------------------------------------------

def _filter(params, areas: list[str]) -> TrainingFilter:
    flt, errors = TrainingFilter(), FieldErrors()
    flt.errors = errors
    flt.q = errors.text("q", " ".join(params.get("q", "").split()), 200)
    flt.status = errors.choice("status", params.get("status", ""), TRAINING_STATUSES) or ""
    flt.kind = errors.choice("kind", params.get("kind", ""), TRAINING_KINDS) or ""
    flt.project_id = errors.option_id("project", params.get("project", ""))
    flt.thematic_area = errors.choice("area", params.get("area", ""), areas) or ""
    flt.agency_id = errors.option_id("agency", params.get("agency", ""))
    flt.period_from = errors.day("from", params.get("from", ""), required=False)
    flt.period_to = errors.day("to", params.get("to", ""), required=False)
    if flt.period_from and flt.period_to and flt.period_to < flt.period_from:
        errors["to"] = _("The end comes before the start.")
    return flt


async def _list_page(request: Request, tenant, db, actor, flt: TrainingFilter,
                     offered: Terms) -> Response:
    trainings = [] if flt.errors else await services.list_trainings(db, tenant, actor, flt)
    staff = services.acting_as(actor, None) == services.STAFF
    agencies = await list_partner_agencies(db, tenant) if staff else []
    projects = await list_funding_projects(db, tenant)
    return page(request, "trainings/list.html", status_code=400 if flt.errors else 200,
                rows=trainings, flt=flt, errors=flt.errors, staff=staff,
                status_options=labels.statuses(),
                agency_options=[(str(a.id), a.name) for a in agencies],
                project_options=[(str(p.id), f"{p.code} — {p.name}") for p in projects],
                query=urlencode(list(request.query_params.items())),
                can_record=actor.can(TRAININGS_RECORD), **await _choices(db, tenant, offered))


@get("/trainings", name="training_list", guards=VIEW)
async def training_list(request: Request, tenant: CurrentTenant, db: Db,
                        actor: CurrentActor) -> Response:
    offered = await mission_terms(db, tenant)
    flt = _filter(request.query_params, offered.area_codes)
    return await _list_page(request, tenant, db, actor, flt, offered)


async def _export(request: Request, tenant, db, actor, hxl: bool) -> Response:
    offered = await mission_terms(db, tenant)
    flt = _filter(request.query_params, offered.area_codes)
    if flt.errors:
        return await _list_page(request, tenant, db, actor, flt, offered)
    text = await services.export_csv(db, tenant, actor, flt, hxl=hxl)
    name = f"trainings-{tenant.slug}{'-hxl' if hxl else ''}.csv"
    # Litestar adds the charset to a text/ media type itself: naming it here would say it twice.
    return Response(text.encode("utf-8"), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@get("/trainings/export.csv", name="training_export", guards=VIEW)
async def training_export(request: Request, tenant: CurrentTenant, db: Db,
                          actor: CurrentActor) -> Response:
    """The list as CSV, with the list's filters."""
    return await _export(request, tenant, db, actor, hxl=False)


@get("/trainings/export.hxl.csv", name="training_export_hxl", guards=VIEW)
async def training_export_hxl(request: Request, tenant: CurrentTenant, db: Db,
                              actor: CurrentActor) -> Response:
    """The same CSV with a second header row of HXL hashtags, for humanitarian tools."""
    return await _export(request, tenant, db, actor, hxl=True)


# --- the form -------------------------------------------------------------------------------

def _read_form(data) -> TrainingForm:
    return TrainingForm(
        title=data.get("title", ""), kind=data.get("kind", ""),
        thematic_area=data.get("thematic_area", ""),
        thematic_other=data.get("thematic_other", ""), curriculum=data.get("curriculum", ""),
        curriculum_choice=data.get("curriculum_choice", ""),
        target_group=data.get("target_group", ""), start_date=data.get("start_date", ""),
        end_date=data.get("end_date", ""), place=data.get("place", ""),
        facilitators=data.get("facilitators", ""),
        partner_agency_id=data.get("partner_agency_id", ""),
        parent_id=data.get("parent_id", ""),
        funding_project_id=data.get("funding_project_id", ""),
        assignment_id=data.get("assignment_id", ""),
        participant_mode=data.get("participant_mode", "counts"),
        counts={sex: data.get(sex, "") for sex in SEX_CATEGORIES},
        institutions=rows(data, "inst"),
        ages={age: data.get(f"age-{age}", "") for age in AGE_GROUPS},
        sessions=rows(data, "sess"), version=form_version(data.get("version")))


def _form_values(training, counts, ages: dict[str, int], sessions,
                 curricula: list[str]) -> tuple[dict, dict]:
    """The form's values and rows (institutions, sessions) from a stored training; its
    curriculum chosen from the mission's list (`curricula`) or typed in."""
    values = {name: getattr(training, name) for name in (
        "title", "kind", "thematic_area", "thematic_other", "target_group",
        "start_date", "end_date", "place", "facilitators", "participant_mode",
        *SEX_CATEGORIES)}
    values["partner_agency_id"] = str(training.partner_agency_id)
    listed = training.curriculum in curricula
    values["curriculum_choice"] = training.curriculum if listed else (
        OTHER if training.curriculum else "")
    values["curriculum"] = "" if listed else training.curriculum
    for name in ("parent_id", "funding_project_id", "assignment_id"):
        values[name] = str(getattr(training, name) or "")
    values.update({f"age-{age}": n for age, n in ages.items()})
    return values, {
        "institutions": [{"institution": c.institution,
                          **{s: getattr(c, s) for s in SEX_CATEGORIES}} for c in counts],
        "sessions": [{"day": str(s.day), "hours": str(s.hours), "place": s.place,
                      "online": "1" if s.online else ""} for s in sessions]}


def _with_blank_rows(found: dict | None) -> dict:
    """Each row list of the form with empty rows below the filled ones."""
    found = found or {}
    return {shown: found.get(name, []) + [{} for _i in range(BLANK_ROWS)]
            for name, shown in (("institutions", "institutions"),
                                ("sessions", "session_rows"))}


async def _form_context(db, tenant, actor, training=None) -> dict:
    agencies = await services.agencies_for(db, tenant, actor)
    parents = await services.parent_options(db, tenant, actor,
                                            training.id if training else None)
    projects = await list_funding_projects(db, tenant)
    kept = training.funding_project_id if training else None
    return {"agency_options": [(str(a.id), a.name) for a in agencies],
            "choose_agency": services.acting_as(actor, None) == services.STAFF,
            "parent_options": [(str(t.id), f"{t.title} ({t.start_date})") for t in parents],
            "project_options": [(str(p.id), f"{p.code} — {p.name} ({p.donor})")
                                for p in projects if p.status == "active" or p.id == kept],
            "assignment_options": await services.assignment_options(db, tenant, actor),
            **await _choices(db, tenant)}


async def _new_page(request: Request, tenant, db, actor, errors: dict | None = None,
                    form: dict | None = None, row_lists: dict | None = None,
                    status_code: int = 200) -> Response:
    if services.acting_as(actor, None) is None:
        raise PermissionDeniedException(_("Your account names no partner agency: ask your "
                                          "mission's administrators to add you to yours."))
    return page(request, "trainings/new.html", status_code=status_code, errors=errors or {},
                form=form or {}, **_with_blank_rows(row_lists),
                **await _form_context(db, tenant, actor))


@get("/trainings/export.xlsx", name="training_export_xlsx", guards=VIEW)
async def training_export_xlsx(request: Request, tenant: CurrentTenant, db: Db,
                               actor: CurrentActor) -> Response:
    """The list as XLSX: the CSV's rows, with the list's filters."""
    offered = await mission_terms(db, tenant)
    flt = _filter(request.query_params, offered.area_codes)
    if flt.errors:
        return await _list_page(request, tenant, db, actor, flt, offered)
    return download(f"trainings-{tenant.slug}.xlsx", XLSX,
                    await services.export_xlsx(db, tenant, actor, flt))


@get("/trainings/new", name="training_new", guards=RECORD)
async def training_new(request: Request, tenant: CurrentTenant, db: Db,
                       actor: CurrentActor) -> Response:
    return await _new_page(request, tenant, db, actor)


def _posted_rows(data) -> dict:
    return {name: [row for _i, row in rows(data, prefix, keep_blank=False)]
            for name, prefix in (("institutions", "inst"), ("sessions", "sess"))}


@post("/trainings/new", name="training_create", guards=RECORD)
async def training_create(request: Request, tenant: CurrentTenant, db: Db,
                          actor: CurrentActor) -> Response:
    data = await text_form(request)
    try:
        training = await services.create_training(db, tenant, actor, _read_form(data))
    except FormErrors as exc:
        await db.rollback()
        return await _new_page(request, tenant, db, actor, exc.errors, dict(data),
                               _posted_rows(data), exc.status)
    return flash(request, Redirect(_url(tenant, training.id), status_code=303), "success",
                 _("The training is recorded."))


# --- one training ---------------------------------------------------------------------------

async def _training_page(request: Request, tenant, db, actor, training_id: uuid.UUID,
                         errors: dict | None = None, form: dict | None = None,
                         row_lists: dict | None = None, status_code: int = 200,
                         move_errors: dict | None = None,
                         participant_errors: dict | None = None,
                         participant_form: dict | None = None,
                         evidence_errors: dict | None = None,
                         evidence_form: dict | None = None) -> Response:
    """The training's page; `errors` belong to the edit form, `move_errors` to the next
    step's form, `participant_errors` to the form adding a participant, `evidence_errors`
    to the attendance grid (`evidence_form`: what it sent)."""
    view = await services.get_training(db, tenant, actor, training_id)
    training = view.training
    counts = await services.institution_counts(db, tenant, training)
    ages = await participants.age_counts_of(db, tenant, training)
    sessions = await participants.sessions_of(db, tenant, training)
    offered = await mission_terms(db, tenant)
    values, stored_rows = _form_values(training, counts, ages, sessions,
                                       [code for code, _name in offered.curricula])
    staff = view.who == services.STAFF
    action_names = labels.actions()
    actions = [(a, action_names[a]) for a in allowed_actions(training.status)
               if staff or a in PARTNER_ACTIONS]
    editable = training.status in EDITABLE and actor.can(TRAININGS_RECORD)
    return page(request, "trainings/detail.html", status_code=status_code, view=view,
                t=training, staff=staff, counts=counts, errors=errors or {},
                form=form if form is not None else values,
                **_with_blank_rows(row_lists if row_lists is not None else stored_rows),
                sessions=sessions,
                total_hours=sum((s.hours for s in sessions), Decimal(0)),
                breakdowns=participants.breakdowns(training, counts, ages,
                                                   dict(labels.age_groups())),
                people=(await participants.participants_of(db, tenant, training)
                        if training.participant_mode == "individual" else []),
                participant_errors=participant_errors or {},
                participant_form=participant_form or {},
                learning=await services.learning_evidence(db, tenant, training),
                evidence_errors=evidence_errors or {}, evidence_form=evidence_form,
                move_errors=move_errors or {}, editable=editable, actions=actions,
                can_record=actor.can(TRAININGS_RECORD),
                reach=await cascades.cascade_tree(db, tenant, view),
                history=await services.history(db, tenant, view),
                history_labels=labels.history(),
                project=await services.funding_project_of(db, tenant, training),
                **(await _form_context(db, tenant, actor, training) if editable
                   else await _choices(db, tenant)))


@get("/trainings/{training_id:uuid}", name="training_detail", guards=VIEW)
async def training_detail(request: Request, tenant: CurrentTenant, db: Db,
                          actor: CurrentActor, training_id: FromPath[uuid.UUID]) -> Response:
    return await _training_page(request, tenant, db, actor, training_id)


@post("/trainings/{training_id:uuid}/edit", name="training_edit", guards=RECORD)
async def training_edit(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                        training_id: FromPath[uuid.UUID]) -> Response:
    data = await text_form(request)
    try:
        await services.update_training(db, tenant, actor, training_id, _read_form(data))
    except (FormErrors, TrainingRefused, StaleForm) as exc:
        await db.rollback()
        keep = not isinstance(exc, StaleForm)
        return await _training_page(request, tenant, db, actor, training_id, exc.errors,
                                    dict(data) if keep else None,
                                    _posted_rows(data) if keep else None, exc.status)
    return flash(request, Redirect(_url(tenant, training_id), status_code=303), "success",
                 _("The training is saved."))


@post("/trainings/{training_id:uuid}/move", name="training_move", guards=RECORD)
async def training_move(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                        training_id: FromPath[uuid.UUID]) -> Response:
    data = await text_form(request)
    action = data.get("action", "")
    try:
        await services.move(db, tenant, actor, training_id, action, data.get("reason", ""),
                            form_version(data.get("version")),
                            absolute_url(request, _url(tenant, training_id)))
    except (TrainingRefused, StaleForm) as exc:
        await db.rollback()
        return await _training_page(request, tenant, db, actor, training_id,
                                    status_code=exc.status, move_errors=exc.errors)
    return flash(request, Redirect(_url(tenant, training_id), status_code=303), "success",
                 _("Done: %(action)s.") % {"action": labels.actions().get(action, action)})


# --- participants one by one ----------------------------------------------------------------

def _read_participant(data) -> participants.ParticipantForm:
    return participants.ParticipantForm(
        name=data.get("p-name", ""), sex=data.get("p-sex", ""),
        age_group=data.get("p-age_group", ""), institution=data.get("p-institution", ""),
        role=data.get("p-role", ""), contact=data.get("p-contact", ""),
        consent=data.get("p-consent") == "1")


def _to_participants(tenant, training_id) -> Redirect:
    return Redirect(_url(tenant, training_id) + "#participants", status_code=303)


@post("/trainings/{training_id:uuid}/participants", name="training_participant_add",
      guards=RECORD)
async def training_participant_add(request: Request, tenant: CurrentTenant, db: Db,
                                   actor: CurrentActor,
                                   training_id: FromPath[uuid.UUID]) -> Response:
    data = await text_form(request)
    try:
        await services.add_participant(db, tenant, actor, training_id, _read_participant(data),
                                       form_version(data.get("version")))
    except (FormErrors, TrainingRefused, StaleForm) as exc:
        await db.rollback()
        return await _training_page(request, tenant, db, actor, training_id,
                                    status_code=exc.status, participant_errors=exc.errors,
                                    participant_form=dict(data))
    return flash(request, _to_participants(tenant, training_id), "success",
                 _("The participant is added."))


@post("/trainings/{training_id:uuid}/participants/{participant_id:uuid}/remove",
      name="training_participant_remove", guards=RECORD)
async def training_participant_remove(request: Request, tenant: CurrentTenant, db: Db,
                                      actor: CurrentActor, training_id: FromPath[uuid.UUID],
                                      participant_id: FromPath[uuid.UUID]) -> Response:
    data = await text_form(request)
    try:
        await services.remove_participant(db, tenant, actor, training_id, participant_id,
                                          form_version(data.get("version")))
    except (TrainingRefused, StaleForm) as exc:
        await db.rollback()
        return await _training_page(request, tenant, db, actor, training_id,
                                    status_code=exc.status, participant_errors=exc.errors)
    return flash(request, _to_participants(tenant, training_id), "success",
                 _("The participant is removed."))


@post("/trainings/{training_id:uuid}/participants/{participant_id:uuid}/withdraw",
      name="training_participant_withdraw", guards=RECORD)
async def training_participant_withdraw(request: Request, tenant: CurrentTenant, db: Db,
                                        actor: CurrentActor, training_id: FromPath[uuid.UUID],
                                        participant_id: FromPath[uuid.UUID]) -> Response:
    await services.withdraw_consent(db, tenant, actor, training_id, participant_id)
    return flash(request, _to_participants(tenant, training_id), "success",
                 _("The participant's name, role and contact are erased: they stay as "
                   "counts."))


# --- learning evidence ----------------------------------------------------------------------

@post("/trainings/{training_id:uuid}/evidence", name="training_evidence", guards=RECORD)
async def training_evidence(request: Request, tenant: CurrentTenant, db: Db,
                            actor: CurrentActor, training_id: FromPath[uuid.UUID]) -> Response:
    """The attendance grid: who attended which session, or how many."""
    data = await text_form(request)
    try:
        await services.record_evidence(db, tenant, actor, training_id,
                                       evidence.read_form(data),
                                       form_version(data.get("version")))
    except (FormErrors, TrainingRefused, StaleForm) as exc:
        await db.rollback()
        keep = not isinstance(exc, StaleForm)
        return await _training_page(request, tenant, db, actor, training_id,
                                    status_code=exc.status, evidence_errors=exc.errors,
                                    evidence_form=dict(data) if keep else None)
    return flash(request, Redirect(_url(tenant, training_id) + "#evidence", status_code=303),
                 "success", _("The attendance and tests are saved."))


# --- certificates ---------------------------------------------------------------------------

def _verify_url(request: Request, tenant):
    return lambda code: absolute_url(request, f"/{tenant.slug}/certificates/{code}")


@get("/trainings/{training_id:uuid}/participants/{participant_id:uuid}/certificate.pdf",
     name="training_certificate", guards=VIEW)
async def training_certificate(request: Request, tenant: CurrentTenant, db: Db,
                               actor: CurrentActor, training_id: FromPath[uuid.UUID],
                               participant_id: FromPath[uuid.UUID]) -> Response:
    filename, content = await services.certificate(db, tenant, actor, training_id,
                                                   participant_id, _verify_url(request, tenant))
    return download(filename, PDF, content)


@get("/certificates/{code:str}", name="certificate_check")
async def certificate_check(request: Request, tenant: CurrentTenant, db: Db,
                            code: FromPath[str]) -> Response:
    """Public: whether a certificate is genuine (only the name, the activity, the date)."""
    return page(request, "trainings/certificate.html",
                check=await services.check_certificate(db, tenant, code[:40]))


TRAINING_ROUTES = [training_list, training_export, training_export_xlsx,
                   training_export_hxl, training_new, training_create, training_detail,
                   training_edit, training_move, training_participant_add,
                   training_participant_remove, training_participant_withdraw, training_evidence,
                   training_certificate, certificate_check]
