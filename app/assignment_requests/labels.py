"""Labels of assignment requests' coded values, in the reader's language."""

from __future__ import annotations

from app.core.templates import template_global
from app.i18n import gettext as _


def statuses() -> list[tuple[str, str]]:
    return [("draft", _("Draft")), ("submitted", _("Submitted to the mission")),
            ("open", _("Open for matching")), ("shortlisting", _("Shortlisting")),
            ("filled", _("Filled")), ("closed", _("Closed")), ("rejected", _("Not accepted")),
            ("cancelled", _("Cancelled"))]


def status_label(status: str) -> str:
    """For templates and mail, in the language being rendered."""
    return dict(statuses()).get(status, status)


template_global("request_status_label", status_label)


def priorities() -> list[tuple[str, str]]:
    return [("low", _("Low")), ("normal", _("Normal")), ("high", _("High")),
            ("urgent", _("Urgent"))]


def actions() -> dict[str, str]:
    return {"submit": _("Submit to the mission"), "open": _("Approve and open for matching"),
            "request_changes": _("Send back for changes"), "reject": _("Reject"),
            "start_shortlisting": _("Start shortlisting"), "reopen": _("Back to matching"),
            "fill": _("Mark as filled"), "close": _("Close"), "cancel": _("Cancel the request")}


def history() -> dict[str, str]:
    """What each step of a request's history says: the audit actions recorded on it, its
    shortlist's included."""
    return {"assignment_request.created": _("Draft created"),
            "assignment_request.edited": _("Edited"),
            "assignment_request.document_uploaded": _("Terms of reference attached"),
            "assignment_request.imported": _("Imported from a roster file"),
            "shortlist.added": _("Expert added to the shortlist"),
            "shortlist.removed": _("Expert taken off the shortlist"),
            "shortlist.invite": _("Expert invited"),
            "shortlist.accept": _("Invitation accepted"),
            "shortlist.decline": _("Invitation declined"),
            "shortlist.interested": _("An expert said they are interested"),
            "shortlist.shared": _("Shortlist shared with the institution"),
            "shortlist.institution_choice": _("The institution's choice recorded"),
            "shortlist.confirm": _("Selection confirmed"),
            **{f"assignment_request.{action}": label for action, label in actions().items()}}


def steps() -> list[tuple[str, str]]:
    return [("terms", _("Terms of reference")), ("profile", _("Expert wanted")),
            ("logistics", _("Dates and logistics")), ("document", _("Attachment"))]
