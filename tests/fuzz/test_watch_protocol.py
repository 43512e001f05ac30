"""Issue 10, item 3: the watch socket's parser answers every message with a value or a
``ProtocolError``, and the text it keeps can be broadcast and stored."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadcasts.domain import protocol as p
from tests.fuzz.strategies import any_text, deep, json_values, tricky_text, utf8_safe

TYPES = (
    "qa.ask", "chat.send", "qa.answer", "qa.highlight", "qa.approve", "qa.hide",
    "chat.toggle", "rtc.offer", "rtc.ice",
)  # fmt: skip
FIELD_NAMES = ("text", "name", "id", "on", "enabled", "sdp", "candidate")


def check(raw: str) -> p.ClientMessage | p.ProtocolError:
    """Parse; only ProtocolError may escape, with a code; kept text is NFC and encodes."""
    try:
        message = p.parse(raw)
    except p.ProtocolError as problem:
        assert problem.code
        return problem
    wire = p.encode({"type": "x", **vars(message)})  # as the consumer broadcasts it
    assert utf8_safe(wire), wire
    for value in vars(message).values():
        if isinstance(value, str) and not isinstance(message, p.RtcOffer):
            assert unicodedata.is_normalized("NFC", value)
            assert "\u202e" not in value
    return message


@given(st.one_of(st.text(), tricky_text))
def test_any_text(raw: str) -> None:
    """Issue 10, item 3: any text at all gives a message or a ProtocolError."""
    check(raw)


@given(
    type_=st.one_of(st.sampled_from(TYPES), tricky_text),
    body=st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), tricky_text), json_values),
)
def test_every_type_with_random_fields(type_: str, body: dict[str, Any]) -> None:
    """Issue 10, item 3: each message type with random, wrongly typed or huge fields."""
    check(json.dumps({**body, "type": type_}))


@given(type_=st.sampled_from(["qa.ask", "chat.send", "qa.answer"]), text=any_text, name=any_text)
def test_hostile_unicode(type_: str, text: str, name: str) -> None:
    """Issue 10, item 3: look-alikes, NFD, zero-width, RTL overrides, lone surrogates."""
    check(json.dumps({"type": type_, "text": text, "name": name, "id": 1}))


CORPUS: list[tuple[str, str]] = [
    ("deep list", deep(100_000)),
    ("deep candidate", '{"type":"rtc.ice","candidate":' + deep(3_000) + "}"),
    ("huge integer id", '{"type":"qa.hide","id":' + "9" * 5_000 + "}"),
    # Lone surrogates: kept in a question, they broke the broadcast's UTF-8 and PostgreSQL.
    ("surrogate question", '{"type":"qa.ask","text":"c\\u00e2u h\\u1ecfi \\ud800"}'),
    ("surrogate name", '{"type":"chat.send","text":"ok","name":"\\udfff An"}'),
    ("surrogate answer", '{"type":"qa.answer","id":1,"text":"\\udbff"}'),
    ("surrogate sdp", '{"type":"rtc.offer","sdp":"v=0\\udc80"}'),
    # A name over 800 characters: clean_name's TextRefused escaped the parser.
    ("long name", json.dumps({"type": "qa.ask", "text": "ok", "name": "An " * 400})),
    ("NaN id", '{"type":"qa.approve","id":NaN}'),
]


@pytest.mark.parametrize(("name", "raw"), CORPUS, ids=[name for name, _ in CORPUS])
def test_corpus(name: str, raw: str) -> None:
    """Issue 10, item 3: the kept corpus of hostile watch messages."""
    check(raw)
