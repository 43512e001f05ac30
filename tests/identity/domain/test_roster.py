"""The roster's strict header and row checks (issue 16), as tables."""

from __future__ import annotations

import pytest

from identity.domain.roster import (
    clean,
    header_problems,
    parse_teachers,
    subject_key,
    subject_keys,
)

HEADER = ["Mã định danh", "Họ và tên", "Email", "Mã đơn vị"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (HEADER, []),
        # Case, spacing and a decomposed "đ" of another keyboard are the same header.
        (["MÃ ĐỊNH DANH", " Họ  và tên ", "email", "Ma\u0303 đơn vị"], []),
        (["Mã định danh", "Họ và tên", "Email"], [("missing_column", "Mã đơn vị")]),
        ([*HEADER, "Ghi chú"], [("unknown_column", "Ghi chú")]),
        ([*HEADER, "Email"], [("repeated_column", "Email")]),
        ([*HEADER, "Môn dạy"], []),  # the subjects, optional
        ([*HEADER, "môn dạy", "Môn dạy"], [("repeated_column", "Môn dạy")]),
    ],
)
def test_header(header: list[str], expected: list[tuple[str, str]]) -> None:
    found = [(p.code, p.params["column"]) for p in header_problems(header)]
    assert found == expected


@pytest.mark.parametrize(
    ("row", "codes"),
    [
        (["001190012345", "Nguyễn Văn An", "an@hanoi.edu.vn", "01001"], []),
        (["1190012345", "Nguyễn Văn An", "an@hanoi.edu.vn", "01001"], ["bad_national_id"]),
        (["001190012345", "", "an@hanoi.edu.vn", "01001"], ["required"]),
        (["001190012345", "Nguyễn Văn An", "an.hanoi.edu.vn", "01001"], ["bad_email"]),
        (["001190012345", "Nguyễn Văn An", "an@hanoi.edu.vn", ""], ["required"]),
        (["", "", "", ""], []),  # a blank line is skipped, not a problem
    ],
)
def test_rows(row: list[str], codes: list[str]) -> None:
    _, problems = parse_teachers([HEADER, row])
    assert [p.code for p in problems] == codes
    assert all(p.line == 2 for p in problems)


def test_duplicates_name_the_first_line() -> None:
    rows, problems = parse_teachers(
        [
            HEADER,
            ["001190012345", "An", "an@hanoi.edu.vn", "01001"],
            ["001190012346", "Bình", "AN@hanoi.edu.vn", "01001"],
            ["001190012345", "An", "an2@hanoi.edu.vn", "01001"],
        ]
    )
    assert len(rows) == 3
    assert [(p.line, p.code, p.params["first"]) for p in problems] == [
        (3, "duplicate_email", "2"),
        (4, "duplicate_national_id", "2"),
    ]


def test_cells_are_nfc_text_and_numbers_stay_codes() -> None:
    assert clean("Nguye\u0302\u0303n\u200b  Văn") == "Nguyễn Văn"
    assert clean(1001.0) == "1001"
    assert clean(None) == ""


def test_the_subjects_column_is_read_when_there_and_only_then() -> None:
    rows, problems = parse_teachers(
        [[*HEADER, "Môn dạy"], ["001190012345", "An", "an@hanoi.edu.vn", "01001", "Toán, Tin học"]]
    )
    assert problems == []
    assert (rows[0].subjects, rows[0].subjects_given) == ("Toán, Tin học", True)
    rows, _ = parse_teachers([HEADER, ["001190012345", "An", "an@hanoi.edu.vn", "01001"]])
    assert (rows[0].subjects, rows[0].subjects_given) == ("", False)
    long = ", ".join(["Giáo dục kinh tế và pháp luật"] * 12)
    _, problems = parse_teachers(
        [[*HEADER, "Môn dạy"], ["001190012345", "An", "an@hanoi.edu.vn", "01001", long]]
    )
    assert [p.code for p in problems] == ["long_subjects"]


@pytest.mark.parametrize(
    ("written", "same_as"),
    [
        ("toán", "Toán"),
        ("TOAN", "Toán"),
        ("To\u0061\u0301n", "Toán"),  # decomposed, as some keyboards send it
        ("Vật lý", "Vật lí"),
        ("Địa  lý", "Dia li"),
        ("Kỹ thuật", "Kĩ thuật"),
    ],
)
def test_a_subject_is_one_subject_however_it_is_typed(written: str, same_as: str) -> None:
    assert subject_key(written) == subject_key(same_as)


def test_subjects_of_a_cell_in_order_each_once() -> None:
    assert subject_keys("Toán; Tin học / toan,\nNgữ văn, ") == ("toan", "tin hoc", "ngu van")
    assert subject_key("Toán") != subject_key("Tin học")
