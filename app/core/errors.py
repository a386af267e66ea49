"""The one refusal: a rule said no. Every domain's refusal is a subclass, so controllers
catch what they can show next to a field and the one handler (app/web/errors.py) turns
anything else into a page with the message and the status.

`message` is for the person, already in their language; `errors` maps a form field to
its message (shown next to the field); `status` says what kind of no it is: 400 the input
cannot be used, 409 the record is not in a state that allows this, 422 the input was
understood but breaks a rule.
"""

from __future__ import annotations


class Refusal(Exception):
    status = 409

    def __init__(self, message: str = "", errors: dict[str, str] | None = None,
                 status: int | None = None, field: str | None = None):
        """`field`: the form field the message belongs to (shorthand for errors)."""
        super().__init__(message or "; ".join((errors or {}).values()))
        self.message = message
        self.errors = dict(errors or {})
        if field is not None:
            self.errors[field] = message
        if status is not None:
            self.status = status


class StaleForm(Refusal):
    """The record changed since the form was shown (its version moved on): nothing was
    written, and the page shows the record as it is now with `message` at the top."""

    def __init__(self, message: str):
        super().__init__(message, field="form", status=409)


class FormErrors(Refusal):
    """Field -> message, shown next to the fields; nothing was saved."""

    status = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors=errors)
