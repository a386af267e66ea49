"""Reading HTML forms: repeated rows (languages, education, ...) and typed fields, with
the error message for each field in the reader's language."""

from __future__ import annotations

import re
import uuid
from datetime import date

from litestar import Request
from litestar.exceptions import ValidationException

from app.core.errors import FormErrors
from app.i18n import gettext as _
from app.web.reference import language_codes


async def text_form(request: Request):
    """The posted form with every value (repeated ones too, via getall); a form of ours
    never sends files here, so one that does is refused (400)."""
    form = await request.form()
    if any(not isinstance(v, str) for _key, v in form.multi_items()):
        raise ValidationException(_("This form takes text only."))
    return form


# The one input boundary (issue 18, finding 2): C0 control characters and DEL break the
# database driver (NUL) or the page, and no person types them. A form may carry tab and
# newlines (text areas send CR LF); a query string, typed in one-line fields, nothing.
FORM_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
QUERY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class ControlCharacters(FormErrors):
    """A field or query parameter holds control characters: refused (400) before any
    handler, so before any database call. `form` is what was sent, without them, for a
    form page that shows the message next to the field."""

    status = 400

    def __init__(self, errors: dict[str, str], form: dict[str, str]):
        super().__init__(errors)
        self.form = form


def _control_message() -> str:
    return _("This contains characters that cannot be used (control characters). "
             "Remove them and try again.")


async def refuse_control_characters(request: Request) -> None:
    """The app's before_request hook: every query parameter and every text field of a
    posted form is checked; the offending fields are refused with a message each."""
    errors: dict[str, str] = {}
    # Names with control characters are never names a handler reads: ignored, like any
    # unknown parameter (the API's contract); values are what reach queries and pages.
    for key, value in request.query_params.multi_items():
        if QUERY_CONTROL.search(value) and not QUERY_CONTROL.search(key):
            errors[key] = _control_message()
    form: dict[str, str] = {}
    content_type = request.headers.get("content-type", "")
    if request.method in ("POST", "PUT", "PATCH") and content_type.startswith(FORM_TYPES):
        for key, value in (await request.form()).multi_items():
            if not isinstance(value, str):
                continue
            if QUERY_CONTROL.search(key):
                continue
            if FORM_CONTROL.search(value):
                errors[key] = _control_message()
            form.setdefault(key, FORM_CONTROL.sub("", value))
    if errors:
        raise ControlCharacters(errors, form)


ROW_KEY = re.compile(r"^(?P<prefix>[a-z_]+)-(?P<index>\d{1,3})-(?P<field>[a-z_]+)$")
MAX_ROWS = 50


def rows(form, prefix: str, keep_blank: bool = False) -> list[tuple[int, dict[str, str]]]:
    """Rows named like 'lang-0-level', in index order; rows ticked 'remove' are left out
    (that is how a row is deleted without JavaScript), and blank ones unless asked for
    (a form being extended keeps the empty row the person has not filled yet)."""
    found: dict[int, dict[str, str]] = {}
    for key in form.keys():
        match = ROW_KEY.match(key)
        if match and match["prefix"] == prefix and int(match["index"]) < MAX_ROWS:
            found.setdefault(int(match["index"]), {})[match["field"]] = (form.get(key) or "").strip()
    return [(i, row) for i, row in sorted(found.items())
            if not row.get("remove")
            and (keep_blank or any(v for k, v in row.items() if k != "remove"))]


class FieldErrors(dict):
    """field name -> message; falsy when the form is fine."""

    def integer(self, name: str, raw: str, low: int, high: int, required: bool = False) -> int | None:
        if not raw:
            if required:
                self[name] = _("This field is required.")
            return None
        try:
            value = int(raw)
        except ValueError:
            self[name] = _("Enter a whole number.")
            return None
        if not low <= value <= high:
            self[name] = _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
            return None
        return value

    def day(self, name: str, raw: str, required: bool = True) -> date | None:
        if not raw:
            if required:
                self[name] = _("This field is required.")
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self[name] = _("Use a date like 2026-03-31.")
            return None

    def option_id(self, name: str, raw: str) -> uuid.UUID | None:
        """The id of a record chosen from a list (its existence is the service's to check)."""
        if not raw:
            return None
        try:
            return uuid.UUID(raw)
        except ValueError:
            self[name] = _("Choose one of the options listed.")
            return None

    def text(self, name: str, raw: str, max_length: int, required: bool = False) -> str:
        if required and not raw:
            self[name] = _("This field is required.")
        elif len(raw) > max_length:
            self[name] = _("Use at most %(n)s characters.") % {"n": max_length}
        return raw

    def choice(self, name: str, raw: str, allowed, required: bool = False) -> str | None:
        if not raw:
            if required:
                self[name] = _("This field is required.")
            return None
        if raw not in allowed:
            self[name] = _("Choose one of the options listed.")
            return None
        return raw


def language_rows(errors: FieldErrors, form, level_field: str,
                  levels) -> list[tuple[str | None, str | None]]:
    """The 'lang-N-language' / 'lang-N-<level_field>' rows of a form as (language, level),
    each checked against the language list and the levels, a language listed once."""
    languages, seen = [], set()
    for i, row in rows(form, "lang"):
        code = errors.choice(f"lang-{i}-language", row.get("language", ""), language_codes(),
                             required=True)
        level = errors.choice(f"lang-{i}-{level_field}", row.get(level_field, ""), levels,
                              required=True)
        if code and code in seen:
            errors[f"lang-{i}-language"] = _("This language is already listed.")
        seen.add(code)
        languages.append((code, level))
    return languages


def form_version(raw: str | None) -> int | None:
    """The record version a form was shown with (app.core.versions); None when absent or
    not a number (then no staleness check is possible)."""
    try:
        return int(raw or "")
    except ValueError:
        return None
