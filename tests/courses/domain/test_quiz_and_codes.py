"""Quiz grading and text format; certificate codes (issue 15, items 7 and 8)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courses.domain import codes
from courses.domain.enrolment import levels_covering, rule_levels_taking
from courses.domain.quiz import Question, QuizFormatError, grade, parse, passed, unparse

TEXT = """Luật Giáo dục được Quốc hội thông qua năm nào?
- 2005
* 2019
- 2020

Những phần mềm nào là phòng họp trực tuyến?
* meet
* Jitsi
- Excel
"""


def test_parse_reads_questions_and_right_answers() -> None:
    questions = parse(TEXT)
    assert [q.text for q in questions] == [
        "Luật Giáo dục được Quốc hội thông qua năm nào?",
        "Những phần mềm nào là phòng họp trực tuyến?",
    ]
    assert questions[0].choices == ("2005", "2019", "2020")
    assert questions[0].correct == {1}
    assert questions[1].correct == {0, 1}
    assert parse(unparse(questions)) == questions


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("Câu hỏi?\n- a\n- b\n", 1, "correct"),
        ("Câu hỏi?\n* a\n", 1, "choices"),
        ("* a\n", 1, "orphan"),
        ("Câu một?\nCâu hai?\n* a\n- b", 2, "orphan"),
    ],
)
def test_parse_says_where_the_text_is_wrong(text: str, line: int, problem: str) -> None:
    with pytest.raises(QuizFormatError) as caught:
        parse(text)
    assert (caught.value.line, caught.value.problem) == (line, problem)


@pytest.mark.parametrize(
    ("answers", "percent"),
    [
        ({1: {11}, 2: {20, 21}}, 100),
        ({1: {11}, 2: {20}}, 50),  # a half-right multiple answer is wrong
        ({1: {11}, 2: {20, 21, 22}}, 50),  # ticking everything is wrong
        ({}, 0),
    ],
)
def test_grade(answers: dict[int, set[int]], percent: float) -> None:
    key = {1: frozenset({11}), 2: frozenset({20, 21})}
    assert grade(key, {q: frozenset(c) for q, c in answers.items()}) == percent


def test_pass_mark_is_inclusive() -> None:
    assert passed(70.0, 70) and not passed(69.99, 70)


questions = st.lists(
    st.builds(
        lambda t, cs, ok: Question(t, tuple(cs), frozenset({ok % len(cs)})),
        st.text("abcđêơ ?", min_size=1, max_size=20)
        .map(str.strip)
        .filter(lambda t: bool(t) and t[0] not in "*-"),
        st.lists(
            st.text("xyzăâ 1", min_size=1, max_size=10).map(str.strip).filter(bool),
            min_size=2,
            max_size=5,
        ),
        st.integers(min_value=0),
    ),
    max_size=5,
)


@given(questions)
def test_unparse_then_parse_gives_the_same_questions(items: list[Question]) -> None:
    assert parse(unparse(tuple(items))) == tuple(items)


@given(st.integers(min_value=0, max_value=(1 << 100) - 1))
def test_codes_read_back_whatever_the_case_and_dashes(value: int) -> None:
    code = codes.encode(value)
    assert len(code) == 24 and code.count("-") == 4
    assert codes.normalise(code) == code
    assert codes.normalise(code.lower().replace("-", " ")) == code


@pytest.mark.parametrize("text", ["", "ABC", "0000-0000-0000-0000-000U", "x" * 24, "../../etc"])
def test_codes_that_cannot_be(text: str) -> None:
    assert codes.normalise(text) is None


def test_confused_letters_read_as_digits() -> None:
    assert codes.normalise("OOOO-IIII-LLLL-0000-0000") == "0000-1111-1111-0000-0000"


@pytest.mark.parametrize(
    ("level", "covering"),
    [
        ("C2", ("C2", "C12", "C23", "C123")),
        ("C1", ("C1", "C12", "C123")),
        ("C23", ("C23",)),
        ("TX", ("TX",)),
        ("", ()),
    ],
)
def test_a_level_rule_takes_every_school_teaching_it(level: str, covering: tuple) -> None:
    assert levels_covering(level) == covering


@pytest.mark.parametrize(
    "unit_level", ["C0", "C1", "C2", "C3", "C12", "C23", "C123", "TX", "TN", ""]
)
def test_rule_levels_taking_is_the_inverse_of_levels_covering(unit_level: str) -> None:
    rules = ("C0", "C1", "C2", "C3", "C12", "C23", "C123", "TX", "TN")
    expected = {rule for rule in rules if unit_level in levels_covering(rule)}
    assert set(rule_levels_taking(unit_level)) == expected
