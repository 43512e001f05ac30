"""A recording's chapter for a slide page: what the archive lists to jump to."""

from __future__ import annotations

import unicodedata

MAX_HEADLINE = 80


def chapter_title(deck_title: str, page: int, text: str) -> str:
    """ "<deck> · <page>: <the page's first line>" (the first line is its headline)."""
    head = unicodedata.normalize("NFC", f"{deck_title.strip()} · {page}")
    text = unicodedata.normalize("NFC", text)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first) > MAX_HEADLINE:
        first = first[: MAX_HEADLINE - 1].rstrip() + "…"
    return f"{head}: {first}" if first else head
