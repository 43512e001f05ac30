"""HTTP byte ranges (RFC 9110 §14): what a video player asks for when it seeks."""

from __future__ import annotations

import re

# ASCII digits only (RFC 9110's DIGIT; \d would also read "٣" or "５" as numbers).
_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")
# Past this many digits a position is beyond any file; reading it would cost (and past
# 4,300 digits int() refuses it), so it counts as "huge".
_MAX_DIGITS = 18
_HUGE = 10**_MAX_DIGITS


def _position(text: str) -> int:
    return int(text) if len(text) <= _MAX_DIGITS else _HUGE


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The first range of a ``Range`` header as (first, last) bytes, inclusive.

    None means "send the whole file" (no header, a form we do not serve such as several
    ranges); ``(size, size)`` means the range cannot be satisfied (answer 416).
    """
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None or size < 0:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:
        # "bytes=-500": the last 500 bytes.
        length = _position(last_text)
        if length == 0:
            return (size, size)
        return (max(0, size - length), size - 1)
    first = _position(first_text)
    last = _position(last_text) if last_text else size - 1
    if first >= size or last < first:
        return (size, size)
    return (first, min(last, size - 1))
