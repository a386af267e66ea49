"""People counted by sex, in the same four categories everywhere in the portal (trainings'
participants, assignments' outputs, the reports that add them up)."""

from __future__ import annotations

from app.i18n import gettext as _

SEX_CATEGORIES = ("female", "male", "other", "not_recorded")


def sex_labels() -> list[tuple[str, str]]:
    return [("female", _("Female")), ("male", _("Male")), ("other", _("Other")),
            ("not_recorded", _("Not recorded"))]
