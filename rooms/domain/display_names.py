"""The names people show others (a guest in a room, a viewer asking a question): one
canonical form, and no name that imitates another with look-alike letters.

Policy (issue 10): a name is NFC; compatibility forms of ASCII letters and digits
(fullwidth "Ｎｇｕｙｅｎ", mathematical "𝐀𝐧") are folded to ASCII, since they only
imitate them; a name may be written in any one script, Vietnamese with all its marks
included, or in Cyrillic or Greek alone ("Иван", "Νίκος"), but a name that mixes Latin
letters with Cyrillic or Greek ones is refused: "Nguyễn Văn Аn" with a Cyrillic "А" reads
as the teacher's name and is the usual impersonation. Other scripts beside Latin ("Lan 兰")
are kept: none of them passes for Latin letters. Plain Python, no Django.
"""

from __future__ import annotations

import unicodedata

# Scripts whose letters pass for Latin ones (а е о р с х, ο α ν).
LOOK_ALIKE_SCRIPTS = frozenset({"CYRILLIC", "GREEK"})
MIXED_SCRIPTS = "mixed_scripts"


class NameRefused(ValueError):
    """A display name we do not accept; ``code`` says why (``mixed_scripts``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def fold_compatibility(text: str) -> str:
    """NFC, with compatibility forms of ASCII letters and digits replaced by ASCII."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if not char.isascii() and unicodedata.category(char)[0] in "LN":
            folded = unicodedata.normalize("NFKC", char)
            if folded.isascii() and folded.isalnum():
                char = folded
        out.append(char)
    # Again: a folded letter can now compose with the mark after it ("Ａ" + U+0300 -> "À").
    return unicodedata.normalize("NFC", "".join(out))


def letter_scripts(text: str) -> set[str]:
    """The scripts of the letters in ``text`` (first word of each letter's Unicode name)."""
    scripts = set()
    for char in text:
        if char.isalpha():
            scripts.add(unicodedata.name(char, "UNKNOWN").split(" ", 1)[0])
    return scripts


def mixes_look_alikes(text: str) -> bool:
    """Whether ``text`` has Latin letters and Cyrillic or Greek ones together."""
    scripts = letter_scripts(text)
    return "LATIN" in scripts and bool(scripts & LOOK_ALIKE_SCRIPTS)


def check_display_name(text: str) -> str:
    """The name in canonical form, or ``NameRefused`` if it mixes look-alike scripts."""
    name = fold_compatibility(text)
    if mixes_look_alikes(name):
        raise NameRefused(MIXED_SCRIPTS)
    return name
