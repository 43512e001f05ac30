"""Comparing people's names as a host would: "Nguyễn Văn An" is "nguyen  van an"."""

from __future__ import annotations

import unicodedata

# Letters NFKD does not split into a base letter and a mark.
_FOLD = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "ł": "l", "ß": "ss"})


def name_key(name: str) -> str:
    """A name without case, accents, look-alike compatibility forms or extra spaces."""
    plain = unicodedata.normalize("NFKD", name.translate(_FOLD))
    letters = "".join(char for char in plain if not unicodedata.combining(char))
    return " ".join(letters.casefold().split())
