"""The watch page's plain rules: viewers' text, rate limits and the socket's messages."""

from __future__ import annotations

import unicodedata

import pytest

from broadcasts.domain.protocol import (
    Ask,
    ChatSend,
    ChatToggle,
    Moderate,
    ProtocolError,
    parse,
)
from broadcasts.domain.text import TextRefused, clean_name, clean_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (unicodedata.normalize("NFD", "Tập huấn"), "Tập huấn"),
        ("  Xin hỏi  ", "Xin hỏi"),
        ("dòng 1\r\ndòng 2", "dòng 1\ndòng 2"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("bell\x07 and \u202eoverride", "bell and override"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),  # escaped when shown
    ],
)
def test_text_is_made_canonical(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@pytest.mark.parametrize(
    ("raw", "code"), [("", "empty"), ("   \n ", "empty"), (None, "empty"), ("x" * 501, "too_long")]
)
def test_text_refused(raw: object, code: str) -> None:
    with pytest.raises(TextRefused) as refused:
        clean_text(raw)
    assert refused.value.code == code


def test_exactly_500_characters_pass() -> None:
    assert len(clean_text("ữ" * 500)) == 500


def test_names_are_one_short_line() -> None:
    assert clean_name("  Nguyễn \n Văn   A ") == "Nguyễn Văn A"
    assert clean_name(None) == ""
    assert len(clean_name("A" * 300)) == 80


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"type":"qa.ask","text":"Hỏi","name":"Lan"}', Ask("Hỏi", "Lan")),
        ('{"type":"chat.send","text":"Chào"}', ChatSend("Chào", "")),
        ('{"type":"qa.approve","id":3}', Moderate("approve", 3)),
        ('{"type":"qa.hide","id":3}', Moderate("hide", 3)),
        ('{"type":"qa.highlight","id":3,"on":false}', Moderate("highlight", 3, on=False)),
        ('{"type":"qa.answer","id":3,"text":"Đúng"}', Moderate("answer", 3, "Đúng")),
        ('{"type":"chat.toggle","enabled":true}', ChatToggle(True)),
    ],
)
def test_messages_parse(raw: str, message: object) -> None:
    assert parse(raw) == message


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "bad_message"),
        ("[1]", "bad_message"),
        ('{"text":"no type"}', "bad_message"),
        ('{"type":"qa.approve","id":true}', "bad_message"),
        ('{"type":"qa.approve","id":-1}', "bad_message"),
        ('{"type":"qa.highlight","id":1,"on":"yes"}', "bad_message"),
        ('{"type":"qa.answer","id":1,"text":""}', "empty"),
        ('{"type":"nope"}', "unknown_type"),
        ('{"type":"qa.ask","text":"' + "x" * 9000 + '"}', "too_long"),
    ],
)
def test_bad_messages(raw: str, code: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse(raw)
    assert refused.value.code == code
