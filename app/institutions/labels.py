"""Labels of institutions' coded values, in the reader's language."""

from __future__ import annotations

from app.i18n import gettext as _


def kinds() -> list[tuple[str, str]]:
    return [("ministry", _("Ministry")), ("public_agency", _("Public agency")),
            ("university", _("University")), ("ngo", _("NGO")),
            ("private_sector", _("Private sector")), ("other", _("Other"))]


def statuses() -> list[tuple[str, str]]:
    return [("pending", _("Application waiting")), ("approved", _("Approved")),
            ("suspended", _("Suspended")), ("declined", _("Application declined"))]

