"""Every visible string of the code and templates is translated in every catalogue."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.config import PROJECT_ROOT
from app.i18n import LOCALES_DIR, SUPPORTED_LOCALES, choose_locale, text_direction, translations

TRANSLATED = [loc for loc in SUPPORTED_LOCALES if loc != "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def source_messages() -> set[str]:
    method_map = [("app/**.py", "python"), ("tenants/**.py", "python"),
                  ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    jinja = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
    options = {"templates/**.html": jinja, "templates/**.txt": jinja}
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
            PROJECT_ROOT, method_map, options_map=options,
            keywords={"_": None, "gettext": None, "ngettext": (1, 2)}):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.fixture(scope="module")
def messages() -> set[str]:
    found = source_messages()
    assert len(found) > 30
    return found


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_translates_every_message(locale, messages):
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=locale)
    untranslated = sorted(m for m in messages
                          if m not in catalog or not catalog[m].string or catalog[m].fuzzy)
    assert not untranslated, f"{locale}: run scripts/i18n-update and translate {untranslated}"
    for message in messages:
        translated = catalog[message].string
        for form in (translated if isinstance(translated, tuple) else (translated,)):
            assert form, (locale, message)
            assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(form)), \
                (locale, message)


def test_translations_are_loaded():
    assert translations("ar").gettext("Page not found") == "الصفحة غير موجودة"
    assert translations("pt").gettext("Partner agencies") == "Agências parceiras"
    assert translations("fr").gettext("Missions") == "Missions"


def test_locale_choice_rule():
    offered = ("ar", "en")
    assert choose_locale("en", offered, "ar") == "en"
    assert choose_locale("pt", offered, "ar") == "ar"  # not offered by this mission
    assert choose_locale(None, offered, "ar", "en-GB,en") == "en"  # the browser before the default
    assert choose_locale(None, offered, "ar", "fr,pt") == "ar"  # none offered: the default
    assert choose_locale(None, SUPPORTED_LOCALES, "en", "fr-CA,fr;q=0.9") == "fr"
    assert text_direction("ar") == "rtl" and text_direction("pt") == "ltr"
