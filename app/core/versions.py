"""Optimistic locking for records people edit in forms (assignments, trainings): each
change bumps `version`; a form sent from an older version is refused, never applied over
someone else's change."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from app.core.clock import now
from app.core.errors import StaleForm


class Versioned(Protocol):
    version: int
    updated_at: datetime


def check_version(record: Versioned, sent: int | None, message: str) -> None:
    """`sent`: the version the form was shown with (None: the form carried none)."""
    if sent is not None and sent != record.version:
        raise StaleForm(message)


def bump_version(record: Versioned) -> None:
    record.version += 1
    record.updated_at = now()
