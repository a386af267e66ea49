"""An assignment's outputs in the figures donors ask for: people trained by sex (the
portal's four categories), sessions held, documents produced, institutions supported, and
what the numbers do not say. The expert or staff keep them while the work goes on and until
the assignment is evaluated; the reports add them up.

A training a partner agency records may later be linked to its assignment: its
participants are then the training's, and the reports count them once (there, not here)."""

from __future__ import annotations

import uuid

from litestar.exceptions import PermissionDeniedException
from sqlalchemy.ext.asyncio import AsyncSession

from app.assignments.models import OUTPUT_FIELDS
from app.assignments.services import (
    EXPERT,
    REPORTABLE,
    STAFF,
    AssignmentRefused,
    _check_version,
    get_assignment,
)
from app.audit.services import record
from app.core.actor import Actor
from app.core.errors import FormErrors
from app.core.versions import bump_version
from app.i18n import gettext as _
from app.web.forms import FieldErrors

MAX_COUNT = 1_000_000
MAX_NOTES = 5_000


async def save_outputs(db: AsyncSession, tenant, actor: Actor, assignment_id: uuid.UUID,
                       form: dict[str, str], version: int | None) -> None:
    view = await get_assignment(db, tenant, actor, assignment_id, lock=True)
    if view.who not in (STAFF, EXPERT):
        raise PermissionDeniedException()
    assignment = view.assignment
    _check_version(assignment, version)
    if assignment.status not in REPORTABLE:
        raise AssignmentRefused(_("Outputs are recorded once the assignment has started, "
                                  "until it is evaluated."))
    errors = FieldErrors()
    values = {name: errors.integer(name, form.get(name, "").strip(), 0, MAX_COUNT) or 0
              for name in OUTPUT_FIELDS}
    notes = errors.text("outputs_notes", form.get("outputs_notes", "").strip(), MAX_NOTES)
    if errors:
        raise FormErrors(errors)
    before = {name: getattr(assignment, name) for name in OUTPUT_FIELDS}
    if before == values and notes == assignment.outputs_notes:
        await db.rollback()
        return
    for name, value in values.items():
        setattr(assignment, name, value)
    assignment.outputs_notes = notes
    bump_version(assignment)
    # The figures, not the notes: those may name people.
    record(db, tenant.id, actor, "assignment.outputs_recorded", "assignment", assignment.id,
           before=before, after=values)
    await db.commit()
