"""Labels of trainings' coded values, in the reader's language."""

from __future__ import annotations

from app.core.sex_categories import sex_labels
from app.core.templates import template_global
from app.i18n import gettext as _


def statuses() -> list[tuple[str, str]]:
    return [("planned", _("Planned")), ("held", _("Held")), ("submitted", _("Submitted")),
            ("returned", _("Returned for correction")), ("approved", _("Approved"))]


def status_label(status: str) -> str:
    return dict(statuses()).get(status, status)


def kinds() -> list[tuple[str, str]]:
    return [("training", _("Training")), ("training_of_trainers", _("Training of trainers")),
            ("cascade", _("Cascade session")), ("awareness", _("Awareness session")),
            ("technical_support", _("Technical support"))]


def thematic_areas() -> list[tuple[str, str]]:
    return [("counter_trafficking", _("Counter-trafficking")),
            ("mixed_migration", _("Mixed migration")),
            ("border_management", _("Border management")),
            ("avrr", _("Assisted voluntary return and reintegration")),
            ("labour_migration", _("Labour migration")),
            ("unaccompanied_minors", _("Unaccompanied minors")),
            ("protection", _("Protection")), ("other", _("Other"))]


def sexes() -> list[tuple[str, str]]:
    return sex_labels()


def age_groups() -> list[tuple[str, str]]:
    return [("under_18", _("Under 18")), ("18_24", _("18 to 24")), ("25_34", _("25 to 34")),
            ("35_49", _("35 to 49")), ("50_plus", _("50 and over")),
            ("not_recorded", _("Not recorded"))]


def participant_modes() -> list[tuple[str, str]]:
    return [("counts", _("As counts (by sex, age group and institution)")),
            ("individual", _("One by one (sex, age group, and with consent name and "
                             "contact)"))]


def actions() -> dict[str, str]:
    return {"hold": _("Mark as held"), "submit": _("Submit for review"),
            "approve": _("Approve"), "return": _("Return for correction"),
            "reopen": _("Reopen")}


def history() -> dict[str, str]:
    """What each step of a training's history says."""
    return {"training.created": _("Training recorded"),
            "training.updated": _("Training changed"),
            "training.participant_added": _("Participant added"),
            "training.participant_removed": _("Participant removed"),
            "training.participants_imported": _("Participants imported"),
            "training.consent_withdrawn": _("A participant withdrew consent"),
            "training.evidence_recorded": _("Attendance and tests recorded"),
            **{f"training.{action}": label for action, label in actions().items()}}


template_global("training_status_label", status_label)
