"""Chapter titles of slide pages (signaling/domain/chapters.py)."""

from __future__ import annotations

import unicodedata

import pytest

from signaling.domain.chapters import MAX_HEADLINE, chapter_title


@pytest.mark.parametrize(
    ("deck", "page", "text", "expected"),
    [
        ("Giao ban", 3, "", "Giao ban · 3"),
        (" Giao ban ", 1, "\n\n  Kết quả tuần  \nchi tiết", "Giao ban · 1: Kết quả tuần"),
        ("Tập huấn", 2, "   \t\n", "Tập huấn · 2"),
    ],
)
def test_a_chapter_is_named_for_the_deck_page_and_headline(
    deck: str, page: int, text: str, expected: str
) -> None:
    assert chapter_title(deck, page, text) == expected


def test_a_long_headline_is_shortened_and_text_is_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Tập huấn") + " " + "x" * 200
    title = chapter_title("Bài", 1, decomposed)
    headline = title.split(": ", 1)[1]
    assert len(headline) == MAX_HEADLINE and headline.endswith("…")
    assert title == unicodedata.normalize("NFC", title)
