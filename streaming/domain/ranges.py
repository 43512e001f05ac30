"""HTTP byte ranges (RFC 9110 §14): what a video player asks for when it seeks."""

from __future__ import annotations

import re

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


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
        length = int(last_text)
        if length == 0:
            return (size, size)
        return (max(0, size - length), size - 1)
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if first >= size or last < first:
        return (size, size)
    return (first, min(last, size - 1))
