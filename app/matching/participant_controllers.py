"""The shortlist's pages for the people on it (staff's side is app.matching.controllers):
the expert's invitations and open requests under /me, and the institution's view of the
shortlist. What they may see and do is decided in app.matching.participants."""

from __future__ import annotations

import uuid

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.core.roles import PROFILE_OWN, REQUESTS_VIEW
from app.documents import download
from app.experts import labels as expert_labels
from app.i18n import gettext as _
from app.matching import participants
from app.matching.controllers import criterion_labels
from app.matching.shortlist import ShortlistRefused
from app.storage import storage_for
from app.web.deps import CurrentActor, CurrentTenant, Db, Search
from app.web.flash import flash
from app.web.forms import text_form
from app.web.guards import requires
from app.web.reference import language_label
from app.web.templating import page

OWN, VIEW = [requires(PROFILE_OWN)], [requires(REQUESTS_VIEW)]


def expert_status_labels() -> dict[str, str]:
    """An entry's status in the expert's words."""
    return {"interested": _("You said you are interested"),
            "invited": _("Invited: the mission waits for your answer"),
            "accepted": _("You accepted"), "declined": _("You declined"),
            "selected": _("Selected"), "not_selected": _("Not selected")}


def institution_status_labels() -> dict[str, str]:
    """An entry's status as the institution reads it."""
    return {"proposed": _("Proposed by the mission"), "interested": _("Proposed by the mission"),
            "invited": _("Invited by the mission"), "accepted": _("Available: accepted"),
            "selected": _("Selected")}


# --- the expert's invitations --------------------------------------------------------------

@get("/me/invitations", name="expert_invitations", guards=OWN)
async def expert_invitations(request: Request, tenant: CurrentTenant, db: Db,
                             actor: CurrentActor) -> Response:
    return page(request, "matching/expert_invitations.html",
                rows=await participants.own_invitations(db, tenant, actor),
                status_names=expert_status_labels())


async def _invitation_page(request: Request, tenant, db, actor, entry_id, errors=None,
                           status_code: int = 200, form=None) -> Response:
    locale = request.state.locale
    shown = await participants.invitation_for_expert(db, tenant, actor, entry_id, locale)
    return page(request, "matching/expert_invitation.html", status_code=status_code,
                entry=shown.entry, assignment_request=shown.assignment_request,
                institution=shown.institution, required=shown.required,
                desired=shown.desired, languages=shown.languages, document=shown.document,
                sector_name=shown.sector_name,
                language_label=lambda code: language_label(code, locale),
                level_names=dict(expert_labels.language_levels()),
                modality_names=dict(expert_labels.modalities()),
                status_names=expert_status_labels(),
                can_accept=shown.can_accept, can_decline=shown.can_decline,
                errors=errors or {}, form=form or {})


@get("/me/invitations/{entry_id:uuid}", name="expert_invitation", guards=OWN)
async def expert_invitation(request: Request, tenant: CurrentTenant, db: Db,
                            actor: CurrentActor, entry_id: FromPath[uuid.UUID]) -> Response:
    return await _invitation_page(request, tenant, db, actor, entry_id)


@post("/me/invitations/{entry_id:uuid}", name="respond_to_invitation", guards=OWN)
async def respond_to_invitation(request: Request, tenant: CurrentTenant, db: Db,
                                actor: CurrentActor, entry_id: FromPath[uuid.UUID]) -> Response:
    form = await text_form(request)
    action = form.get("action", "")
    try:
        await participants.respond_to_invitation(db, tenant, actor, entry_id, action,
                                                 form.get("reason", ""))
    except ShortlistRefused as exc:
        await db.rollback()
        return await _invitation_page(request, tenant, db, actor, entry_id,
                                      {"reason": exc.message}, 400,
                                      {"reason": form.get("reason", "")})
    message = _("Thank you: the mission knows you accept.") if action == "accept" \
        else _("Thank you: the mission knows you decline.")
    return flash(request, Redirect(f"/{tenant.slug}/me/invitations/{entry_id}", status_code=303),
                 "success", message)


