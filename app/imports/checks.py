"""Checking the cells of one row: each problem becomes a row error (row, column, reason in
the reader's language). The rules are the profile and request forms' (levels, ISCED
levels, dates, phone numbers, lengths); only the wording says where in the file to look."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from app.core.roster_format import split_items
from app.experts.models import LANGUAGE_LEVELS
from app.i18n import gettext as _
from app.web.reference import country_codes, language_codes
from search_index.text import fold as _fold

# The same skill, sector and language names come back in every row of a roster.
fold = lru_cache(maxsize=65_536)(_fold)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


class FirstSeen:
    """Values a file may hold only once (references, email addresses): the row each was
    first seen on, and the error for a later row repeating it."""

    def __init__(self, column: str, message: str):
        self.column, self.message = column, message
        self.rows: dict[str, int] = {}

    def repeated(self, row: int, value: str) -> RowError | None:
        if not value:
            return None
        first = self.rows.setdefault(value, row)
        return None if first == row else RowError(row, self.column,
                                                   self.message % {"row": first})


def _options(values) -> str:
    return ", ".join(values)


# JSON keys that name the same part: a request's languages carry their minimum level.
ALIASES = {"level": "min_level"}


class RowCheck:
    """The cells of one source row, read with the rules of each column."""

    def __init__(self, row: int, values: dict[str, Any], present: set[str]):
        self.row, self.values, self.present = row, values, present
        self.errors: list[RowError] = []

    def fail(self, column: str, reason: str) -> None:
        if not any(e.column == column for e in self.errors):  # one reason per cell
            self.errors.append(RowError(self.row, column, reason))

    @property
    def ok(self) -> bool:
        return not self.errors

    # --- single values -------------------------------------------------------------------

    def raw(self, column: str) -> str:
        value = self.values.get(column)
        if value.__class__ is str:  # a CSV cell: most of them
            return value.strip()
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, (list, dict)):
            self.fail(column, _("Give one value here, not a list."))
            return ""
        return str(value).strip()

    def text(self, column: str, max_length: int, required: bool = False) -> str:
        value = self.raw(column)
        if required and not value:
            self.fail(column, _("This field is required."))
        elif len(value) > max_length:
            self.fail(column, _("Use at most %(n)s characters.") % {"n": max_length})
        return value

    def integer(self, column: str, low: int, high: int, required: bool = False) -> int | None:
        value = self.raw(column)
        if not value:
            if required:
                self.fail(column, _("This field is required."))
            return None
        try:
            number = int(value)
        except ValueError:
            self.fail(column, _("Enter a whole number."))
            return None
        if not low <= number <= high:
            self.fail(column, _("Enter a number from %(low)s to %(high)s.")
                      % {"low": low, "high": high})
            return None
        return number

    def choice(self, column: str, allowed, required: bool = False,
               default: str | None = None) -> str | None:
        value = self.raw(column)
        if not value:
            if required:
                self.fail(column, _("This field is required."))
            return default
        folded = {fold(a): a for a in allowed}
        if fold(value) not in folded:
            self.fail(column, unknown_value(value, allowed))
            return None
        return folded[fold(value)]

    def day(self, column: str, required: bool = False) -> date | None:
        value = self.raw(column)
        if not value:
            if required:
                self.fail(column, _("This field is required."))
            return None
        return self.parse_day(column, value)

    def parse_day(self, column: str, value: str) -> date | None:
        try:
            return date.fromisoformat(value[:10] if "T" in value else value)
        except ValueError:
            self.fail(column, _("Use a date like 2026-03-31."))
            return None

    def country(self, column: str, value: str | None = None) -> str | None:
        value = self.raw(column) if value is None else value.strip()
        if not value:
            return None
        if value.upper() not in country_codes():
            self.fail(column, _("Unknown country code “%(value)s”: use a two-letter ISO code "
                                "such as SD or NL.") % {"value": value})
            return None
        return value.upper()

    # --- several values ------------------------------------------------------------------

    def items(self, column: str, fields: tuple[str, ...] | None = None,
              separator: str | None = None) -> list[list[str]]:
        """The items of a multi-valued cell, each as its list of parts. JSON may give a list
        (of strings, or of objects keyed by `fields`) or the cell encoding as a string."""
        value = self.values.get(column)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return split_items(value, separator)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return split_items(self.raw(column), separator)
        if not isinstance(value, list):
            self.fail(column, _("Give a list here."))
            return []
        out = []
        for item in value:
            if isinstance(item, dict) and fields:
                out.append([_plain(item.get(f, item.get(ALIASES.get(f, f)))) for f in fields])
            elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
                out.extend(split_items(_plain(item), separator))
            else:
                self.fail(column, _("Give a list here."))
                return []
        return [[p.strip() for p in parts] for parts in out if any(p.strip() for p in parts)]

    def languages(self, column: str) -> list[tuple[str, str]]:
        """language:level items (a profile's levels, or a request's minimum levels)."""
        out, seen = [], set()
        for parts in self.items(column, ("language", "level"), ":"):
            if len(parts) != 2 or not parts[0] or not parts[1]:
                self.fail(column, _("Write each language as code:level, like en:C1."))
                return []
            code, level = parts[0].lower(), parts[1]
            if code not in language_codes():
                self.fail(column, _("Unknown language “%(value)s”: use a two-letter ISO 639-1 "
                                    "code such as ar or en.") % {"value": parts[0]})
                return []
            levels = {lvl.lower(): lvl for lvl in LANGUAGE_LEVELS}
            if level.lower() not in levels:
                self.fail(column, _("Unknown level “%(value)s” for %(language)s: use one of "
                                    "%(options)s.") % {"value": level, "language": code,
                                                       "options": _options(LANGUAGE_LEVELS)})
                return []
            if code in seen:
                self.fail(column, _("%(language)s is listed twice.") % {"language": code})
                return []
            seen.add(code)
            out.append((code, levels[level.lower()]))
        return out

    def sectors(self, column: str, by_name: dict[str, str], labels: dict[str, str],
                single: bool = False) -> list[str]:
        """Sector codes from codes or names; an unknown one is refused with the mission's
        sectors listed by name and code (labels: code -> its name, in the mission's order)."""
        out: list[str] = []
        items = [parts[0] for parts in self.items(column)]
        if single and len(items) > 1:
            self.fail(column, _("Give one value here, not a list."))
            return []
        for name in items:
            code = by_name.get(fold(name))
            if code is None:
                self.fail(column, _("Unknown sector “%(value)s”: use one of %(options)s.")
                          % {"value": name, "options": _options(
                              f"{label} ({code})" for code, label in labels.items())})
                return []
            if code not in out:
                out.append(code)
        return out

    def skills(self, column: str, index: dict, new: list[str] | None = None) -> list:
        """The vocabulary's skills named in the cell. A name it does not know is refused,
        unless `new` is given: then such names are collected there (to become free tags)."""
        names = [parts[0] for parts in self.items(column)]
        unknown = [n for n in names if fold(n) not in index]
        if unknown and new is not None and all(len(n) <= 120 for n in unknown):
            for name in unknown:
                if all(fold(name) != fold(seen) for seen in new):
                    new.append(name)
            names = [n for n in names if fold(n) in index]
        elif unknown:
            self.fail(column, _("Not in the mission's skills list: %(names)s.")
                      % {"names": ", ".join(unknown)})
            return []
        if any(len(n) > 200 for n in names):
            self.fail(column, _("Use at most %(n)s characters.") % {"n": 200})
            return []
        found = []
        for name in names:
            skill = index[fold(name)]
            if skill not in found:
                found.append(skill)
        return found


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def unknown_value(value: str, allowed) -> str:
    return _("Unknown value “%(value)s”: use one of %(options)s.") \
        % {"value": value, "options": _options(allowed)}
