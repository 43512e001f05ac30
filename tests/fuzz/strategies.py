"""Hostile inputs shared by the fuzz properties: text that hides or imitates, JSON that
nests, numbers out of every range."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Characters that have caused trouble elsewhere: controls, bidi overrides and isolates,
# zero-width joiners, lone surrogates (JSON can escape them), look-alikes of Latin letters
# (Cyrillic а е о р с, Greek ο α, fullwidth Ａ), combining marks (NFD Vietnamese).
TRICKY_CHARS = (
    "\x00\x01\x07\x1b\x7f\x85\x9f\t\n\r\u2028\u2029"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\ufeff\ufffd\ud800\udbff\udc00\udfff"
    "аеорсхАВЕКМНОРСТХ"
    "οαΑΒΕΗΙΚΜΝΟΡΤΧ"
    "ＡＢａｂ０１"
    "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b"
    "ạảãáàâầấậẩẫăằắặẳẵêềếệểễôồốộổỗơờớợởỡưừứựửữđĐ"
    "🙂👍🏽‍"
)

tricky_text = st.text(
    alphabet=st.one_of(st.sampled_from(TRICKY_CHARS), st.characters()), max_size=80
)
huge_text = st.builds(
    lambda char, n: char * n, st.sampled_from("aа\u200b\u0301 "), st.integers(0, 100_000)
)
any_text = st.one_of(tricky_text, huge_text, st.text())

big_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**53, 2**53 - 1, 2**63, -(2**63), 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(st.none(), st.booleans(), big_numbers, any_text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6), st.dictionaries(tricky_text, inner, max_size=6)
    ),
    max_leaves=20,
)


def deep(levels: int, leaf: Any = 1) -> str:
    """JSON nested ``levels`` deep: past the parser's recursion limit when large."""
    return "[" * levels + json.dumps(leaf) + "]" * levels


def frame(type_: str, fields: dict[str, Any]) -> str:
    """A JSON frame; non-finite floats are kept, as a browser could not but a script can."""
    return json.dumps({"type": type_, **fields})


def utf8_safe(text: str) -> bool:
    """Whether ``text`` can go out on a WebSocket or into PostgreSQL (strict UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text
