"""What a viewer may type: NFC, no control characters, bounded length.

Display escaping is the page's job (it only ever sets ``textContent``); here the text is
made canonical so that "tập huấn" typed on a phone and on a desktop is the same string.
"""

from __future__ import annotations

import re
import unicodedata

from rooms.domain.display_names import NameRefused, check_display_name

MAX_TEXT_CHARS = 500
MAX_NAME_CHARS = 80
MAX_ANSWER_CHARS = 2000

# C0/C1 controls except tab and newline; also the bidi overrides that can disguise text,
# and lone surrogates (JSON can escape them), which are no text and break UTF-8 on the way out.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_BLANK_LINES = re.compile(r"\n{3,}")


class TextRefused(ValueError):
    """The text cannot be accepted; ``code`` says why (``empty`` or ``too_long``)."""

    def __init__(self, code: str, limit: int = 0) -> None:
        super().__init__(code)
        self.code = code
        self.limit = limit


def clean_text(value: object, *, limit: int = MAX_TEXT_CHARS, required: bool = True) -> str:
    """Normalised text of at most ``limit`` characters, or ``TextRefused``."""
    if not isinstance(value, str):
        value = ""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = _BLANK_LINES.sub("\n\n", _CONTROL.sub("", text)).strip()
    if not text and required:
        raise TextRefused("empty")
    if len(text) > limit:
        raise TextRefused("too_long", limit)
    return text


def clean_name(value: object) -> str:
    """A viewer's optional name on one line; empty when none was given.

    A name mixing Latin with look-alike Cyrillic or Greek letters is refused
    (``mixed_scripts``): it would pass for a teacher's (rooms/domain/display_names.py)."""
    text = clean_text(value, limit=10 * MAX_NAME_CHARS, required=False)
    try:
        return check_display_name(" ".join(text.split())[:MAX_NAME_CHARS])
    except NameRefused as refused:
        raise TextRefused(refused.code) from None
