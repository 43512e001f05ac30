"""WebVTT captions uploaded by an editor: checked before they reach a player."""

from __future__ import annotations

import unicodedata
from enum import StrEnum

# An hour of dense captions is ~100 KB; a bound keeps a mistaken upload (a video) out.
MAX_CAPTIONS_BYTES = 1_000_000


class CaptionsProblem(StrEnum):
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    NOT_TEXT = "not_text"
    NOT_WEBVTT = "not_webvtt"
    NO_CUES = "no_cues"


def check_captions(data: bytes) -> tuple[str, CaptionsProblem | None]:
    """The captions as NFC text with ``\\n`` line ends, or the first problem found."""
    if not data.strip():
        return "", CaptionsProblem.EMPTY
    if len(data) > MAX_CAPTIONS_BYTES:
        return "", CaptionsProblem.TOO_LARGE
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "", CaptionsProblem.NOT_TEXT
    if "\x00" in text:
        return "", CaptionsProblem.NOT_TEXT
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    first = text.split("\n", 1)[0]
    # WebVTT: the file starts with "WEBVTT", alone or followed by a space or tab and a title.
    if not (first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t"))):
        return "", CaptionsProblem.NOT_WEBVTT
    if "-->" not in text:
        return "", CaptionsProblem.NO_CUES
    return text, None
