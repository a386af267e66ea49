"""The one clock: timezone-aware UTC, so stored times compare and serialise the same."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    return datetime.now(UTC)


def today_in(time_zone: str) -> date:
    """Today where a mission is (its time zone), not on the server."""
    return now().astimezone(ZoneInfo(time_zone)).date()
