"""The shortlist of a request: staff add candidates (with the score and its explanation at
that moment), invite them, share the list with the institution, and confirm the expert the
institution chose (or, with a reason on record, one it has not), which creates the
assignment through the hook app/assignments registers. Experts accept or decline
invitations and can say they are interested in an open request. The statuses move only as
SHORTLIST_TRANSITIONS says."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.accounts.services import get_user
from app.assignment_requests.models import AssignmentRequest
from app.assignment_requests.services import acting_as
from app.assignment_requests.states import INSTITUTION, MATCHABLE, STAFF, next_state
from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import Refusal
from app.experts.models import ExpertProfile
from app.i18n import gettext as _
from app.matching.models import ShortlistEntry
from app.notifications.services import queue_mail
from tenants.context import TenantContext

EXPERT = "expert"
# (status, action) -> (new status, who)
SHORTLIST_TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("proposed", "invite"): ("invited", STAFF),
    ("interested", "invite"): ("invited", STAFF),
    ("proposed", "express_interest"): ("interested", EXPERT),  # the expert asks too
    ("invited", "accept"): ("accepted", EXPERT),
    ("invited", "decline"): ("declined", EXPERT),
    ("accepted", "decline"): ("declined", EXPERT),  # the expert can still step back
    ("accepted", "confirm"): ("selected", STAFF),
    # The places are filled by others: whoever is still in the running is not selected.
    ("proposed", "not_select"): ("not_selected", STAFF),
    ("interested", "not_select"): ("not_selected", STAFF),
    ("invited", "not_select"): ("not_selected", STAFF),
    ("accepted", "not_select"): ("not_selected", STAFF),
}
# Still in the running: told when the places are filled by others.
ACTIVE = frozenset({"proposed", "interested", "invited", "accepted"})


class ShortlistRefused(Refusal):
    """A shortlist move its transition table or the actor's role does not allow; `field`
    is the form field the message belongs to."""

    def __init__(self, message: str, field_name: str = "shortlist"):
        super().__init__(message, field=field_name)


# What a confirmed selection creates: assignments come later in the domain order, so they
# register their creator here (app/assignments/services.py) instead of being imported.
# (db, tenant, actor, request, profile id, shortlist entry id, slot) -> the assignment
SelectionHook = Callable[..., Awaitable[Any]]
_on_selection: SelectionHook | None = None


def selection_confirmed(create: SelectionHook) -> SelectionHook:
    global _on_selection
    _on_selection = create
    return create


def _move(entry: ShortlistEntry, action: str, who: str) -> str:
    target = SHORTLIST_TRANSITIONS.get((entry.status, action))
    if target is None or target[1] != who:
        raise ShortlistRefused(_("This is not possible at this stage."))
    return target[0]


async def entries(db: AsyncSession, tenant: TenantContext,
                  request: AssignmentRequest) -> list[tuple[ShortlistEntry, ExpertProfile]]:
    rows = await db.execute(
        select(ShortlistEntry, ExpertProfile)
        .join(ExpertProfile, ExpertProfile.id == ShortlistEntry.profile_id)
        .where(ShortlistEntry.tenant_id == tenant.id, ShortlistEntry.request_id == request.id)
        .order_by(ShortlistEntry.score.desc().nulls_last(), ExpertProfile.number))
    return [(entry, profile) for entry, profile in rows]


async def get_entry(db: AsyncSession, tenant: TenantContext, request: AssignmentRequest,
                    entry_id: uuid.UUID, lock: bool = False) -> ShortlistEntry:
    query = select(ShortlistEntry).where(ShortlistEntry.tenant_id == tenant.id,
                                         ShortlistEntry.request_id == request.id,
                                         ShortlistEntry.id == entry_id)
    entry = await db.scalar(query.with_for_update() if lock else query)
    if entry is None:
        raise NotFoundException()
    return entry


async def add(db: AsyncSession, tenant: TenantContext, actor: Actor, request: AssignmentRequest,
              profile_id: uuid.UUID, note: str, score: int | None,
              explanation: dict) -> ShortlistEntry:
    """Staff put a verified expert on the list (again: the note and score are updated)."""
    if request.status not in MATCHABLE:
        raise ShortlistRefused(_("Open the request for matching first."))
    profile = await db.scalar(select(ExpertProfile).where(
        ExpertProfile.tenant_id == tenant.id, ExpertProfile.id == profile_id))
    if profile is None or profile.status != "verified":
        raise ShortlistRefused(_("Only verified experts can be shortlisted."))
    entry = await db.scalar(select(ShortlistEntry).where(
        ShortlistEntry.tenant_id == tenant.id, ShortlistEntry.request_id == request.id,
        ShortlistEntry.profile_id == profile_id))
    if entry is None:
        entry = ShortlistEntry(tenant_id=tenant.id, request_id=request.id, profile_id=profile_id,
                               status="proposed", added_by_id=actor.user_id)
        db.add(entry)
    entry.note, entry.score, entry.explanation = note.strip()[:2000], score, explanation
    await db.flush()
    record(db, tenant.id, actor, "shortlist.added", "assignment_request", request.id,
           after={"expert_number": profile.number, "score": score})
    await db.commit()
    return entry


async def remove(db: AsyncSession, tenant: TenantContext, actor: Actor,
                 request: AssignmentRequest, entry: ShortlistEntry) -> None:
    if entry.status not in ("proposed", "interested", "declined"):
        raise ShortlistRefused(_("An invited expert stays on the list until they answer."))
    await db.delete(entry)
    record(db, tenant.id, actor, "shortlist.removed", "assignment_request", request.id)
    await db.commit()


async def _entry_profile(db: AsyncSession, tenant: TenantContext,
                         entry: ShortlistEntry) -> ExpertProfile | None:
    """The shortlisted expert's profile (the entry itself was fetched for the actor)."""
    return await db.scalar(select(ExpertProfile).where(ExpertProfile.tenant_id == tenant.id,
                                                       ExpertProfile.id == entry.profile_id))


