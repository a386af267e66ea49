"""Labels of partner agencies' coded values, in the reader's language."""

from __future__ import annotations

from app.core.templates import template_global
from app.i18n import gettext as _


def kinds() -> list[tuple[str, str]]:
    return [("un_agency", _("UN agency")), ("ministry", _("Ministry")),
            ("committee", _("National committee")),
            ("judiciary", _("Judiciary and prosecution")),
            ("ngo", _("Civil society organisation")), ("other", _("Other organisation"))]


def kind_label(kind: str) -> str:
    return dict(kinds()).get(kind, kind)


template_global("partner_kind_label", kind_label)
