"""Reading a roster file (xlsx or csv) into a table of cells, whatever its origin."""

from __future__ import annotations

import csv
import io
import zipfile

from django.utils.translation import gettext as _
from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs installed

from identity.errors import RosterFileError

MAX_ROSTER_BYTES = 10 * 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"


def read_table(*, data: bytes) -> list[list[object]]:
    """The first sheet of an xlsx file, or the rows of a CSV file (UTF-8, comma or semicolon)."""
    if len(data) > MAX_ROSTER_BYTES:
        raise RosterFileError(_("The file is larger than 10 MB."))
    if data.startswith(_ZIP_MAGIC):
        return _xlsx(data)
    return _csv(data)


def _xlsx(data: bytes) -> list[list[object]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise RosterFileError(
            _("The file is not an Excel workbook (.xlsx) that can be read.")
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _csv(data: bytes) -> list[list[object]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterFileError(
            _("The file is neither an Excel workbook (.xlsx) nor a CSV file in UTF-8.")
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error:
        raise RosterFileError(_("The CSV file cannot be read.")) from None
