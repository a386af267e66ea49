"""The hand-written iCalendar writer (app.web.ical): RFC 5545 line ends, folding, escaping."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.web.ical import AllDayEvent, calendar, escape_text, fold


def test_text_is_escaped():
    assert escape_text('a,b;c\\d\ne\r\nf') == "a\\,b\\;c\\\\d\\ne\\nf"


def test_lines_fold_at_75_octets_never_inside_a_character():
    line = "SUMMARY:" + "ماء " * 40
    folded = fold(line)
    physical = folded.split("\r\n")
    assert len(physical) > 1
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert "".join([physical[0], *(p[1:] for p in physical[1:])]) == line
    assert fold("SHORT:x") == "SHORT:x"


def test_an_all_day_event_ends_the_day_after_its_last_day():
    text = calendar("Assignments", [AllDayEvent(
        uid="assignment-1@diaspora-bridge", start=date(2027, 3, 1), end=date(2027, 3, 31),
        summary="#12 Water, sanitation; hygiene", location="Khartoum")],
        datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "DTSTART;VALUE=DATE:20270301\r\n" in text
    assert "DTEND;VALUE=DATE:20270401\r\n" in text
    assert "DTSTAMP:20270102T030405Z\r\n" in text
    assert "SUMMARY:#12 Water\\, sanitation\\; hygiene\r\n" in text
    assert text.count("BEGIN:VEVENT") == 1
