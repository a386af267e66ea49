"""A training's participants from a CSV, XLSX or JSON file, with the roster import's reader
(app/imports/readers.py), its row errors and its templates: the file is checked row by row
and previewed; the rows are then added all at once or not at all
(app.trainings.services.import_participants checks them again)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from app.core.roster_format import PARTICIPANTS, import_columns
from app.i18n import gettext as _
from app.imports.checks import RowError
from app.imports.readers import ImportFileError, SourceFile, json_depth, read_file
from app.imports.services import check_columns
from app.trainings.participants import MAX_PARTICIPANTS, ParticipantForm, participant
from app.web.forms import FieldErrors

YES = frozenset({"yes", "y", "true", "1", "oui", "sim", "نعم"})
NO = frozenset({"", "no", "n", "false", "0", "non", "não", "nao", "لا"})
MAX_SENT_BACK = 2 * 1024 * 1024   # characters of previewed rows a confirmation sends back


@dataclass
class Checked:
    forms: list[ParticipantForm] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)   # as read, for the preview
    numbers: list[int] = field(default_factory=list)           # the rows' numbers in the file


def read(data: bytes) -> SourceFile:
    """The file, refused as a whole when it cannot be read, lacks a required column or holds
    more participants than a training may list."""
    source = read_file(data, PARTICIPANTS)
    check_columns(source, PARTICIPANTS)
    if not source.rows:
        raise ImportFileError(_("The file lists no participant."))
    if len(source.rows) > MAX_PARTICIPANTS:
        raise ImportFileError(_("List at most %(n)s participants one by one.")
                              % {"n": MAX_PARTICIPANTS})
    return source


def check(rows: list[tuple[int, dict[str, str]]]) -> Checked:
    """Every row (its number in the file, its values by column) as a participant, each
    problem a row error naming the column."""
    found = Checked()
    for number, values in rows:
        consent = values.get("consent", "").strip().casefold()
        form = ParticipantForm(
            name=values.get("name", ""), sex=values.get("sex", "").strip().casefold(),
            age_group=values.get("age_group", "").strip().casefold(),
            institution=values.get("institution", ""), role=values.get("role", ""),
            contact=values.get("contact", ""), consent=consent in YES)
        errors = FieldErrors()
        participant(errors, form)
        if consent not in YES | NO:
            errors["consent"] = _("Write yes or no.")
        found.errors += [RowError(number, name.removeprefix("p-"), message)
                         for name, message in errors.items()]
        found.forms.append(form)
        found.numbers.append(number)
        found.rows.append({column: values.get(column, "")
                           for column in import_columns(PARTICIPANTS)})
    return found


def sent_back(raw: str) -> list[tuple[int, dict[str, str]]]:
    """The previewed rows the confirming form sends back (JSON: a list of objects of text),
    numbered as in the file (from 2, after the header); checked again like a file."""
    try:
        found = json.loads(raw) if len(raw) <= MAX_SENT_BACK and json_depth(raw) <= 3 else None
    except ValueError:
        found = None
    if not isinstance(found, list) or not 0 < len(found) <= MAX_PARTICIPANTS or not all(
            isinstance(row, dict) and all(isinstance(v, str) for v in row.values())
            for row in found):
        raise ImportFileError(_("The preview could not be read back: choose the file again."))
    return [(i + 2, row) for i, row in enumerate(found)]
