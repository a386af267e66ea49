"""An assignment's milestones and deliverables: first taken from the request's terms of
reference (app.assignments.terms), kept by staff (add, edit, drop, remove), done by the
expert or staff with evidence files checked like a CV (app.documents) and stored through
app.storage; staff remove a file handed in by mistake while the assignment is open. A pending one past its due date (the day in the mission's time zone) is
overdue: the lists show it and filter on it."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date

from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.assignments.models import (
    MILESTONE_KINDS,
    MILESTONE_STATUSES,
    Assignment,
    Milestone,
    MilestoneEvidence,
)
from app.assignments.services import (
    EXPERT,
    STAFF,
    AssignmentRefused,
    AssignmentView,
    _check_version,
    _iso,
    get_assignment,
    is_overdue,
    mission_today,
)
from app.assignments.states import OPEN
from app.assignments.terms import MAX_TITLE, from_terms
from app.audit.services import record
from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import FormErrors
from app.core.versions import bump_version
from app.documents import clean_filename, validate_document
from app.i18n import gettext as _
from app.storage import DocumentStorage, new_key, store_replacing
from app.web.forms import FieldErrors
from tenants.context import TenantContext

log = logging.getLogger(__name__)

MAX_MILESTONES = 40
MAX_EVIDENCE = 10  # files per milestone


@dataclass
class EvidenceLine:
    file: MilestoneEvidence
    uploaded_by: str  # the person's name, "" once their account is gone


@dataclass
class MilestoneLine:
    milestone: Milestone
    overdue: bool
    evidence: list[EvidenceLine] = field(default_factory=list)


async def milestones_of(db: AsyncSession, tenant: TenantContext,
                        view: AssignmentView) -> list[MilestoneLine]:
    """The assignment's milestones in order, each with its evidence files (oldest first)."""
    today = mission_today(tenant)
    rows = await db.scalars(select(Milestone).where(
        Milestone.tenant_id == tenant.id, Milestone.assignment_id == view.assignment.id)
        .order_by(Milestone.position, Milestone.created_at))
    lines = {m.id: MilestoneLine(m, is_overdue(m, view.assignment, today)) for m in rows}
    for evidence, name in await db.execute(
            select(MilestoneEvidence, User.name)
            .outerjoin(User, User.id == MilestoneEvidence.uploaded_by_id)
            .where(MilestoneEvidence.tenant_id == tenant.id,
                   MilestoneEvidence.assignment_id == view.assignment.id)
            .order_by(MilestoneEvidence.created_at, MilestoneEvidence.id)):
        lines[evidence.milestone_id].evidence.append(EvidenceLine(evidence, name or ""))
    return list(lines.values())


async def _evidence_count(db: AsyncSession, tenant: TenantContext,
                          milestone_id: uuid.UUID) -> int:
    return await db.scalar(select(func.count()).select_from(MilestoneEvidence).where(
        MilestoneEvidence.tenant_id == tenant.id,
        MilestoneEvidence.milestone_id == milestone_id)) or 0


@dataclass
class MilestoneForm:
    title: str = ""
    kind: str = "milestone"
    due_date: str = ""
    status: str = "pending"
    version: int | None = None


def _checked(form: MilestoneForm, assignment: Assignment) -> tuple[str, str, date | None, str]:
    errors = FieldErrors()
    title = errors.text("title", " ".join(form.title.split()), MAX_TITLE, required=True)
    kind = errors.choice("kind", form.kind, MILESTONE_KINDS, required=True) or "milestone"
    due = errors.day("due_date", form.due_date.strip(), required=False)
    status = errors.choice("status", form.status, MILESTONE_STATUSES, required=True) or "pending"
    if due and assignment.planned_start and due < assignment.planned_start:
        errors["due_date"] = _("The due date comes before the assignment starts.")
    if errors:
        raise FormErrors(errors)
    return title, kind, due, status


async def _for_staff(db: AsyncSession, tenant: TenantContext, actor: Actor,
                     assignment_id: uuid.UUID, version: int | None) -> AssignmentView:
    view = await get_assignment(db, tenant, actor, assignment_id, lock=True)
    if view.who != STAFF:
        raise NotFoundException()
    _check_version(view.assignment, version)
    if view.assignment.status not in OPEN:
        raise AssignmentRefused(_("The assignment is closed: its milestones no longer "
                                  "change."))
    return view


