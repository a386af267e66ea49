"""What closes an assignment for its expert: their rating of the host institution (staff
read it, the institution never does) and, once the assignment is evaluated, the completion
letter as a PDF in the reader's language (app.documents.pdf). The letter is written on
demand from the record, never stored: an erased expert's letter is gone with their name."""

from __future__ import annotations

import uuid

from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assignments.models import HOST_RATING_CRITERIA, TRAINED_FIELDS, HostRating
from app.assignments.services import (
    EXPERT,
    STAFF,
    AssignmentRefused,
    AssignmentView,
    get_assignment,
    mission_today,
    read_scores,
)
from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.documents.pdf import PdfDocument
from app.experts.labels import modalities
from app.i18n import current_locale
from app.i18n import gettext as _
from tenants.context import TenantContext

# The expert rates the institution once the work is done.
RATEABLE = frozenset({"completed", "evaluated"})


async def rating_of(db: AsyncSession, tenant: TenantContext,
                    view: AssignmentView) -> HostRating | None:
    """The expert's rating, for staff and for the expert who wrote it; nobody else."""
    if view.who not in (STAFF, EXPERT):
        return None
    return await db.scalar(select(HostRating).where(
        HostRating.tenant_id == tenant.id, HostRating.assignment_id == view.assignment.id))


async def rate_host(db: AsyncSession, tenant: TenantContext, actor: Actor,
                    assignment_id: uuid.UUID, scores: dict[str, str], comments: str) -> None:
    """The expert rates the host institution, 1 to 5 on each criterion (again, to correct
    it); the institution is not told."""
    view = await get_assignment(db, tenant, actor, assignment_id, lock=True)
    if view.who != EXPERT:
        raise PermissionDeniedException()
    if view.assignment.status not in RATEABLE:
        raise AssignmentRefused(_("You rate the host institution once the assignment is "
                                  "completed."))
    values, comments = read_scores(HOST_RATING_CRITERIA, scores, comments, "host_comments")
    rating = await rating_of(db, tenant, view)
    if rating is None:
        rating = HostRating(tenant_id=tenant.id, assignment_id=view.assignment.id, **values)
        db.add(rating)
    for name, value in values.items():
        setattr(rating, name, value)
    rating.comments, rating.submitted_by_id, rating.submitted_at = comments, actor.user_id, now()
    # Audited on its own object, so that the assignment's history (which the institution
    # reads) does not show it.
    record(db, tenant.id, actor, "assignment.host_rated", "host_rating", view.assignment.id,
           after=values)
    await db.commit()


async def completion_letter(db: AsyncSession, tenant: TenantContext, actor: Actor,
                            assignment_id: uuid.UUID) -> tuple[str, bytes]:
    """(file name, PDF) of the completion letter, for the expert and staff once the
    assignment is evaluated; none for an erased expert (the letter is theirs, and what
    stays of them is a number)."""
    view = await get_assignment(db, tenant, actor, assignment_id)
    if view.who not in (STAFF, EXPERT):
        raise PermissionDeniedException()
    if view.profile.erased_at is not None:
        raise NotFoundException()
    a, request = view.assignment, view.request
    if a.status != "evaluated":
        raise AssignmentRefused(_("The completion letter is ready once the assignment is "
                                  "evaluated."))
    await db.commit()
    locale = current_locale()
    mission = tenant.display_name(locale)
    expert = view.profile.full_name or _("Expert #%(n)s") % {"n": view.profile.number}
    start, end = a.actual_start or a.planned_start, a.actual_end or a.planned_end
    dates = f"{start.isoformat() if start else '—'} – {end.isoformat() if end else '—'}"
    doc = PdfDocument(_("Completion letter"), locale, author=mission)
    doc.paragraph(f"Diaspora Bridge · {mission}", size=10)
    doc.heading(_("Completion letter"))
    doc.paragraph(_("The mission confirms that %(expert)s completed the assignment "
                    "\u201c%(title)s\u201d (request #%(number)s) with %(institution)s, from "
                    "%(start)s to %(end)s.") % {
        "expert": expert, "title": request.title,
        "number": request.number, "institution": view.institution.name,
        "start": start.isoformat() if start else "—", "end": end.isoformat() if end else "—"})
    doc.facts([
        (_("Host institution"), view.institution.name),
        (_("Dates"), dates),
        (_("How the expert works"), dict(modalities()).get(a.modality, a.modality)),
        (_("Duty station"), a.duty_station),
        (_("People trained"), str(sum(getattr(a, name) for name in TRAINED_FIELDS))),
        (_("Sessions held"), str(a.sessions_held)),
        (_("Documents produced"), str(a.documents_produced)),
        (_("Institutions supported"), str(a.institutions_supported)),
    ])
    doc.paragraph(_("We thank %(expert)s for the knowledge and the time given to the "
                    "institution and to the programme.") % {"expert": expert})
    doc.space(8)
    doc.paragraph(_("Issued on %(date)s through the Diaspora Bridge portal. Reference: "
                    "%(reference)s.") % {"date": mission_today(tenant).isoformat(),
                                         "reference": f"{request.number}-{a.slot}"}, size=9)
    return f"completion-letter-{request.number}-{a.slot}.pdf", doc.output()