@get("/me/invitations/{entry_id:uuid}/terms", name="expert_invitation_terms", guards=OWN)
async def expert_invitation_terms(request: Request, tenant: CurrentTenant, db: Db,
                                  actor: CurrentActor, entry_id: FromPath[uuid.UUID]) -> Response:
    document, content = await participants.invitation_terms(
        db, tenant, actor, entry_id, storage_for(request.app.state.settings))
    return download(document.filename, document.content_type, content)


# --- open requests that fit the expert ------------------------------------------------------

async def _requests_page(request: Request, tenant, db, search, actor, errors=None,
                         status_code: int = 200) -> Response:
    shown = await participants.open_requests_for_expert(db, tenant, actor, search,
                                                        request.state.locale)
    return page(request, "matching/expert_requests.html", status_code=status_code,
                profile=shown.profile, found=shown.found, from_engine=shown.from_engine,
                sector_names=shown.sector_names, status_names=expert_status_labels(),
                modality_names=dict(expert_labels.modalities()),
                can_express_interest=shown.can_express_interest, errors=errors or {})


@get("/me/requests", name="expert_requests", guards=OWN)
async def expert_requests(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                          search: Search) -> Response:
    return await _requests_page(request, tenant, db, search, actor)


@post("/me/requests/{request_id:uuid}/interest", name="express_interest", guards=OWN)
async def express_interest(request: Request, tenant: CurrentTenant, db: Db, actor: CurrentActor,
                           search: Search, request_id: FromPath[uuid.UUID]) -> Response:
    try:
        assignment_request = await participants.express_interest(db, tenant, actor, request_id)
    except ShortlistRefused as exc:
        await db.rollback()
        return await _requests_page(request, tenant, db, search, actor,
                                    {"interest": exc.message}, 400)
    return flash(request, Redirect(f"/{tenant.slug}/me/requests#request-{request_id}",
                                   status_code=303),
                 "success", _("The mission knows you are interested in request #%(n)s.")
                 % {"n": assignment_request.number})


# --- the institution's view of the shortlist ------------------------------------------------

async def _shortlist_page(request: Request, tenant, db, actor, request_id, errors=None,
                          status_code: int = 200) -> Response:
    shown = await participants.institution_shortlist(db, tenant, actor, request_id,
                                                     request.state.locale, criterion_labels())
    return page(request, "matching/institution_shortlist.html", status_code=status_code,
                assignment_request=shown.assignment_request, shared=shown.shared,
                who=shown.who, institution=shown.institution, candidates=shown.candidates,
                can_choose=shown.can_choose, status_names=institution_status_labels(),
                errors=errors or {})


@get("/requests/{request_id:uuid}/shortlist", name="institution_shortlist", guards=VIEW)
async def institution_shortlist(request: Request, tenant: CurrentTenant, db: Db,
                                actor: CurrentActor, request_id: FromPath[uuid.UUID]) -> Response:
    return await _shortlist_page(request, tenant, db, actor, request_id)


@post("/requests/{request_id:uuid}/selection/{entry_id:uuid}", name="institution_choice",
      guards=VIEW)
async def institution_choice(request: Request, tenant: CurrentTenant, db: Db,
                             actor: CurrentActor, request_id: FromPath[uuid.UUID],
                             entry_id: FromPath[uuid.UUID]) -> Response:
    form = await text_form(request)
    chosen = form.get("chosen") == "1"
    try:
        await participants.choose_candidate(db, tenant, actor, request_id, entry_id, chosen)
    except ShortlistRefused as exc:
        await db.rollback()
        return await _shortlist_page(request, tenant, db, actor, request_id,
                                     {"choice": exc.message}, 400)
    return flash(request, Redirect(f"/{tenant.slug}/requests/{request_id}/shortlist"
                                   f"#entry-{entry_id}", status_code=303), "success",
                 _("Your choice is noted; the mission confirms the selection.") if chosen
                 else _("Your choice is withdrawn."))


PARTICIPANT_ROUTES = [expert_invitations, expert_invitation, respond_to_invitation,
                      expert_invitation_terms, expert_requests, express_interest,
                      institution_shortlist, institution_choice]
