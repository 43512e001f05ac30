"""Issue 10, item 3: slugs and display names with look-alike and mixed scripts are either
accepted consistently (NFC, the same for NFC and NFD input) or refused with a reason."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadcasts.domain.protocol import Ask
from broadcasts.domain.protocol import ProtocolError as WatchProtocolError
from broadcasts.domain.protocol import parse as parse_watch
from rooms.domain.display_names import NameRefused, check_display_name, mixes_look_alikes
from rooms.domain.naming import SLUG_PATTERN, compact, unique_slug
from signaling.domain.protocol.messages import MAX_NAME_CHARS
from signaling.domain.protocol.parser import ProtocolError, clean_text
from tests.fuzz.strategies import TRICKY_CHARS, tricky_text, utf8_safe

VIETNAMESE = "Nguyễn Thị Hồng Nhung ĐẶNG Quốc Bảo Lê Văn An Trường THPT Trần Phú số 2 "
names = st.one_of(
    tricky_text,
    st.text(alphabet=st.sampled_from(VIETNAMESE + TRICKY_CHARS), max_size=40),
    st.text(alphabet=st.sampled_from(VIETNAMESE), max_size=40),
)


def outcome(function: Callable[[str], str], value: str) -> str | type:
    """The value, or the kind of refusal: so two inputs can be compared."""
    try:
        return function(value)
    except (ValueError, NameRefused) as refused:
        return type(refused)


@given(names)
def test_display_name(text: str) -> None:
    """Issue 10, item 3: a name is refused (mixed scripts) or kept NFC, unmixed, stable."""
    try:
        name = check_display_name(text)
    except NameRefused as refused:
        assert refused.code == "mixed_scripts"
        return
    assert unicodedata.is_normalized("NFC", name)
    assert not mixes_look_alikes(name)
    assert check_display_name(name) == name


@given(names)
def test_display_name_nfd_as_nfc(text: str) -> None:
    """Issue 10, item 3: NFD input (macOS, some phones) gives what NFC input gives."""
    nfc, nfd = unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text)
    assert outcome(check_display_name, nfc) == outcome(check_display_name, nfd)


def guest_name(text: str) -> str | type:
    """What the room's guest form keeps of a name (its clean step, without Django)."""
    try:
        return check_display_name(clean_text(text, name="name", limit=MAX_NAME_CHARS))
    except (ProtocolError, NameRefused) as refused:
        return type(refused)


@given(names)
def test_guest_and_viewer_names(text: str) -> None:
    """Issue 10, item 3: the room's guest name and the watch page's viewer name are safe."""
    kept = guest_name(text)
    if isinstance(kept, str):
        assert utf8_safe(kept) and not mixes_look_alikes(kept)
    try:
        message = parse_watch(json.dumps({"type": "qa.ask", "text": "?", "name": text}))
    except WatchProtocolError as refused:
        assert refused.code
        return
    assert isinstance(message, Ask)
    assert utf8_safe(message.name) and not mixes_look_alikes(message.name)


NAME_TABLE: list[tuple[str, str | None]] = [
    ("Nguyễn Văn An", "Nguyễn Văn An"),
    (unicodedata.normalize("NFD", "Nguyễn Văn An"), "Nguyễn Văn An"),
    ("Nguyễn Văn Аn", None),  # Cyrillic А
    ("Lê Thị Hοa", None),  # Greek ο
    ("Иван Петров", "Иван Петров"),
    ("Νίκος Παππάς", "Νίκος Παππάς"),
    ("Ｎｇｕｙｅｎ Ｌａｎ", "Nguyen Lan"),  # fullwidth folded
    ("Ｎｇｕｙｅｎ Іван", None),  # fullwidth Latin folded, then mixed with Cyrillic
    ("Ａ\u0300n", "Àn"),  # folded letter composes with its mark
    ("Lan 兰", "Lan 兰"),
    ("Trần Phú – THPT số 2", "Trần Phú – THPT số 2"),
]


@pytest.mark.parametrize(("text", "expected"), NAME_TABLE)
def test_display_name_policy(text: str, expected: str | None) -> None:
    """Issue 10, item 3: the mixed-script policy, by example."""
    if expected is None:
        with pytest.raises(NameRefused):
            check_display_name(text)
    else:
        assert check_display_name(text) == expected


@given(names)
def test_slug(text: str) -> None:
    """Issue 10, item 3: a unit name gives an ASCII slug or a ValueError, NFC as NFD."""
    slug = outcome(compact, text)
    if isinstance(slug, str):
        assert SLUG_PATTERN.fullmatch(slug) and unique_slug(slug, set()) in (slug, f"{slug}-2")
    assert outcome(compact, unicodedata.normalize("NFD", text)) == slug


SLUG_TABLE: list[tuple[str, str | None]] = [
    ("Trường THPT Trần Phú", "tranphu"),
    ("Ｔｒａｎ Ｐｈｕ", "tranphu"),  # fullwidth: folded, not dropped
    ("Trường THPT Trần Рhú", None),  # Cyrillic Р: refused, not "tranhu"
    ("Хà Nội", None),  # Cyrillic Х
]


@pytest.mark.parametrize(("name", "expected"), SLUG_TABLE)
def test_slug_policy(name: str, expected: str | None) -> None:
    """Issue 10, item 3: look-alike letters in a unit name are refused, fullwidth folded."""
    if expected is None:
        with pytest.raises(ValueError, match="Cyrillic or Greek"):
            compact(name)
    else:
        assert compact(name) == expected


def test_guest_form_refuses_mixed_scripts() -> None:
    """Issue 10, item 3: the room's guest form refuses a look-alike name with a sentence."""
    from signaling.forms import MIXED_SCRIPTS_TEXT, GuestJoinForm

    form = GuestJoinForm(data={"name": "Nguyễn Văn Аn"})
    assert not form.is_valid()
    assert form.errors["name"] == [str(MIXED_SCRIPTS_TEXT)]
    assert GuestJoinForm(data={"name": "Ｎｇｕｙｅｎ Ｌａｎ"}).is_valid()


def test_watch_error_names_mixed_scripts() -> None:
    """Issue 10, item 3: the watch page words ``mixed_scripts``, not a generic failure."""
    from django.utils import translation

    from broadcasts.errors import error_text

    with translation.override("en"):
        assert "Cyrillic" in error_text("mixed_scripts", {})
    with translation.override("vi"):
        assert "Kirin" in error_text("mixed_scripts", {})