async def _milestone(db: AsyncSession, tenant: TenantContext, view: AssignmentView,
                     milestone_id: uuid.UUID) -> Milestone:
    milestone = await db.scalar(select(Milestone).where(
        Milestone.tenant_id == tenant.id, Milestone.assignment_id == view.assignment.id,
        Milestone.id == milestone_id))
    if milestone is None:
        raise NotFoundException()
    return milestone


def _facts(m: Milestone) -> dict:
    return {"title": m.title, "kind": m.kind, "due_date": _iso(m.due_date), "status": m.status}


async def add_milestone(db: AsyncSession, tenant: TenantContext, actor: Actor,
                        assignment_id: uuid.UUID, form: MilestoneForm) -> Milestone:
    """Staff add a milestone or a deliverable."""
    view = await _for_staff(db, tenant, actor, assignment_id, form.version)
    title, kind, due, _status = _checked(form, view.assignment)
    positions = list(await db.scalars(select(Milestone.position).where(
        Milestone.tenant_id == tenant.id, Milestone.assignment_id == view.assignment.id)))
    if len(positions) >= MAX_MILESTONES:
        raise FormErrors({"title": _("An assignment keeps at most %(n)s milestones.")
                          % {"n": MAX_MILESTONES}})
    milestone = Milestone(tenant_id=tenant.id, assignment_id=view.assignment.id, kind=kind,
                          title=title, due_date=due, status="pending",
                          position=max(positions, default=-1) + 1)
    db.add(milestone)
    await db.flush()
    bump_version(view.assignment)
    record(db, tenant.id, actor, "assignment.milestone_added", "assignment", view.assignment.id,
           after=_facts(milestone))
    await db.commit()
    return milestone


async def add_from_terms(db: AsyncSession, tenant: TenantContext, actor: Actor,
                         assignment_id: uuid.UUID, version: int | None) -> int:
    """Staff take the request's tasks and deliverables again (for an assignment that has
    none, or after the terms changed); returns how many were added."""
    view = await _for_staff(db, tenant, actor, assignment_id, version)
    positions = list(await db.scalars(select(Milestone.position).where(
        Milestone.tenant_id == tenant.id, Milestone.assignment_id == view.assignment.id)))
    rows = from_terms(tenant.id, view.assignment, view.request,
                      max(positions, default=-1) + 1)[:MAX_MILESTONES - len(positions)]
    if not rows:
        raise AssignmentRefused(_("The terms of reference list no tasks or deliverables to "
                                  "add."))
    db.add_all(rows)
    bump_version(view.assignment)
    record(db, tenant.id, actor, "assignment.milestones_from_terms", "assignment",
           view.assignment.id, after={"added": len(rows)})
    await db.commit()
    return len(rows)


async def change_milestone(db: AsyncSession, tenant: TenantContext, actor: Actor,
                           assignment_id: uuid.UUID, milestone_id: uuid.UUID,
                           form: MilestoneForm, remove: bool = False) -> None:
    """Staff edit a milestone (title, kind, due date, status) or remove it with its file."""
    view = await _for_staff(db, tenant, actor, assignment_id, form.version)
    milestone = await _milestone(db, tenant, view, milestone_id)
    before = _facts(milestone)
    if remove:
        if await _evidence_count(db, tenant, milestone.id):
            raise AssignmentRefused(_("This milestone has its evidence: drop it instead of "
                                      "removing it."))
        await db.delete(milestone)
        action, after = "assignment.milestone_removed", {}
    else:
        title, kind, due, status = _checked(form, view.assignment)
        milestone.title, milestone.kind, milestone.due_date = title, kind, due
        if status != milestone.status:
            milestone.status = status
            milestone.done_at = now() if status == "done" else None
        after = _facts(milestone)
        if after == before:
            await db.rollback()
            return
        action = "assignment.milestone_changed"
    bump_version(view.assignment)
    record(db, tenant.id, actor, action, "assignment", view.assignment.id, before=before,
           after=after)
    await db.commit()


