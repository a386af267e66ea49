"""Labels of assignments' coded values, in the reader's language."""

from __future__ import annotations

from app.core.templates import template_global
from app.i18n import gettext as _


def statuses() -> list[tuple[str, str]]:
    return [("planned", _("Planned")), ("contracted", _("Contracted")),
            ("in_progress", _("In progress")), ("completed", _("Completed")),
            ("evaluated", _("Evaluated")), ("cancelled", _("Cancelled"))]


def status_label(status: str) -> str:
    return dict(statuses()).get(status, status)


def actions() -> dict[str, str]:
    return {"contract": _("Contract signed"), "start": _("Start the assignment"),
            "complete": _("Mark as completed"), "evaluate": _("Mark as evaluated"),
            "close_without_evaluation": _("Close without the institution's evaluation"),
            "cancel": _("Cancel the assignment")}


def checklist_labels() -> dict[str, str]:
    return {"contract": _("Contract signed"), "travel": _("Travel booked"),
            "visa": _("Visa"), "insurance": _("Insurance"),
            "security_briefing": _("Security briefing"),
            "host_ready": _("Host institution ready")}


def history() -> dict[str, str]:
    """What each step of an assignment's history says."""
    return {"assignment.created": _("Selection confirmed: assignment created"),
            "assignment.planned": _("Plan set"),
            "assignment.postponed": _("Postponed"),
            "assignment.checklist_ticked": _("Preparation item done"),
            "assignment.checklist_unticked": _("Preparation item undone"),
            **{f"assignment.{action}": label for action, label in actions().items()}}


template_global("assignment_status_label", status_label)
