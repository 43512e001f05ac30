"""Diacritics-insensitive text for the archive's search ("tap huan" finds "tập huấn").

Folding works one character at a time and keeps the length of the text, so a match found
in the folded text is at the same offsets in the original: snippets highlight the words
as they were written, with their diacritics, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# đ/Đ are letters of their own in Unicode, not d + a mark: NFD leaves them alone.
_SPECIAL = {"đ": "d", "Đ": "d", "ð": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l"}
_WORD = re.compile(r"[^\W_]+")
# Longer words are noise (or an attack on the index); more terms are not a question.
MAX_TERM_CHARS = 40
MAX_TERMS = 12


def fold_char(char: str) -> str:
    """One character without tone or vowel marks, in lower case; always one character."""
    if char in _SPECIAL:
        return _SPECIAL[char]
    base = "".join(c for c in unicodedata.normalize("NFD", char) if unicodedata.category(c) != "Mn")
    lowered = base.lower()
    return lowered if len(lowered) == 1 else char.lower()[:1] or char


def fold(text: str) -> str:
    """``text`` (NFC first) in lower case without diacritics, with the same length."""
    return "".join(fold_char(c) for c in unicodedata.normalize("NFC", text))


def terms(query: str) -> list[str]:
    """The folded words of a search query, deduplicated, in order, bounded in size and count."""
    seen: list[str] = []
    for word in _WORD.findall(fold(query)):
        word = word[:MAX_TERM_CHARS]
        if word not in seen:
            seen.append(word)
    return seen[:MAX_TERMS]


@dataclass(frozen=True)
class Piece:
    """A run of a snippet; ``hit`` runs are shown highlighted."""

    text: str
    hit: bool


def snippet(text: str, words: list[str], *, width: int = 180) -> list[Piece]:
    """A window of ``text`` around its first matching word, the words that match marked.

    A word matches at the start of a word of the text (the search matches prefixes too).
    """
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    folded = fold(text)
    spans = _spans(folded, words)
    start = 0
    if spans and spans[0][0] > width // 3:
        start = folded.rfind(" ", 0, spans[0][0] - width // 3) + 1
    end = min(len(text), start + width)
    if end < len(text):
        cut = text.rfind(" ", start, end)
        end = cut if cut > start else end
    pieces: list[Piece] = [Piece("… ", False)] if start > 0 else []
    cursor = start
    for left, right in spans:
        if right <= start or left >= end:
            continue
        left, right = max(left, start), min(right, end)
        if left > cursor:
            pieces.append(Piece(text[cursor:left], False))
        pieces.append(Piece(text[left:right], True))
        cursor = right
    if cursor < end:
        pieces.append(Piece(text[cursor:end], False))
    if end < len(text):
        pieces.append(Piece(" …", False))
    return pieces


def _spans(folded: str, words: list[str]) -> list[tuple[int, int]]:
    """Where the words begin a word of the folded text, sorted, without overlaps."""
    found: list[tuple[int, int]] = []
    for word in words:
        pattern = re.compile(r"(?<!\w)" + re.escape(word))
        found.extend((m.start(), m.end()) for m in pattern.finditer(folded))
    found.sort()
    merged: list[tuple[int, int]] = []
    for left, right in found:
        if merged and left < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], right))
        else:
            merged.append((left, right))
    return merged


def slug(text: str, *, max_chars: int = 80) -> str:
    """A URL word for a Vietnamese title or tag: "Tập huấn Đổi mới" → "tap-huan-doi-moi"."""
    words = re.findall(r"[a-z0-9]+", fold(text))
    out = "-".join(words)[:max_chars].strip("-")
    return out
