"""Reference lists for forms, in the reader's language: countries (ISO 3166) and languages
(ISO 639-1), from Babel's CLDR data so that Arabic and Portuguese readers see their own
names."""

from __future__ import annotations

from functools import lru_cache

from babel.core import Locale


@lru_cache(maxsize=8)
def _locale(locale: str) -> Locale:
    """Parsed once: a page names a country on each of its rows."""
    return Locale.parse(locale)


@lru_cache(maxsize=8)
def countries(locale: str) -> list[tuple[str, str]]:
    names = _locale(locale).territories
    # Two letters = a country; numeric codes are regions like "Africa".
    return sorted(((code, name) for code, name in names.items()
                   if len(code) == 2 and code.isalpha() and code not in {"ZZ", "EU", "UN", "EZ",
                                                                          "QO", "XA", "XB", "XK"}),
                  key=lambda pair: pair[1])


@lru_cache(maxsize=8)
def languages(locale: str) -> list[tuple[str, str]]:
    names = _locale(locale).languages
    return sorted(((code, name) for code, name in names.items() if len(code) == 2),
                  key=lambda pair: pair[1])


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    return frozenset(code for code, _ in countries("en"))


@lru_cache(maxsize=1)
def language_codes() -> frozenset[str]:
    return frozenset(code for code, _ in languages("en"))


def country_name(code: str | None, locale: str) -> str:
    if not code:
        return ""
    return _locale(locale).territories.get(code, code)


def language_label(code: str, locale: str) -> str:
    return _locale(locale).languages.get(code, code)
