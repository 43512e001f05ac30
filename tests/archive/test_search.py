"""Search ignores Vietnamese diacritics on SQLite (FTS5) and PostgreSQL (unaccent).

Run with DATABASE_URL=postgres://… to exercise PostgreSQL; the same tests must pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from archive.models import ArchiveEntry
from archive.portal.search import search
from archive.services.archive import EntryInput, entry_unpublish, entry_update
from tests.archive.conftest import People, published_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(people: People, mp4_file: Path) -> list[ArchiveEntry]:
    training = published_entry(people, mp4_file, title="Tập huấn đánh giá học sinh tiểu học")
    briefing = published_entry(people, mp4_file, title="Giao ban tháng Mười Một")
    entry_update(
        entry=briefing,
        data=EntryInput(
            title=briefing.title,
            description="Đội ngũ giáo viên báo cáo kết quả thi đua",
            unit=briefing.unit,
            kind="briefing",
            held_on=briefing.held_on,
            source="",
            tags=["Thi đua"],
        ),
        by=people.editor,
    )
    return [training, briefing]


def titles(query: str) -> list[str]:
    return [hit.entry.title for hit in search(query)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tap huan", ["Tập huấn đánh giá học sinh tiểu học"]),
        ("TẬP HUẤN", ["Tập huấn đánh giá học sinh tiểu học"]),
        ("Tập huấn", ["Tập huấn đánh giá học sinh tiểu học"]),  # NFD
        ("danh gia", ["Tập huấn đánh giá học sinh tiểu học"]),  # đ → d
        ("doi ngu", ["Giao ban tháng Mười Một"]),  # description
        ("thi dua", ["Giao ban tháng Mười Một"]),  # tag
        ("kho hoc lieu", ["Giao ban tháng Mười Một", "Tập huấn đánh giá học sinh tiểu học"]),
        ("tap hu", ["Tập huấn đánh giá học sinh tiểu học"]),  # prefix while typing
        ("tap huan giao ban", []),  # every word must match
        ("xyzzy", []),
    ],
)
def test_search_ignores_diacritics(entries: list[ArchiveEntry], query: str, expected) -> None:
    assert sorted(titles(query)) == sorted(expected), connection.vendor


def test_both_match_common_words_ranked(entries: list[ArchiveEntry]) -> None:
    # "chuyen doi so" is in both slide texts; both come back.
    assert len(titles("chuyen doi so")) == 2


def test_unpublished_entries_are_not_found(entries: list[ArchiveEntry], people: People) -> None:
    entry_unpublish(entry=entries[0], by=people.editor)
    assert titles("tap huan") == []


def test_search_page_highlights_and_handles_bad_queries(entries: list[ArchiveEntry]) -> None:
    html = Client().get("/portal/search/", {"q": "doi ngu"}).content.decode()
    assert "<mark>Đội</mark> <mark>ngũ</mark>" in html
    assert "Giao ban tháng Mười Một" in html
    empty = Client().get("/portal/search/", {"q": ""}, HTTP_ACCEPT_LANGUAGE="vi")
    assert empty.status_code == 200 and "Hãy gõ một từ để tìm." in empty.content.decode()
    long = Client().get("/portal/search/", {"q": "a" * 500}, HTTP_ACCEPT_LANGUAGE="vi")
    assert long.status_code == 200 and "quá dài" in long.content.decode()
    odd = Client().get("/portal/search/", {"q": '"*) OR NEAR( ) & | ! :*'})
    assert odd.status_code == 200  # FTS5 / tsquery syntax is never passed through