async def _expert_user(db: AsyncSession, tenant: TenantContext,
                       entry: ShortlistEntry) -> tuple[ExpertProfile, User | None]:
    profile = await _entry_profile(db, tenant, entry)
    assert profile is not None  # the entry's profile_id is a foreign key in the same mission
    user = await get_user(db, profile.user_id) if profile.user_id else None
    return profile, user


def _set_request_status(db: AsyncSession, tenant: TenantContext, actor: Actor,
                        request: AssignmentRequest, action: str) -> None:
    """Move the request as its own transition table allows (and audit it like a click)."""
    target = next_state(request.status, action, STAFF)
    if target is None:
        raise ShortlistRefused(_("This request is not open for selection any more."))
    before = request.status
    request.status, request.updated_at = target, now()
    record(db, tenant.id, actor, f"assignment_request.{action}", "assignment_request",
           request.id, before={"status": before}, after={"status": target, "reason": None})


async def invite(db: AsyncSession, tenant: TenantContext, actor: Actor,
                 request: AssignmentRequest, entry: ShortlistEntry, link: str) -> None:
    """Invite a shortlisted expert; the first invitation starts the request's shortlisting."""
    if request.status not in MATCHABLE:
        raise ShortlistRefused(_("Open the request for matching first."))
    entry.status = _move(entry, "invite", STAFF)
    if request.status == "open":
        _set_request_status(db, tenant, actor, request, "start_shortlisting")
    entry.invited_at = now()
    profile, user = await _expert_user(db, tenant, entry)
    record(db, tenant.id, actor, "shortlist.invite", "assignment_request", request.id,
           after={"expert_number": profile.number})
    if user is not None:
        queue_mail(db, tenant, user.email, "shortlist_invitation",
                   user.preferred_locale or tenant.default_locale, name=user.name,
                   number=request.number, title=request.title, link=link)
    await db.commit()


async def respond(db: AsyncSession, tenant: TenantContext, actor: Actor,
                  request: AssignmentRequest, entry: ShortlistEntry, action: str,
                  reason: str) -> None:
    """The invited expert accepts or declines (a reason is asked for a decline)."""
    profile = await _entry_profile(db, tenant, entry)
    if profile is None or profile.user_id != actor.user_id:
        raise NotFoundException()
    if action not in ("accept", "decline"):
        raise ShortlistRefused(_("This is not possible at this stage."))
    reason = reason.strip()[:2000]
    if action == "decline" and not reason:
        raise ShortlistRefused(_("Tell the mission why, in a few words."))
    if action == "accept" and request.status not in MATCHABLE:
        raise ShortlistRefused(_("This request is not open for selection any more."))
    entry.status = _move(entry, action, EXPERT)
    entry.responded_at, entry.response_reason = now(), reason
    record(db, tenant.id, actor, f"shortlist.{action}", "assignment_request", request.id,
           after={"expert_number": profile.number, "reason": reason or None})
    await db.commit()


async def express_interest(db: AsyncSession, tenant: TenantContext, actor: Actor,
                           request: AssignmentRequest, profile: ExpertProfile) -> ShortlistEntry:
    """An expert asks to be considered: they appear on the staff's list for the request."""
    if request.status not in MATCHABLE:
        raise NotFoundException()
    if profile.status != "verified":
        raise ShortlistRefused(_("Your profile must be verified by the mission first."))
    entry = await db.scalar(select(ShortlistEntry).where(
        ShortlistEntry.tenant_id == tenant.id, ShortlistEntry.request_id == request.id,
        ShortlistEntry.profile_id == profile.id))
    if entry is not None and entry.status != "proposed":
        return entry
    if entry is not None:  # staff had proposed them: the interest is kept, not dropped
        entry.status = _move(entry, "express_interest", EXPERT)
    else:
        entry = ShortlistEntry(tenant_id=tenant.id, request_id=request.id,
                               profile_id=profile.id, status="interested", explanation={})
        db.add(entry)
    await db.flush()
    record(db, tenant.id, actor, "shortlist.interested", "assignment_request", request.id,
           after={"expert_number": profile.number})
    await db.commit()
    return entry


