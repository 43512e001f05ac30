"""Teacher rosters from the sector database's spreadsheet exports: headers and rows.

A roster is a table (first row the header) of teachers: national identification code
(the external key: a re-import updates the teacher it names), full name, official e-mail,
the code of the teacher's unit and, optionally, the subjects they teach (courses enrol by
subject: "every C2 mathematics teacher of the province"). Headers are checked strictly;
every row's problems are named (as codes with parameters, worded by the edge); the caller
imports nothing while one remains. No Django here: resolving units and accounts is the
service's job.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

# Column key -> the header the sector database's export writes.
COLUMNS = {
    "national_id": "Mã định danh",
    "full_name": "Họ và tên",
    "email": "Email",
    "unit_code": "Mã đơn vị",
}
# Columns a roster may leave out: key -> header.
OPTIONAL_COLUMNS = {"subjects": "Môn dạy"}
MAX_ROWS = 20_000
MAX_NAME_CHARS = 150
MAX_SUBJECTS_CHARS = 300
# Subjects in one cell: "Toán, Vật lí" (or ; / and new lines).
_SUBJECT_SPLIT_RE = re.compile(r"[,;/\n]+")
# The personal identification number (số định danh cá nhân): twelve digits.
_NATIONAL_ID_RE = re.compile(r"^[0-9]{12}$")
_EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_INVISIBLE_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Problem:
    """Why one line (1 = the header) cannot be imported; ``code`` is worded by the edge."""

    line: int
    code: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TeacherRow:
    line: int
    national_id: str
    full_name: str
    email: str
    unit_code: str
    subjects: str = ""  # as written: "Toán, Tin học"
    subjects_given: bool = False  # the roster has the column (without it nothing changes)


def clean(value: object) -> str:
    """A cell as NFC text without invisible characters, runs of spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code a spreadsheet stored as a number
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", str(value)))
    return " ".join(text.split())


def _header_key(text: str) -> str:
    return clean(text).casefold()


def subject_key(name: str) -> str:
    """A subject's name for matching: "Toán", "toán" and "Toan" are one subject (people type
    without the marks), "Vật lí" and "Vật lý" too (both spellings are in use)."""
    text = unicodedata.normalize("NFD", clean(name).casefold().replace("đ", "d"))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(text.replace("y", "i").split())


def subject_keys(text: str) -> tuple[str, ...]:
    """The keys of the subjects in one cell, in order, each once."""
    keys = (subject_key(part) for part in _SUBJECT_SPLIT_RE.split(text))
    return tuple(dict.fromkeys(key for key in keys if key))


def header_problems(header: list[str]) -> list[Problem]:
    """Missing, unknown and repeated columns of the header row."""
    wanted = {_header_key(title): key for key, title in {**COLUMNS, **OPTIONAL_COLUMNS}.items()}
    seen: dict[str, int] = {}
    problems = []
    for title in header:
        key = _header_key(title)
        if not key:
            continue
        if key not in wanted:
            problems.append(Problem(1, "unknown_column", {"column": clean(title)}))
        seen[key] = seen.get(key, 0) + 1
    titles = {**COLUMNS, **OPTIONAL_COLUMNS}
    for key, count in seen.items():
        if count > 1 and key in wanted:
            problems.append(Problem(1, "repeated_column", {"column": titles[wanted[key]]}))
    for title in COLUMNS.values():
        if _header_key(title) not in seen:
            problems.append(Problem(1, "missing_column", {"column": title}))
    return problems


def _row_problems(row: TeacherRow) -> list[Problem]:
    problems = []
    for key, title in COLUMNS.items():
        if not getattr(row, key):
            problems.append(Problem(row.line, "required", {"column": title}))
    if row.national_id and not _NATIONAL_ID_RE.match(row.national_id):
        problems.append(Problem(row.line, "bad_national_id", {"value": row.national_id}))
    if row.email and not _EMAIL_RE.match(row.email):
        problems.append(Problem(row.line, "bad_email", {"value": row.email}))
    if len(row.full_name) > MAX_NAME_CHARS:
        problems.append(Problem(row.line, "long_name", {"max": str(MAX_NAME_CHARS)}))
    if len(row.subjects) > MAX_SUBJECTS_CHARS:
        problems.append(Problem(row.line, "long_subjects", {"max": str(MAX_SUBJECTS_CHARS)}))
    return problems


def parse_teachers(table: Sequence[Sequence[object]]) -> tuple[list[TeacherRow], list[Problem]]:
    """Rows of a roster table and every problem found in it (header problems stop there)."""
    if not table:
        return [], [Problem(1, "empty", {})]
    header = [clean(cell) for cell in table[0]]
    problems = header_problems(header)
    if problems:
        return [], problems
    if len(table) - 1 > MAX_ROWS:
        return [], [Problem(1, "too_many_rows", {"max": str(MAX_ROWS)})]
    index = {_header_key(title): at for at, title in enumerate(header)}
    present = {
        key: title
        for key, title in {**COLUMNS, **OPTIONAL_COLUMNS}.items()
        if _header_key(title) in index
    }
    rows: list[TeacherRow] = []
    for line, cells in enumerate(table[1:], start=2):
        values = {
            key: clean(cells[index[_header_key(title)]])
            if index[_header_key(title)] < len(cells)
            else ""
            for key, title in present.items()
        }
        if not any(values.values()):
            continue  # a blank line at the end of a sheet
        values["email"] = values["email"].lower()
        row = TeacherRow(line=line, subjects_given="subjects" in present, **values)
        problems += _row_problems(row)
        rows.append(row)
    problems += _duplicates(rows, "national_id", "duplicate_national_id")
    problems += _duplicates(rows, "email", "duplicate_email")
    return rows, sorted(problems, key=lambda problem: problem.line)


def _duplicates(rows: list[TeacherRow], key: str, code: str) -> list[Problem]:
    first: dict[str, int] = {}
    problems = []
    for row in rows:
        value = getattr(row, key)
        if not value:
            continue
        if value in first:
            problems.append(Problem(row.line, code, {"value": value, "first": str(first[value])}))
        else:
            first[value] = row.line
    return problems
