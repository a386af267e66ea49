"""Labels of the registry's coded values, in the reader's language (one place for forms,
profile pages and exports)."""

from __future__ import annotations

from app.experts.models import LANGUAGE_LEVELS
from app.i18n import gettext as _


def language_levels() -> list[tuple[str, str]]:
    return [(level, _("Native") if level == "native" else level) for level in LANGUAGE_LEVELS]


def education_levels() -> list[tuple[str, str]]:
    return [("3", _("Upper secondary")), ("4", _("Post-secondary, non-tertiary")),
            ("5", _("Short-cycle tertiary")), ("6", _("Bachelor's or equivalent")),
            ("7", _("Master's or equivalent")), ("8", _("Doctorate or equivalent"))]


def modalities() -> list[tuple[str, str]]:
    return [("on_site", _("On site")), ("remote", _("Remote")), ("hybrid", _("Hybrid"))]


def availability_kinds() -> list[tuple[str, str]]:
    return [("available", _("Available")), ("unavailable", _("Not available"))]


def genders() -> list[tuple[str, str]]:
    return [("female", _("Female")), ("male", _("Male")), ("other", _("Other")),
            ("undisclosed", _("Prefer not to say"))]


def consent_purposes() -> list[tuple[str, str]]:
    return [("matching", _("Keep my profile in the registry and match it to assignment requests")),
            ("share_with_institutions",
             _("Show my full profile (name, contact details, CV) to host institutions")),
            ("future_contact", _("Contact me about future programmes"))]
