"""Certificate verification codes: 100 random bits, written in groups a person can copy.

Codes are random (not derived from the certificate), so nothing about one certificate
helps guess another; the alphabet is Crockford's base 32 (no I, L, O, U), read back
case-insensitively with the easily confused letters mapped to their digits.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 20  # 20 × 5 = 100 bits
GROUP_CHARS = 4
_CONFUSED = {"I": "1", "L": "1", "O": "0"}


def encode(value: int) -> str:
    """``value`` (below 2**100) as the grouped code, e.g. ``7K2M-…``."""
    if not 0 <= value < 1 << (5 * CODE_CHARS):
        raise ValueError("value out of range")
    chars = []
    for _ in range(CODE_CHARS):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    plain = "".join(reversed(chars))
    return "-".join(plain[i : i + GROUP_CHARS] for i in range(0, CODE_CHARS, GROUP_CHARS))


def normalise(text: str) -> str | None:
    """The code as stored, from what a person typed or a link carried; None if it cannot be."""
    plain = "".join(_CONFUSED.get(c, c) for c in text.upper() if c not in "- ")
    if len(plain) != CODE_CHARS or any(c not in ALPHABET for c in plain):
        return None
    return "-".join(plain[i : i + GROUP_CHARS] for i in range(0, CODE_CHARS, GROUP_CHARS))
