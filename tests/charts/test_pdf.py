"""Issue 15, item 9: a report's PDF holds each chart and its table, Vietnamese whole, and
a chart taller than a page is shrunk onto one page rather than cut."""

from __future__ import annotations

import pypdfium2  # type: ignore[import-untyped]

from charts.pdf import Section, report_pdf
from charts.svg import Chart, Series, bar_chart, hbar_chart
from tests.charts.pdftext import pdf_text


def test_a_section_prints_its_chart_and_its_table_in_vietnamese() -> None:
    svg = bar_chart(
        Chart(ident="m", title="Số buổi họp theo tháng"),
        ["T1", "T2"],
        [Series("Số buổi họp", (3.0, 12.5))],
    )
    data = report_pdf(
        title="Tình hình sử dụng phòng họp năm 2026",
        lines=["Sở Giáo dục và Đào tạo Hà Nội"],
        sections=[Section("Theo tháng", ["Tháng", "Số buổi"], [["Tháng 1", 3]], svg)],
    )
    text = pdf_text(data)
    assert "Tình hình sử dụng phòng họp năm 2026" in text
    assert "12,5" in text, "the chart's own labels are drawn as text"
    assert "Tháng 1 3" in text


def test_a_chart_taller_than_a_page_fits_on_one() -> None:
    names = [f"Trường Tiểu học số {n}" for n in range(1, 121)]
    svg = hbar_chart(
        Chart(ident="t", title="Hoàn thành"), names, [float(n % 101) for n in range(120)]
    )
    data = report_pdf(title="Hoàn thành", lines=[], sections=[Section("Trường", [], [], svg)])
    document = pypdfium2.PdfDocument(data)
    assert len(document) == 1
    text = document[0].get_textpage().get_text_range()
    assert "Trường Tiểu học số 1" in text and "Trường Tiểu học số 120" in text
