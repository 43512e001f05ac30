"""Reading a units CSV file: columns, row validation and the errors a user must fix.

The file is all-or-nothing: every bad row is reported with its line number and the
reason, and nothing is written while one remains. This module only reads text;
resolving provinces and parents against the directory is the service's job.
Errors are codes with parameters so the edge can word them in the user's language.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from rooms.domain.naming import CENTRE_LEVELS, SCHOOL_LEVELS

COLUMNS = ("code", "kind", "level", "name", "province", "parent_code", "abbreviation", "mailbox")
REQUIRED_COLUMNS = frozenset({"code", "kind", "name", "province"})
IMPORTABLE_KINDS = ("district", "commune", "school", "centre")
MAX_ROWS = 20_000
MAX_NAME_CHARS = 255

_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_ABBREVIATION_RE = re.compile(r"^[A-Za-z0-9]{1,40}$")
_MAILBOX_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class RowError:
    """Why one line (1 = the header) cannot be imported."""

    line: int
    code: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UnitRow:
    """A syntactically valid row; references are still unresolved."""

    line: int
    code: str
    kind: str
    level: str
    name: str
    province: str
    parent_code: str
    abbreviation: str
    mailbox: str


# Controls (NUL, which PostgreSQL refuses in text), zero-width and bidi-override characters
# and lone surrogates: invisible in a unit's name, or not text at all.
_INVISIBLE_RE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _clean(value: str | None) -> str:
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", value or ""))
    return " ".join(text.split())


def decode(data: bytes) -> str:
    """Decode an uploaded file as UTF-8 (with or without the BOM spreadsheets add)."""
    return data.decode("utf-8-sig")


def _row_errors(line: int, row: dict[str, str]) -> list[RowError]:
    errors: list[RowError] = []
    for column in sorted(REQUIRED_COLUMNS):
        if not row[column]:
            errors.append(RowError(line, "required", {"column": column}))
    if row["code"] and not _CODE_RE.match(row["code"]):
        errors.append(RowError(line, "bad_code", {"value": row["code"]}))
    kind, level = row["kind"].lower(), row["level"].upper()
    if kind and kind not in IMPORTABLE_KINDS:
        errors.append(RowError(line, "bad_kind", {"value": row["kind"]}))
    elif kind == "school" and level not in SCHOOL_LEVELS:
        errors.append(RowError(line, "bad_school_level", {"value": row["level"]}))
    elif kind == "centre" and level not in CENTRE_LEVELS:
        errors.append(RowError(line, "bad_centre_level", {"value": row["level"]}))
    elif kind in {"district", "commune"} and level:
        errors.append(RowError(line, "level_not_allowed", {"value": row["level"]}))
    if len(row["name"]) > MAX_NAME_CHARS:
        errors.append(RowError(line, "name_too_long", {"limit": str(MAX_NAME_CHARS)}))
    if row["abbreviation"] and not _ABBREVIATION_RE.match(row["abbreviation"]):
        errors.append(RowError(line, "bad_abbreviation", {"value": row["abbreviation"]}))
    if row["mailbox"] and not _MAILBOX_RE.match(row["mailbox"]):
        errors.append(RowError(line, "bad_mailbox", {"value": row["mailbox"]}))
    return errors


def _to_row(line: int, row: dict[str, str]) -> UnitRow:
    kind = row["kind"].lower()
    return UnitRow(
        line=line,
        code=row["code"],
        kind=kind,
        level=row["level"].upper(),
        name=row["name"],
        province=row["province"],
        parent_code=row["parent_code"],
        abbreviation=row["abbreviation"],
        mailbox=row["mailbox"],
    )


def parse_units(text: str) -> tuple[list[UnitRow], list[RowError]]:
    """Read the CSV text; return the good rows and every error found, by line."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _read(reader)
    except csv.Error:
        # A cell past csv's field size limit (a pasted document, an unclosed quote that
        # swallows the rest): nothing past it can be read, so it alone is reported.
        return [], [RowError(max(reader.line_num, 1), "unreadable")]


def _read(reader: csv.DictReader[str]) -> tuple[list[UnitRow], list[RowError]]:
    header = [_clean(name).lower() for name in (reader.fieldnames or [])]
    missing = sorted(REQUIRED_COLUMNS - set(header))
    unknown = sorted(set(header) - set(COLUMNS))
    if missing or unknown:
        params = {"missing": ", ".join(missing), "unknown": ", ".join(unknown)}
        return [], [RowError(1, "bad_header", params)]
    reader.fieldnames = header
    rows: list[UnitRow] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    line = 1
    for raw in reader:
        line = reader.line_num
        if len(rows) + len(errors) >= MAX_ROWS:
            errors.append(RowError(line, "too_many_rows", {"limit": str(MAX_ROWS)}))
            break
        if None in raw:  # more cells than header columns
            errors.append(RowError(line, "extra_cells"))
            continue
        row = {column: _clean(raw.get(column)) for column in COLUMNS}
        if not any(row.values()):
            continue  # blank lines are harmless
        row_errors = _row_errors(line, row)
        key = row["code"].lower()
        if key and key in first_line:
            row_errors.append(RowError(line, "duplicate_code", {"first": str(first_line[key])}))
        first_line.setdefault(key, line)
        if row_errors:
            errors.extend(row_errors)
        else:
            rows.append(_to_row(line, row))
    if line == 1 and not rows and not errors:
        errors.append(RowError(1, "empty_file"))
    return rows, errors
