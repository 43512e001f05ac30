"""Issue 10, item 3: the units CSV reader answers any upload with rows and row errors
(or the decode error the edges word), and the rows it keeps can be stored."""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rooms.domain.unit_rows import COLUMNS, RowError, UnitRow, decode, parse_units
from tests.fuzz.strategies import tricky_text, utf8_safe

cells = st.one_of(
    tricky_text,
    st.sampled_from(["school", "centre", "district", "commune", "C3", "TX", "01", "hanoi"]),
    st.text(alphabet='",\r\n\x00;\t', max_size=10),
)
headers = st.one_of(
    st.just(list(COLUMNS)),
    st.lists(st.one_of(st.sampled_from(COLUMNS), tricky_text), min_size=1, max_size=10),
)


def to_csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def check(text: str) -> None:
    """Rows and errors, nothing else; a kept row is NFC, one line, and can be stored."""
    rows, errors = parse_units(text)
    assert all(isinstance(error, RowError) and error.code for error in errors)
    for row in rows:
        assert isinstance(row, UnitRow)
        for value in (row.code, row.name, row.province, row.parent_code, row.mailbox):
            assert utf8_safe(value), row
            assert unicodedata.is_normalized("NFC", value)
            assert value == " ".join(value.split())
            assert "\u202e" not in value and "\u200b" not in value  # nothing hidden


@given(header=headers, rows=st.lists(st.lists(cells, max_size=10), max_size=8))
def test_random_csv(header: list[str], rows: list[list[str]]) -> None:
    """Issue 10, item 3: random headers and cells, quoted or not."""
    check(to_csv(header, rows))


@given(st.one_of(st.text(), tricky_text))
def test_any_text(text: str) -> None:
    """Issue 10, item 3: any text at all."""
    check(text)


@given(st.binary())
def test_any_bytes(data: bytes) -> None:
    """Issue 10, item 3: any upload decodes or raises UnicodeDecodeError (worded by the edge)."""
    try:
        text = decode(data)
    except UnicodeDecodeError:
        return
    check(text)


HEADER = ",".join(COLUMNS) + "\n"
CORPUS: list[tuple[str, str]] = [
    # One cell past csv's field size limit (131,072): csv.Error escaped -> 500 in the admin.
    ("huge quoted cell", HEADER + 'X1,school,C3,"' + "a" * 200_000 + '",hanoi,,,\n'),
    ("huge bare cell", HEADER + "X1,school,C3," + "a" * 200_000 + ",hanoi,,,\n"),
    # NUL and other controls in a name: PostgreSQL refuses NUL in text.
    ("NUL in name", HEADER + "X1,school,C3,Tr\x00ần Phú,hanoi,,,\n"),
    ("bidi override in name", HEADER + "X1,school,C3,\u202eúhP nầrT,hanoi,,,\n"),
    ("unterminated quote", HEADER + 'X1,school,C3,"Trần Phú,hanoi,,,\n'),
    ("NFD header", unicodedata.normalize("NFD", "códe") + ",kind,name,province\n"),
    ("lone CR rows", HEADER.replace("\n", "\r") + "X1,school,C3,A,hanoi,,,\r"),
]


@pytest.mark.parametrize(("name", "text"), CORPUS, ids=[name for name, _ in CORPUS])
def test_corpus(name: str, text: str) -> None:
    """Issue 10, item 3: the kept corpus of hostile units files."""
    check(text)
