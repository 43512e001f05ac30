"""Pure rules of the archive: folding, snippets, captions, byte ranges (no database)."""

from __future__ import annotations

import pytest

from archive.domain.captions import MAX_CAPTIONS_BYTES, CaptionsProblem, check_captions
from archive.domain.folding import fold, slug, snippet, terms
from archive.domain.ranges import parse_range


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Tập huấn", "tap huan"),
        ("ĐỔI MỚI đánh giá", "doi moi danh gia"),
        ("Trường THPT Nguyễn Trãi", "truong thpt nguyen trai"),
        ("Tập huấn", "tap huan"),  # NFD input (macOS file names)
        ("ư ơ ă â ê ô", "u o a a e o"),
    ],
)
def test_fold_removes_vietnamese_marks_and_keeps_length(text: str, folded: str) -> None:
    assert fold(text) == folded
    import unicodedata

    assert len(fold(text)) == len(unicodedata.normalize("NFC", text))


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Tập huấn Đổi mới", "tap-huan-doi-moi"),
        ("  Chuyển đổi số: 2026!  ", "chuyen-doi-so-2026"),
        ("中文", ""),
    ],
)
def test_slug(title: str, expected: str) -> None:
    assert slug(title) == expected


def test_terms_are_folded_deduplicated_and_bounded() -> None:
    assert terms("Tập huấn tap HUẤN _ đổi") == ["tap", "huan", "doi"]
    assert len(terms(" ".join(f"w{i}" for i in range(50)))) == 12
    assert terms("  ,;!  ") == []


def test_snippet_marks_the_original_words_with_diacritics() -> None:
    text = "Hội nghị tập huấn giáo viên về đổi mới phương pháp dạy học"
    pieces = snippet(text, terms("tap huan doi"))
    assert [p.text for p in pieces if p.hit] == ["tập", "huấn", "đổi"]
    assert "".join(p.text for p in pieces) == text


def test_snippet_of_a_long_text_is_a_window_around_the_match() -> None:
    text = "mở đầu " * 100 + "tập huấn " + "kết thúc " * 100
    pieces = snippet(text, ["tap"], width=120)
    joined = "".join(p.text for p in pieces)
    assert joined.startswith("… ") and joined.endswith(" …")
    assert len(joined) <= 130
    assert any(p.hit and p.text == "tập" for p in pieces)


def test_snippet_matches_word_starts_only() -> None:
    assert not any(p.hit for p in snippet("khoa học", ["oa"]))


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", CaptionsProblem.EMPTY),
        (b"WEBVTT\n\n" + b"x" * MAX_CAPTIONS_BYTES, CaptionsProblem.TOO_LARGE),
        (b"\xff\xfeW\x00E\x00", CaptionsProblem.NOT_TEXT),
        (b"1\n00:00:01,000 --> 00:00:02,000\nxin chao\n", CaptionsProblem.NOT_WEBVTT),
        (b"WEBVTTX\n\n00:01.000 --> 00:02.000\nA\n", CaptionsProblem.NOT_WEBVTT),
        (b"WEBVTT\n\nNOTE nothing\n", CaptionsProblem.NO_CUES),
        ("WEBVTT - Tập huấn\r\n\r\n00:01.000 --> 00:02.000\r\nXin chào\r\n".encode(), None),
        (b"\xef\xbb\xbfWEBVTT\n\n00:01.000 --> 00:02.000\nA\n", None),
    ],
)
def test_captions_checks(data: bytes, problem: CaptionsProblem | None) -> None:
    text, found = check_captions(data)
    assert found == problem
    if problem is None:
        assert text.startswith("WEBVTT") and "\r" not in text


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("", 1000, None),
        ("bytes=0-99", 1000, (0, 99)),
        ("bytes=900-", 1000, (900, 999)),
        ("bytes=-100", 1000, (900, 999)),
        ("bytes=500-5000", 1000, (500, 999)),
        ("bytes=1000-", 1000, (1000, 1000)),
        ("bytes=5-2", 1000, (1000, 1000)),
        ("bytes=0-1,5-6", 1000, None),
        ("items=0-1", 1000, None),
    ],
)
def test_parse_range(header: str, size: int, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, size) == expected
