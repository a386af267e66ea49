"""Languages of the portal: gettext catalogues under locales/, the current locale per request,
and the choice rule (the person's saved choice, then the browser's, then the mission default)."""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.core import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR = Path(__file__).parent / "locales"
SUPPORTED_LOCALES = ("en", "ar", "pt", "fr")
DEFAULT_LOCALE = "en"
RTL_LOCALES = frozenset({"ar"})
LANGUAGE_COOKIE = "lang"

_current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> Translations:
    """Compile the .po catalogue in memory once per process (no .mo files to build or commit)."""
    po = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return Translations()  # English: the msgids are the text
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def current_locale() -> str:
    return _current_locale.get()


def set_locale(locale: str):
    return _current_locale.set(locale)


def reset_locale(token) -> None:
    _current_locale.reset(token)


def gettext(message: str) -> str:
    return translations(current_locale()).gettext(message)


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogues where it cannot be translated yet (at import
    time); whoever shows it translates it then with gettext."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale()).ngettext(singular, plural, n)


def text_direction(locale: str) -> str:
    return "rtl" if locale in RTL_LOCALES else "ltr"


def language_name(locale: str) -> str:
    """A language in its own words (العربية, Português), as a language picker shows it."""
    name = Locale.parse(locale).get_display_name(locale)
    assert name is not None, locale  # every supported locale has a name in Babel's data
    return name.capitalize()


def accepted_languages(accept_language: str | None) -> list[str]:
    """The two-letter languages of an Accept-Language header, most wanted first (by q,
    then by order); q=0 means "not this one"."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, *params = [piece.strip() for piece in part.split(";")]
        quality = 1.0
        for param in params:
            if param.lower().startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.lower()[:2]))
    return [tag for _, _, tag in sorted(ranked)]


def choose_locale(chosen: str | None, offered: tuple[str, ...], default: str,
                  accept_language: str | None = None, preferred: str | None = None) -> str:
    """The person's saved choice first: the switcher's cookie, then their account's
    preferred language; then the browser's Accept-Language among the languages offered;
    then the default (the mission's, or English outside a mission)."""
    for saved in (chosen, preferred):
        if saved in offered:
            return saved
    for tag in accepted_languages(accept_language):
        if tag in offered:
            return tag
    return default
