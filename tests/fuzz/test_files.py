"""Issue 10, item 3: Range headers and WebVTT captions, the two parsers of the archive's
file routes, answer anything with a value or their documented refusal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.domain.captions import MAX_CAPTIONS_BYTES, CaptionsProblem, check_captions
from archive.domain.ranges import parse_range
from tests.fuzz.strategies import tricky_text, utf8_safe

sizes = st.one_of(st.integers(-5, 10), st.integers(0, 2**63), st.sampled_from([0, 1, 2**40]))
numbers = st.one_of(st.integers(0, 2**64), st.integers(0, 10**40)).map(str)
range_headers = st.one_of(
    st.text(),
    tricky_text,
    st.builds(
        lambda a, b: f"bytes={a}-{b}",
        st.one_of(numbers, st.just("")),
        st.one_of(numbers, st.just("")),
    ),
    st.builds(lambda a, b, c: f"bytes={a}-{b},{c}-", numbers, numbers, numbers),
    st.builds(lambda a: f" bytes = {a} - ", st.text("0123456789٣５ -", max_size=30)),
)


def check_range(header: str, size: int) -> None:
    """None, the 416 marker (size, size), or a range inside the file."""
    got = parse_range(header, size)
    if got is None:
        return
    first, last = got
    if (first, last) == (size, size):
        return
    assert 0 <= first <= last < size, (header, size, got)


@given(header=range_headers, size=sizes)
def test_range_header(header: str, size: int) -> None:
    """Issue 10, item 3: any Range header against any file size stays inside the file."""
    check_range(header, size)


RANGE_CORPUS: list[tuple[str, int, tuple[int, int] | None]] = [
    # 5,000 digits: int() refused them with ValueError (int max str digits) -> 500.
    ("bytes=" + "9" * 5_000 + "-", 100, (100, 100)),
    ("bytes=-" + "9" * 5_000, 100, (0, 99)),
    ("bytes=0-" + "9" * 5_000, 100, (0, 99)),
    # Digits of other scripts matched \d and were read as numbers; they are no range.
    ("bytes=٣-٥", 100, None),
    ("bytes=５-", 100, None),
    ("bytes=0-0", 0, (0, 0)),
    ("bytes=-0", 10, (10, 10)),
]


@pytest.mark.parametrize(("header", "size", "expected"), RANGE_CORPUS)
def test_range_corpus(header: str, size: int, expected: tuple[int, int] | None) -> None:
    """Issue 10, item 3: the kept corpus of hostile Range headers."""
    check_range(header, size)
    assert parse_range(header, size) == expected


def check_vtt(data: bytes) -> None:
    text, problem = check_captions(data)
    if problem is None:
        assert text.startswith("WEBVTT") and "-->" in text
        assert utf8_safe(text) and "\r" not in text
    else:
        assert isinstance(problem, CaptionsProblem) and text == ""


@given(
    st.one_of(
        st.binary(),
        st.text().map(lambda t: ("WEBVTT\n\n" + t).encode("utf-8", "surrogatepass")),
        st.lists(st.one_of(tricky_text, st.sampled_from(["WEBVTT", "-->", "\r\n", "\x00"]))).map(
            lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
        ),
    )
)
def test_captions(data: bytes) -> None:
    """Issue 10, item 3: any upload gives NFC WebVTT text or one CaptionsProblem."""
    check_vtt(data)


VTT_CORPUS: list[bytes] = [
    b"WEBVTT\n\n00:00.000 --> 00:01.000\n\xed\xa0\x80",  # an encoded surrogate (CESU-8)
    b"\xef\xbb\xbfWEBVTT\r\n\r\n00:00.000 --> 00:01.000\r\nxin ch\xc3\xa0o",
    b"WEBVTT\x00\n-->",
    b"WEBVTT\n" + b"-->" * (MAX_CAPTIONS_BYTES // 3 + 1),
    b" \t\n",
]


@pytest.mark.parametrize("data", VTT_CORPUS)
def test_captions_corpus(data: bytes) -> None:
    """Issue 10, item 3: the kept corpus of hostile caption files."""
    check_vtt(data)
