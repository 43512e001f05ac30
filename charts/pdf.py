"""A report as an A4 PDF: a title, a few lines, then sections of a chart above its table,
set in Be Vietnam Pro (SIL OFL, fontpkg) so Vietnamese prints whole."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources

from fpdf import FPDF
from fpdf.fonts import FontFace

from charts.svg import FONT_FAMILY, clean

MARGIN_MM = 12.0
CHART_WIDTH_MM = 170.0
# A column's share of the table's width, in characters of its longest text.
MIN_COLUMN_CHARS = 4
MAX_COLUMN_CHARS = 40


@dataclass(frozen=True)
class Section:
    """A heading, an optional chart (SVG text from ``charts.svg``) and the table of its numbers:
    a PDF section, and the page's figure (``templates/includes/chart_figure.html``).
    ``numeric`` holds the indexes of the columns that are numbers (aligned right)."""

    heading: str
    header: Sequence[str]
    rows: Sequence[Sequence[object]]
    svg: str = ""
    numeric: frozenset[int] = field(default_factory=frozenset)


def _font(name: str) -> str:
    return str(resources.files("fontpkg_be_vietnam_pro") / "files" / f"BeVietnamPro-{name}.ttf")


def _cell(value: object) -> str:
    return clean("" if value is None else str(value))


def _widths(section: Section) -> tuple[int, ...]:
    """Each column as wide as its longest text (within bounds), so names get the room."""
    columns = zip(section.header, *section.rows, strict=True)
    return tuple(
        min(MAX_COLUMN_CHARS, max(MIN_COLUMN_CHARS, *(len(_cell(v)) for v in column)))
        for column in columns
    )


def _table(pdf: FPDF, section: Section) -> None:
    pdf.set_font(FONT_FAMILY, "", 9)
    aligns = tuple(
        "RIGHT" if index in section.numeric else "LEFT" for index in range(len(section.header))
    )
    head = FontFace(emphasis="BOLD", fill_color=(238, 241, 245))
    with pdf.table(
        col_widths=_widths(section),
        text_align=aligns,
        headings_style=head,
        line_height=5.5,
        padding=1.2,
        repeat_headings=1,
    ) as table:
        table.row([_cell(h) for h in section.header])
        for values in section.rows:
            table.row([_cell(v) for v in values])


def _size(svg: str) -> tuple[float, float]:
    """The chart's width and height, from the ``viewBox`` ``charts.svg`` writes."""
    found = re.search(r'viewBox="0 0 ([0-9.]+) ([0-9.]+)"', svg)
    if found is None:
        raise ValueError("a chart without a viewBox")
    return float(found.group(1)), float(found.group(2))


def _chart(pdf: FPDF, svg: str) -> None:
    """The chart on one page (fpdf2 cannot split an image): below what is there if it fits;
    a chart taller than a page shrinks into the rest of this one when that is at least half
    a page, else onto the next; a smaller chart that does not fit goes to the next page."""
    width, height = _size(svg)
    page = pdf.h - 2 * MARGIN_MM
    below = pdf.h - MARGIN_MM - pdf.get_y()
    wide = min(CHART_WIDTH_MM, pdf.w - 2 * MARGIN_MM)
    if wide * height / width > page and below >= page / 2:
        wide = below * width / height
    elif wide * height / width > below:
        pdf.add_page()
        wide = min(wide, page * width / height)
    tall = wide * height / width
    # fpdf2 names each SVG tag it leaves out (title, desc): harmless here, so kept quiet.
    quiet = logging.getLogger("fpdf.svg")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        pdf.image(io.BytesIO(svg.encode("utf-8")), x=MARGIN_MM, w=wide, h=tall)
    finally:
        quiet.setLevel(level)
    pdf.ln(3)


def report_pdf(
    *, title: str, lines: Sequence[str], sections: Sequence[Section], landscape: bool = False
) -> bytes:
    """The report: its title, the lines under it, then each section's chart and table."""
    pdf = FPDF(orientation="landscape" if landscape else "portrait", format="A4")
    pdf.set_title(clean(title))
    pdf.add_font(FONT_FAMILY, "", _font("Regular"))
    pdf.add_font(FONT_FAMILY, "B", _font("Bold"))
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=MARGIN_MM)
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, "B", 16)
    pdf.multi_cell(0, 8, clean(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "", 10)
    for line in lines:
        pdf.multi_cell(0, 5.5, clean(line), new_x="LMARGIN", new_y="NEXT")
    for section in sections:
        pdf.ln(4)
        pdf.set_font(FONT_FAMILY, "B", 12)
        pdf.multi_cell(0, 7, clean(section.heading), new_x="LMARGIN", new_y="NEXT")
        if section.svg:
            _chart(pdf, section.svg)
        if section.header:
            _table(pdf, section)
    return bytes(pdf.output())