async def share(db: AsyncSession, tenant: TenantContext, actor: Actor,
                request: AssignmentRequest, link: str, focal_points) -> None:
    """Let the institution's focal points see the shortlist (pseudonymous where the expert
    has not agreed otherwise) and mark their choice."""
    if request.status not in MATCHABLE:
        raise ShortlistRefused(_("Open the request for matching first."))
    request.shortlist_shared_at = now()
    record(db, tenant.id, actor, "shortlist.shared", "assignment_request", request.id)
    for person in focal_points:
        queue_mail(db, tenant, person.email, "shortlist_shared",
                   person.preferred_locale or tenant.default_locale, name=person.name,
                   number=request.number, title=request.title, link=link)
    await db.commit()


async def mark_choice(db: AsyncSession, tenant: TenantContext, actor: Actor,
                      request: AssignmentRequest, entry: ShortlistEntry, chosen: bool) -> None:
    if acting_as(actor, request) != INSTITUTION or request.shortlist_shared_at is None:
        raise NotFoundException()
    if entry.status in ("declined", "not_selected"):
        raise ShortlistRefused(_("This expert is no longer available for this request."))
    entry.chosen_by_institution = chosen
    record(db, tenant.id, actor, "shortlist.institution_choice", "assignment_request",
           request.id, after={"entry": str(entry.id), "chosen": chosen})
    await db.commit()


def expert_can_be_named(entry: ShortlistEntry, shares_profile: bool) -> bool:
    """Whether the institution may see who the expert is: they consented to sharing their
    profile with institutions, or accepted this very invitation."""
    return shares_profile or entry.status in ("accepted", "selected")


async def confirm(db: AsyncSession, tenant: TenantContext, actor: Actor,
                  request: AssignmentRequest, entry: ShortlistEntry, link_for_expert,
                  override_reason: str = ""):
    """Staff confirm an expert who accepted: the assignment takes the next free place.

    The institution chooses first: confirming an expert it has not chosen (or before it saw
    the shortlist) needs `override_reason`, which the audit trail keeps. The request row is
    locked first, so two confirmations at once are served one after the other and the second
    sees the place taken (the assignments' unique slot backs this up). When the last place
    is filled, the request is filled and everyone still in the running is told they were not
    selected."""
    if _on_selection is None:  # a programming error: the entry point did not import app.domains
        raise RuntimeError("no assignment creator registered (import app.domains)")
    await db.execute(select(AssignmentRequest.id).where(
        AssignmentRequest.tenant_id == tenant.id, AssignmentRequest.id == request.id)
        .with_for_update())
    await db.refresh(request)
    await db.refresh(entry)
    override_reason = override_reason.strip()[:2000]
    chosen = request.shortlist_shared_at is not None and entry.chosen_by_institution
    if not chosen and not override_reason:
        raise ShortlistRefused(_("The host institution has not chosen this expert. Share the "
                                 "shortlist and wait for its choice, or give the reason to "
                                 "confirm without it."), "override_reason")
    if request.status == "open":  # staff went back to matching; selecting resumes shortlisting
        _set_request_status(db, tenant, actor, request, "start_shortlisting")
    if request.status != "shortlisting":
        raise ShortlistRefused(_("This request is not open for selection any more."))
    taken = await db.scalar(select(func.count()).select_from(ShortlistEntry).where(
        ShortlistEntry.tenant_id == tenant.id, ShortlistEntry.request_id == request.id,
        ShortlistEntry.status == "selected")) or 0
    if taken >= request.experts_wanted:
        raise ShortlistRefused(_("Every place of this request is already filled."))
    entry.status = _move(entry, "confirm", STAFF)
    assignment = await _on_selection(db, tenant, actor, request, entry.profile_id, entry.id,
                                     taken + 1)
    profile, user = await _expert_user(db, tenant, entry)
    record(db, tenant.id, actor, "shortlist.confirm", "assignment_request", request.id,
           after={"expert_number": profile.number, "slot": assignment.slot,
                  "chosen_by_institution": chosen, "override_reason": override_reason or None})
    if user is not None:
        queue_mail(db, tenant, user.email, "shortlist_selected",
                   user.preferred_locale or tenant.default_locale, name=user.name,
                   number=request.number, title=request.title, link=link_for_expert)
    if taken + 1 >= request.experts_wanted:
        _set_request_status(db, tenant, actor, request, "fill")
        for other, other_profile in await entries(db, tenant, request):
            if other.id == entry.id or other.status not in ACTIVE:
                continue
            told = other.status != "proposed"  # a proposed expert never heard of it
            other.status = _move(other, "not_select", STAFF)
            if told and other_profile.user_id:
                person = await get_user(db, other_profile.user_id)
                if person is not None:
                    queue_mail(db, tenant, person.email, "shortlist_not_selected",
                               person.preferred_locale or tenant.default_locale,
                               name=person.name, number=request.number, title=request.title)
    await db.commit()
    return assignment
