"""iCalendar feeds (RFC 5545) written by hand: CRLF line ends, lines folded at 75 octets
(never inside a UTF-8 character), text values escaped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

CRLF = "\r\n"
MAX_OCTETS = 75


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon, comma and line breaks escaped (3.3.11)."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """One content line, folded so no physical line exceeds 75 octets; continuation lines
    start with a space, which counts (3.1)."""
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, MAX_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, MAX_OCTETS - 1
        current.append(char)
        size += octets
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


@dataclass
class AllDayEvent:
    uid: str
    start: date
    end: date                 # the last day, inclusive (written as the exclusive next day)
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""


def calendar(name: str, events: list[AllDayEvent], stamp: datetime) -> str:
    """A VCALENDAR of all-day events; stamp (UTC) is every event's DTSTAMP."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Diaspora Bridge//Assignments//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{escape_text(name)}"]
    dtstamp = stamp.strftime("%Y%m%dT%H%M%SZ")
    for event in events:
        end = max(event.end, event.start) + timedelta(days=1)
        lines += ["BEGIN:VEVENT", f"UID:{event.uid}", f"DTSTAMP:{dtstamp}",
                  f"DTSTART;VALUE=DATE:{event.start:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{end:%Y%m%d}",
                  f"SUMMARY:{escape_text(event.summary)}"]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        if event.location:
            lines.append(f"LOCATION:{escape_text(event.location)}")
        if event.url:
            lines.append(f"URL:{event.url}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
