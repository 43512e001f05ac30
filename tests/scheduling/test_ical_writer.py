"""The feed writer: escaping and folding as RFC 5545 says, read back by icalendar."""

from __future__ import annotations

from typing import Any

import icalendar

from scheduling.ical_writer import calendar_text, escape_text, fold


def test_escaping() -> None:
    assert escape_text("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"


def test_folding_never_splits_a_vietnamese_character() -> None:
    line = "SUMMARY:" + "Tập huấn chuyên môn về đổi mới phương pháp dạy học " * 4
    folded = fold(line)
    for part in folded.split("\r\n"):
        assert len(part.encode()) <= 75
    assert folded.replace("\r\n ", "") == line


def test_round_trip_through_icalendar() -> None:
    title = "Giao ban; thứ Hai, tuần 1 — " + "rất dài " * 20
    event = [
        "BEGIN:VEVENT",
        "UID:x@hop.edu.net.vn",
        "DTSTAMP:20270101T000000Z",
        f"SUMMARY:{escape_text(title)}",
        "DTSTART;TZID=Asia/Ho_Chi_Minh:20270104T080000",
        "DTEND;TZID=Asia/Ho_Chi_Minh:20270104T093000",
        "END:VEVENT",
    ]
    body = calendar_text(prodid="-//t//", name="Phòng họp", tzid="Asia/Ho_Chi_Minh", events=[event])
    calendar: Any = icalendar.Calendar.from_ical(body)
    [parsed] = calendar.walk("VEVENT")
    assert str(parsed["SUMMARY"]) == title
    assert parsed["DTSTART"].dt.utcoffset().total_seconds() == 7 * 3600
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
