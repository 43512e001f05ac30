"""Reading units CSV files: every bad row reported with its line and reason."""

from __future__ import annotations

import pytest

from rooms.domain.unit_rows import decode, parse_units

HEADER = "code,kind,level,name,province,parent_code,abbreviation,mailbox\n"


def codes(text: str) -> list[tuple[int, str]]:
    _rows, errors = parse_units(text)
    return [(e.line, e.code) for e in errors]


def test_good_rows_are_read_and_normalised() -> None:
    nfd = "Trường THPT Trần Phú".encode().decode()
    import unicodedata

    text = HEADER + f"HN-1,school,c3,  {unicodedata.normalize('NFD', nfd)} ,Hà Nội,,,\n"
    rows, errors = parse_units(text)
    assert errors == []
    assert rows[0].level == "C3"
    assert rows[0].name == unicodedata.normalize("NFC", nfd)
    assert rows[0].line == 2


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("X1,district,,,Hà Nội,,,", [(2, "required")]),
        ("X1,village,,Làng,Hà Nội,,,", [(2, "bad_kind")]),
        ("X1,school,C4,Trường A,Hà Nội,,,", [(2, "bad_school_level")]),
        ("X1,school,TX,Trường A,Hà Nội,,,", [(2, "bad_school_level")]),
        ("X1,centre,C3,Trung tâm A,Hà Nội,,,", [(2, "bad_centre_level")]),
        ("X1,district,C3,Quận A,Hà Nội,,,", [(2, "level_not_allowed")]),
        ("X 1,district,,Quận A,Hà Nội,,,", [(2, "bad_code")]),
        ("X1,district,,Quận A,Hà Nội,,tp HCM,", [(2, "bad_abbreviation")]),
        ("X1,district,,Quận A,Hà Nội,,,not-an-address", [(2, "bad_mailbox")]),
        ("X1,district,,Quận A,Hà Nội,,,,extra", [(2, "extra_cells")]),
        ("X1,district,,Quận A,,,,", [(2, "required")]),
    ],
)
def test_bad_rows(line: str, expected: list[tuple[int, str]]) -> None:
    assert codes(HEADER + line + "\n") == expected


def test_every_bad_row_is_reported_with_its_line() -> None:
    text = (
        HEADER
        + "A1,district,,Quận Ba Đình,Hà Nội,,,\n"
        + "A2,school,C9,Trường X,Hà Nội,,,\n"
        + "\n"
        + "A1,district,,Quận Tây Hồ,Hà Nội,,,\n"
        + "A4,centre,,Trung tâm Y,Hà Nội,,,\n"
    )
    assert codes(text) == [(3, "bad_school_level"), (5, "duplicate_code"), (6, "bad_centre_level")]


def test_quoted_newlines_keep_line_numbers_true() -> None:
    text = HEADER + 'A1,district,,"Quận\nBa Đình",Hà Nội,,,\n' + "A2,school,,Trường X,Hà Nội,,,\n"
    assert codes(text) == [(4, "bad_school_level")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name,kind\nA,district\n", [(1, "bad_header")]),
        ("", [(1, "bad_header")]),
        (HEADER, [(1, "empty_file")]),
    ],
)
def test_header_and_empty_files(text: str, expected: list[tuple[int, str]]) -> None:
    assert codes(text) == expected


def test_header_case_and_spaces_are_forgiven() -> None:
    rows, errors = parse_units(" Code , KIND ,name,Province\nA1,district,Quận 1,Hà Nội\n")
    assert errors == [] and rows[0].code == "A1"


def test_spreadsheet_bom_is_removed_and_other_encodings_refused() -> None:
    assert decode("\ufeffcode".encode()) == "code"
    with pytest.raises(UnicodeDecodeError):
        decode("Hà Nội".encode("utf-16-le"))
