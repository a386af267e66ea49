"""The documented import schema of each entity: its columns, which are required, and how
multi-valued fields are written in a CSV or XLSX cell (nested objects in JSON).

One definition serves the readers, the validators, the downloadable templates, the
experts' CSV export (which writes exactly this schema, so export -> import round-trips)
and README.md's tables.

Cell encoding of multi-valued fields (CSV and XLSX):
- items are separated by ";" (or a line break inside the cell, or the Arabic "؛");
- the parts of one item by "|" (education, work history) or ":" (languages, availability);
- a backslash makes the next character literal: "R\\&D\\; planning" is one item.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

EXPERTS, REQUESTS = "experts", "requests"
KINDS = (EXPERTS, REQUESTS)
# The states an import may start its rows in (the mission chooses per import).
INITIAL_STATUSES = {EXPERTS: ("submitted", "verified"),
                    REQUESTS: ("draft", "submitted", "open")}
DEFAULT_STATUS = {EXPERTS: "submitted", REQUESTS: "submitted"}
# The default of the setting PORTAL_IMPORT_MAX_ROWS (app/config.py).
MAX_ROWS = 100_000
ITEM_SEPARATORS = (";", "\n", "؛")
ESCAPED = frozenset({"\\", ";", "|", "\n", "؛"})
_ITEMS = re.compile("[;\n؛]")
# The consents cell of an expert who agreed to no purpose (an empty cell means matching).
NO_CONSENT = "none"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool          # the column must exist and every row must have a value
    format: str             # how the value is written (English, for the docs and template)
    example: str
    # For multi-valued columns: the fields of one item, in their written order (JSON objects
    # use these names as keys). None: a single value (or a list of plain values in JSON).
    fields: tuple[str, ...] | None = None
    multi: bool = False     # several values in one cell
    export_only: bool = False  # written by the export, ignored by the import


EXPERT_COLUMNS: tuple[Column, ...] = (
    Column("external_ref", True, "your roster's reference for the person, up to 120 characters; "
           "importing again with the same reference updates the profile", "SD-2019-0042"),
    Column("full_name", True, "up to 200 characters", "Amira Hassan Osman"),
    Column("email", True, "the expert's address: their account and the invitation to confirm",
           "amira.osman@example.org"),
    Column("phone", False, "digits, spaces and + ( ) . / -", "+31 6 1234 5678"),
    Column("gender", False, "female, male, other or undisclosed", "female"),
    Column("birth_year", False, "a year, the expert being at least 18", "1980"),
    Column("nationality", False, "ISO 3166 two-letter country code", "SD"),
    Column("residence_country", False, "ISO 3166 two-letter country code", "NL"),
    Column("residence_city", False, "up to 120 characters", "Utrecht"),
    Column("languages", False, "language:level; ... with ISO 639-1 codes and A1, A2, B1, B2, "
           "C1, C2 or native", "ar:native; en:C1; nl:B2",
           fields=("language", "level"), multi=True),
    Column("education", False, "level|field|institution|year; ... with the ISCED level "
           "(3 = upper secondary ... 6 = bachelor, 7 = master, 8 = doctorate)",
           "7|Water engineering|University of Khartoum|2012",
           fields=("level", "field", "institution", "year"), multi=True),
    Column("work_history", False, "title|employer|country|start|end|description; ... "
           "dates as YYYY-MM-DD, an empty end for the current job",
           "Senior engineer|Vitens|NL|2015-03-01||Leak detection",
           fields=("title", "employer", "country", "started_on", "ended_on", "description"),
           multi=True),
    Column("sectors", False, "the mission's sector codes (or names); ...",
           "water_management; education", multi=True),
    Column("skills", False, "skill names in any of the mission's languages or their synonyms; "
           "...", "Hydrology; Irrigation engineering", multi=True),
    Column("years_experience", False, "0 to 60", "15"),
    Column("headline", False, "the expert's profession in one line, up to 160 characters",
           "Hydrologist | groundwater and flood modelling"),
    Column("summary", False, "up to 3,000 characters", "Hydrologist with 15 years in ..."),
    Column("modality", False, "on_site, remote or hybrid", "hybrid"),
    Column("min_weeks", False, "shortest assignment, 1 to 104 weeks", "2"),
    Column("max_weeks", False, "longest assignment, 1 to 104 weeks", "8"),
    Column("availability", False, "start..end; ... (YYYY-MM-DD), unavailable:start..end for a "
           "period away", "2027-01-01..2027-06-30; unavailable:2027-03-01..2027-03-14",
           fields=("kind", "starts_on", "ends_on"), multi=True),
    Column("consents", False, "purposes the expert agreed to in the earlier roster: matching, "
           "share_with_institutions, future_contact; none when they agreed to none (no "
           "consent is recorded, none is withdrawn); empty: matching",
           "matching; future_contact", multi=True),
    Column("number", False, "the profile's number in this mission (export only)", "42",
           export_only=True),
    Column("status", False, "the profile's state (export only: imported profiles start in "
           "the state chosen for the import)", "verified", export_only=True),
    Column("updated_at", False, "last change (export only)", "2026-11-24T10:00:00+00:00",
           export_only=True),
)

REQUEST_COLUMNS: tuple[Column, ...] = (
    Column("external_ref", True, "your spreadsheet's reference for the request, up to 120 "
           "characters; importing again with the same reference updates it", "MOWR-2026-07"),
    Column("institution", True, "the host institution's name (or its name in the mission's "
           "other language), as registered in the portal", "Ministry of Water Resources"),
    Column("title", True, "up to 200 characters", "Leak detection training for engineers"),
    Column("background", False, "text", ""),
    Column("objectives", False, "text (needed unless the request starts as a draft)",
           "Reduce water losses in the capital's network."),
    Column("tasks", False, "text (needed unless the request starts as a draft)",
           "Run a two-week course for 20 engineers."),
    Column("deliverables", False, "text", "Course material; final report"),
    Column("expected_outputs", False, "up to 2,000 characters", "20 engineers trained"),
    Column("sector", False, "one of the mission's sector codes (or names); needed unless the "
           "request starts as a draft", "water_management"),
    Column("required_skills", False, "skill names of the mission's vocabulary; ... (at least "
           "one unless the request starts as a draft)", "Hydrology; Water treatment",
           multi=True),
    Column("desired_skills", False, "skill names; ...", "Project management", multi=True),
    Column("languages", False, "language:minimum level; ...", "en:B2; ar:C1",
           fields=("language", "min_level"), multi=True),
    Column("min_years_experience", False, "0 to 50", "10"),
    Column("education_level", False, "ISCED level 3 to 8", "7"),
    Column("modality", False, "on_site, remote or hybrid (needed unless draft)", "on_site"),
    Column("city", False, "needed for on_site and hybrid", "Khartoum"),
    Column("duration_weeks", False, "1 to 104 (needed unless draft)", "6"),
    Column("earliest_start", False, "YYYY-MM-DD (needed unless draft)", "2027-02-01"),
    Column("latest_start", False, "YYYY-MM-DD (needed unless draft)", "2027-03-15"),
    Column("finish_by", False, "YYYY-MM-DD, optional", ""),
    Column("experts_wanted", False, "1 to 50; empty: 1", "1"),
    Column("priority", False, "low, normal, high or urgent; empty: normal", "normal"),
)

# A training's participant list (app/imports/participants.py): not a staff import of the
# mission, so not among KINDS; the same readers, checks and templates.
PARTICIPANTS = "participants"
PARTICIPANT_COLUMNS: tuple[Column, ...] = (
    Column("sex", True, "female, male, other or not_recorded", "female"),
    Column("age_group", True, "under_18, 18_24, 25_34, 35_49, 50_plus or not_recorded",
           "25_34"),
    Column("institution", False, "up to 300 characters", "Ministry of Interior"),
    Column("consent", False, "yes when the person consents to their name, role and contact "
           "being kept; empty: no", "yes"),
    Column("name", False, "up to 200 characters, only with consent", "Amna Osman"),
    Column("role", False, "up to 200 characters, only with consent", "Border police officer"),
    Column("contact", False, "up to 200 characters, only with consent", "amna@example.org"),
)

COLUMNS = {EXPERTS: EXPERT_COLUMNS, REQUESTS: REQUEST_COLUMNS,
           PARTICIPANTS: PARTICIPANT_COLUMNS}


def columns_of(kind: str) -> tuple[Column, ...]:
    return COLUMNS[kind]


def import_columns(kind: str) -> list[str]:
    return [c.name for c in COLUMNS[kind] if not c.export_only]


def required_columns(kind: str) -> list[str]:
    return [c.name for c in COLUMNS[kind] if c.required]


def normalise_header(name: object) -> str:
    """'Full name', 'full-name' and ' FULL_NAME ' all name the column full_name."""
    text = "" if name is None else str(name)
    return "_".join(text.strip().lstrip("\ufeff").lower().replace("-", " ").split())


# --- the cell encoding ----------------------------------------------------------------------

def split_items(raw: str, parts_separator: str | None = None) -> list[list[str]]:
    """A cell's items, each split into its parts; backslash escapes the next character.
    Empty items are dropped; parts are stripped."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if "\\" not in text:  # the common case, without escapes: split at once
        found: list[list[str]] = []
        for item in _ITEMS.split(text):
            parts = [p.strip() for p in item.split(parts_separator)] if parts_separator \
                else [item.strip()]
            if any(parts):
                found.append(parts)
        return found
    items: list[list[str]] = []
    parts = []  # list[str], as in the branch above
    current: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i + 1])
            i += 2
            continue
        if char in ITEM_SEPARATORS:
            parts.append("".join(current))
            if any(p.strip() for p in parts):
                items.append([p.strip() for p in parts])
            parts, current = [], []
        elif parts_separator is not None and char == parts_separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    if any(p.strip() for p in parts):
        items.append([p.strip() for p in parts])
    return items


def escape(value: object) -> str:
    text = "" if value is None else str(value)
    return "".join("\\" + c if c in ESCAPED else c for c in text)


def join_items(items: Sequence[object], parts_separator: str = "|") -> str:
    """The inverse of split_items: what the export writes into a cell."""
    out = []
    for item in items:
        if isinstance(item, (list, tuple)):
            out.append(parts_separator.join(escape(p) for p in item))
        else:
            out.append(escape(item))
    return "; ".join(out)
