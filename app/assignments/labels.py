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


def report_sections() -> list[tuple[str, str, str]]:
    """(field, heading, what to write)."""
    return [("activities", _("Activities"), _("What you did, with whom, and when.")),
            ("results", _("Results"), _("What came of it: people trained, documents, changes "
                                         "seen.")),
            ("challenges", _("Challenges"), _("What stood in the way, and how it was met.")),
            ("recommendations", _("Recommendations"), _("What the institution and the mission "
                                                         "should do next."))]


def evaluation_criteria() -> list[tuple[str, str]]:
    return [("relevance", _("Relevance to the institution's needs")),
            ("quality", _("Quality of the work")),
            ("timeliness", _("Timeliness")),
            ("knowledge_transfer", _("Knowledge passed on to the staff")),
            ("would_host_again", _("Would host this expert again"))]


def host_rating_criteria() -> list[tuple[str, str]]:
    return [("support_received", _("Support received from the institution")),
            ("preparation", _("How well the institution prepared the work")),
            ("would_go_again", _("Would go to this institution again"))]


def still_used() -> list[tuple[str, str]]:
    return [("yes", _("Yes")), ("partly", _("Partly")), ("no", _("No"))]


def review_statuses() -> dict[str, str]:
    return {"submitted": _("Waiting for the mission's review"), "accepted": _("Accepted"),
            "returned": _("Returned for changes")}


def history() -> dict[str, str]:
    """What each step of an assignment's history says."""
    return {"assignment.created": _("Selection confirmed: assignment created"),
            "assignment.planned": _("Plan set"),
            "assignment.postponed": _("Postponed"),
            "assignment.checklist_ticked": _("Preparation item done"),
            "assignment.checklist_unticked": _("Preparation item undone"),
            "assignment.report_submitted": _("Final report sent"),
            "assignment.report_accepted": _("Final report accepted"),
            "assignment.report_returned": _("Final report returned"),
            "assignment.evaluation_submitted": _("Evaluation sent"),
            "assignment.evaluation_accepted": _("Evaluation accepted"),
            "assignment.evaluation_returned": _("Evaluation returned"),
            "assignment.milestone_added": _("Milestone added"),
            "assignment.milestones_from_terms": _("Milestones taken from the terms of "
                                                  "reference"),
            "assignment.milestone_changed": _("Milestone changed"),
            "assignment.milestone_removed": _("Milestone removed"),
            "assignment.milestone_evidence": _("Milestone evidence handed in"),
            "assignment.milestone_evidence_removed": _("Milestone evidence removed"),
            "assignment.outputs_recorded": _("Outputs recorded"),
            "assignment.follow_up_sent": _("Follow-up questionnaire sent"),
            "assignment.follow_up_answered": _("Follow-up questionnaire answered"),
            **{f"assignment.{action}": label for action, label in actions().items()}}


def milestone_kinds() -> list[tuple[str, str]]:
    return [("milestone", _("Milestone")), ("deliverable", _("Deliverable"))]


def milestone_statuses() -> list[tuple[str, str]]:
    return [("pending", _("To do")), ("done", _("Done")), ("dropped", _("Dropped"))]


def output_counts() -> list[tuple[str, str]]:
    """The counted outputs after the people trained (those go by sex_labels)."""
    return [("sessions_held", _("Sessions held")),
            ("documents_produced", _("Documents produced")),
            ("institutions_supported", _("Institutions supported"))]


def part_label(part: str) -> str:
    return {"report": _("the final report"), "evaluation": _("the evaluation")}.get(part, part)


template_global("assignment_status_label", status_label)
template_global("assignment_part_label", part_label)
