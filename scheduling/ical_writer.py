"""A small, fast RFC 5545 writer for the VEVENTs of feeds.

icalendar builds a property object per value and re-folds every line; on a feed of 100
series with 1,000 changed meetings that took ~400 ms here (bench/scheduling.py), four
times the budget. Feeds only ever write the same dozen properties, so they are written
directly; icalendar still makes the VTIMEZONE (once per zone, cached) and parses every
feed in the tests, where recurring-ical-events expands it against our occurrences.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache

from icalendar import Timezone

MAX_LINE_OCTETS = 75


def escape_text(value: str) -> str:
    """TEXT escaping of RFC 5545 §3.3.11."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (§3.1)."""
    encoded = line.encode()
    if len(encoded) <= MAX_LINE_OCTETS:
        return line
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, MAX_LINE_OCTETS
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = (
                [],
                0,
                MAX_LINE_OCTETS - 1,
            )  # continuation lines start with a space
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def utc_stamp(moment: datetime) -> str:
    """A UTC DATE-TIME, e.g. 20270104T010000Z."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def local_stamp(moment: datetime) -> str:
    """A local DATE-TIME to go with a TZID parameter."""
    return moment.strftime("%Y%m%dT%H%M%S")


@lru_cache(maxsize=8)
def vtimezone(tzid: str) -> str:
    """The VTIMEZONE block of a zone, made by icalendar once."""
    block = Timezone.from_tzid(tzid).to_ical().decode()
    return block if block.endswith("\r\n") else block + "\r\n"


def calendar_text(
    *, prodid: str, name: str, tzid: str, events: Iterable[list[str]], method: str = ""
) -> bytes:
    """A VCALENDAR with its VTIMEZONE around already-written VEVENT lines (iTIP ``method``)."""
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{escape_text(prodid)}",
        "CALSCALE:GREGORIAN",
        *([f"METHOD:{method}"] if method else []),
        f"X-WR-CALNAME:{escape_text(name)}",
        f"X-WR-TIMEZONE:{tzid}",
    ]
    body = [fold(line) for event in events for line in event]
    text = "\r\n".join(head) + "\r\n" + vtimezone(tzid) + "".join(f"{line}\r\n" for line in body)
    return (text + "END:VCALENDAR\r\n").encode()
