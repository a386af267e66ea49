"""An assignment's first milestones and deliverables, read from its request's terms of
reference: each task (one a line, bullets allowed) becomes a milestone, due in turn across
the planned dates; each deliverable (one a line, or separated by semicolons) is due at the
planned end. Staff then edit them on the assignment's page."""

from __future__ import annotations

import re
import uuid
from datetime import date

from app.assignment_requests.models import AssignmentRequest
from app.assignments.models import Assignment, Milestone

MAX_TITLE = 300
MAX_FROM_TERMS = 20  # a ToR with a hundred bullet points is not a plan
_BULLET = re.compile(r"^\s*(?:[-*•·–]|\d+[.)])\s*")


def _lines(text: str, semicolons: bool) -> list[str]:
    parts = re.split(r"[\n;]" if semicolons else r"\n", text or "")
    items = []
    for part in parts:
        item = " ".join(_BULLET.sub("", part).split()).rstrip(".")
        if item:
            items.append((item[0].upper() + item[1:])[:MAX_TITLE])
    return items


def _spread(start: date | None, end: date | None, i: int, n: int) -> date | None:
    """The i-th of n steps' due date: the plan's span cut in n equal parts."""
    if start is None or end is None:
        return end
    return start + (end - start) * (i + 1) // n


def from_terms(tenant_id: uuid.UUID, assignment: Assignment, request: AssignmentRequest,
               first_position: int = 0) -> list[Milestone]:
    tasks = _lines(request.tasks, semicolons=False)[:MAX_FROM_TERMS]
    deliverables = _lines(request.deliverables, semicolons=True)[:MAX_FROM_TERMS]
    start, end = assignment.planned_start, assignment.planned_end
    rows = [("milestone", title, _spread(start, end, i, len(tasks)))
            for i, title in enumerate(tasks)]
    rows += [("deliverable", title, end) for title in deliverables]
    return [Milestone(id=uuid.uuid4(), tenant_id=tenant_id, assignment_id=assignment.id,
                      position=first_position + i, kind=kind, title=title, due_date=due,
                      status="pending")
            for i, (kind, title, due) in enumerate(rows)]