async def save_evidence(db: AsyncSession, tenant: TenantContext, actor: Actor,
                        assignment_id: uuid.UUID, milestone_id: uuid.UUID, filename: str,
                        data: bytes | None, storage: DocumentStorage, *, max_bytes: int) -> None:
    """The expert (or staff) hand in one more evidence file of a milestone: a PDF or Word
    document checked by its content, kept beside the earlier ones (at most MAX_EVIDENCE);
    a pending milestone is then done. data: None when no file was chosen."""
    view = await get_assignment(db, tenant, actor, assignment_id)
    if view.who not in (STAFF, EXPERT):
        raise PermissionDeniedException()
    await _milestone(db, tenant, view, milestone_id)
    if view.assignment.status not in OPEN:
        raise AssignmentRefused(_("The assignment is closed: its milestones no longer "
                                  "change."))
    if data is None:  # no file chosen
        raise FormErrors({"evidence": _("Choose the file to upload.")})
    content_type, extension = validate_document(
        data, max_bytes, "evidence", _("Upload the evidence as a PDF or Word (.docx) "
                                       "document."))
    await db.rollback()  # the checks read nothing that must stay locked
    name = clean_filename(filename, extension, default="evidence")
    digest = hashlib.sha256(data).hexdigest()
    key = new_key(tenant.id, "milestones", extension)

    async def save_rows() -> list[str]:
        # Under the assignment's lock: two uploads at once cannot pass the limit together.
        locked = await get_assignment(db, tenant, actor, assignment_id, lock=True)
        row = await _milestone(db, tenant, locked, milestone_id)
        if await _evidence_count(db, tenant, row.id) >= MAX_EVIDENCE:
            raise FormErrors({"evidence": _("A milestone keeps at most %(n)s evidence files: "
                                            "ask the mission to remove one first.")
                              % {"n": MAX_EVIDENCE}})
        db.add(MilestoneEvidence(tenant_id=tenant.id, milestone_id=row.id,
                                 assignment_id=locked.assignment.id, filename=name,
                                 content_type=content_type, size=len(data), sha256=digest,
                                 key=key, uploaded_by_id=actor.user_id))
        if row.status == "pending":
            row.status, row.done_at = "done", now()
        bump_version(locked.assignment)
        # Metadata only: the audit trail never holds the document itself.
        record(db, tenant.id, actor, "assignment.milestone_evidence", "assignment",
               locked.assignment.id, after={"title": row.title, "filename": name,
                                            "size": len(data), "sha256": digest})
        await db.commit()
        return []

    await store_replacing(db, storage, key, data, save_rows)


async def _evidence(db: AsyncSession, tenant: TenantContext, view: AssignmentView,
                    milestone_id: uuid.UUID, evidence_id: uuid.UUID) -> MilestoneEvidence:
    evidence = await db.scalar(select(MilestoneEvidence).where(
        MilestoneEvidence.tenant_id == tenant.id,
        MilestoneEvidence.assignment_id == view.assignment.id,
        MilestoneEvidence.milestone_id == milestone_id, MilestoneEvidence.id == evidence_id))
    if evidence is None:
        raise NotFoundException()
    return evidence


async def remove_evidence(db: AsyncSession, tenant: TenantContext, actor: Actor,
                          assignment_id: uuid.UUID, milestone_id: uuid.UUID,
                          evidence_id: uuid.UUID, version: int | None,
                          storage: DocumentStorage) -> None:
    """Staff remove an evidence file (handed in by mistake, or the wrong version) while the
    assignment is open; the milestone keeps its status. The file goes once the row is."""
    view = await _for_staff(db, tenant, actor, assignment_id, version)
    milestone = await _milestone(db, tenant, view, milestone_id)
    evidence = await _evidence(db, tenant, view, milestone_id, evidence_id)
    key = evidence.key
    await db.delete(evidence)
    bump_version(view.assignment)
    record(db, tenant.id, actor, "assignment.milestone_evidence_removed", "assignment",
           view.assignment.id, before={"title": milestone.title, "filename": evidence.filename,
                                       "sha256": evidence.sha256})
    await db.commit()
    try:
        await storage.delete(key)
    except OSError:
        # The row is gone, so nobody reaches the file: a leftover is only disk space.
        log.warning("could not remove evidence file %s", key, exc_info=True)


async def read_evidence(db: AsyncSession, tenant: TenantContext, actor: Actor,
                        assignment_id: uuid.UUID, milestone_id: uuid.UUID,
                        evidence_id: uuid.UUID,
                        storage: DocumentStorage) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of one evidence file, for anyone who may see the
    assignment; 404 when there is none or its file is gone."""
    view = await get_assignment(db, tenant, actor, assignment_id)
    evidence = await _evidence(db, tenant, view, milestone_id, evidence_id)
    await db.commit()
    try:
        data = await storage.get(evidence.key)
    except FileNotFoundError as exc:
        raise NotFoundException() from exc
    return evidence.filename, evidence.content_type, data
