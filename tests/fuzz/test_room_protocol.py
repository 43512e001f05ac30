"""Issue 10, item 3: the room socket's parser answers every frame with a message or a
``ProtocolError``, and what it lets through can be sent on and stored."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signaling.domain import protocol as p
from signaling.domain.protocol import parser
from tests.fuzz.strategies import any_text, deep, json_values, tricky_text, utf8_safe

# Every field name any message reads, so random frames hit the real readers.
FIELD_NAMES = (
    "v", "token", "resume", "text", "peer", "question", "options", "multiple", "poll",
    "choices", "deck", "page", "on", "locked", "enabled", "audio", "video", "screen",
    "sdp", "tracks", "candidate", "peers", "ref",
)  # fmt: skip
TEXT_FIELDS = ("text", "question", "options")


def check(raw: Any) -> p.ClientMessage | p.ProtocolError:
    """Parse; the only exception allowed is ProtocolError, and both outcomes are safe."""
    try:
        message = p.parse_client(raw)
    except p.ProtocolError as problem:
        # ref and type are echoed in the error frame: they must encode.
        assert utf8_safe(problem.ref) and utf8_safe(problem.type), problem
        assert problem.code
        return problem
    assert message.type in p.CLIENT_TYPES
    assert utf8_safe(message.ref)
    wire = json.dumps(p.to_wire(message), ensure_ascii=False)  # as the consumer sends it
    assert utf8_safe(wire), wire
    for item in fields(message):
        value = getattr(message, item.name)
        values = value if isinstance(value, tuple) else (value,)
        for one in values:
            if item.name in TEXT_FIELDS and isinstance(one, str):
                assert unicodedata.is_normalized("NFC", one)
                assert not parser._CONTROL_RE.search(one.replace("\n", ""))
    return message


@given(st.one_of(st.text(), st.binary(), tricky_text))
def test_any_text_or_bytes(raw: str | bytes) -> None:
    """Issue 10, item 3: any frame at all gives a message or a ProtocolError."""
    check(raw)


@given(
    type_=st.sampled_from(sorted(p.CLIENT_TYPES) + ["", "x", "hello\u202e", "\ud800"]),
    body=st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), tricky_text), json_values),
)
def test_every_type_with_random_fields(type_: str, body: dict[str, Any]) -> None:
    """Issue 10, item 3: each message type with random, wrongly typed or huge fields."""
    check(json.dumps({**body, "type": type_}))


@given(
    type_=st.sampled_from(["chat.send", "poll.create"]),
    text=any_text,
    options=st.lists(any_text, max_size=12),
    ref=any_text,
)
def test_hostile_unicode_in_text_fields(
    type_: str, text: str, options: list[str], ref: str
) -> None:
    """Issue 10, item 3: look-alikes, NFD, zero-width, RTL overrides and lone surrogates."""
    body: dict[str, Any] = (
        {"text": text} if type_ == "chat.send" else {"question": text, "options": options}
    )
    check(json.dumps({"type": type_, "ref": ref, **body}))


@given(
    type_=st.sampled_from(["poll.vote", "poll.close", "slides.show", "hello"]),
    number=st.one_of(st.integers(), st.floats(), st.sampled_from([2**53, 2**64, -0.0, 1e309])),
)
def test_numbers_out_of_range(type_: str, number: Any) -> None:
    """Issue 10, item 3: integers past 2**53, negatives, floats, infinities."""
    body = {"poll": number, "choices": [number], "deck": number, "page": number, "v": number}
    check(json.dumps({"type": type_, **body}))


# Inputs that crashed the parser or its callers; each stays here as a regression test.
CORPUS: list[tuple[str, str]] = [
    # Nesting past the recursion limit (json raises RecursionError).
    ("deep list", deep(100_000)),
    ("deep candidate", '{"type":"rtc.ice","candidate":' + deep(5_000) + "}"),
    # A 5,000-digit integer: json refuses it with ValueError (int max str digits).
    ("huge integer", '{"type":"poll.close","poll":' + "9" * 5_000 + "}"),
    # Lone surrogates escaped in JSON: echoed in the error frame, they broke its encoding.
    ("surrogate ref", '{"type":"nope","ref":"\\ud800"}'),
    ("surrogate type", '{"type":"\\udfff"}'),
    ("surrogate chat", '{"type":"chat.send","text":"xin ch\\u00e0o \\ud83d"}'),
    ("surrogate option", '{"type":"poll.create","question":"Q","options":["a","\\udc00b"]}'),
    ("surrogate sdp", '{"type":"rtc.offer","sdp":"v=0\\r\\n\\udc80"}'),
    ("NaN poll", '{"type":"poll.close","poll":NaN}'),
    ("infinite page", '{"type":"slides.show","deck":1,"page":Infinity}'),
]


@pytest.mark.parametrize(("name", "raw"), CORPUS, ids=[name for name, _ in CORPUS])
def test_corpus(name: str, raw: str) -> None:
    """Issue 10, item 3: the kept corpus of hostile room frames."""
    check(raw)
