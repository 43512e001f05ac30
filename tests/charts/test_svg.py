"""Issue 15, item 9: the server's SVG charts are well-formed XML whatever their words and
numbers, accessible (role, title, description) and write every value they draw."""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charts.svg import Chart, Series, bar_chart, hbar_chart, line_chart, number_text, wrap
from tests.fuzz.strategies import tricky_text

SVG = "{http://www.w3.org/2000/svg}"
VIETNAMESE = "Nguyễn Thị Hồng Trường THCS Đặng Quốc Bảo tháng số <>&\"' "

words = st.one_of(tricky_text, st.text(max_size=30), st.text(st.sampled_from(VIETNAMESE)))
values = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
Draw = Callable[[Chart, list[str], list[Series]], str]


def _hbar(chart: Chart, labels: list[str], series: list[Series]) -> str:
    return hbar_chart(chart, labels, series[0].values if series else ())


DRAWS: list[Draw] = [bar_chart, line_chart, _hbar]


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def _all_text(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter() if element.text]


def _accessible(root: ET.Element) -> None:
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "style" not in {key for element in root.iter() for key in element.attrib}


@st.composite
def charts(draw: st.DrawFn) -> tuple[Chart, list[str], list[Series]]:
    count = draw(st.integers(min_value=0, max_value=14))
    labels = draw(st.lists(words, min_size=count, max_size=count))
    names = draw(st.lists(words, min_size=1, max_size=3))
    series = [
        Series(name, tuple(draw(st.lists(values, min_size=count, max_size=count))))
        for name in names
    ]
    chart = Chart(ident=draw(words), title=draw(words), desc=draw(words), empty_text="Chưa có")
    return chart, labels, series


@pytest.mark.parametrize("draw_chart", DRAWS, ids=["bar", "line", "hbar"])
@given(case=charts())
def test_any_chart_is_well_formed_accessible_and_writes_every_value(
    draw_chart: Draw, case: tuple[Chart, list[str], list[Series]]
) -> None:
    chart, labels, series = case
    if draw_chart is _hbar:
        series = series[:1]
    root = _parse(draw_chart(chart, labels, series))
    _accessible(root)
    texts = _all_text(root)
    written = [t for t in texts if t != root.findtext(f"{SVG}desc")]
    for one in series:
        for value in one.values:
            assert number_text(value) in written
    desc = root.findtext(f"{SVG}desc") or ""
    assert unicodedata.is_normalized("NFC", desc)
    if not labels:
        assert "Chưa có" in texts


@pytest.mark.parametrize("draw_chart", DRAWS, ids=["bar", "line", "hbar"])
def test_one_point_is_drawn_and_named(draw_chart: Draw) -> None:
    chart = Chart(ident="one", title="Điểm cầu có mặt", desc="Một lần đo.")
    root = _parse(draw_chart(chart, ["Tháng 1"], [Series("Cuộc họp", (3.0,))]))
    marks = [e for e in root.iter() if e.tag in (f"{SVG}rect", f"{SVG}circle")]
    assert marks, "one value still gets its bar or point"
    assert "Tháng 1: 3." in (root.findtext(f"{SVG}desc") or "")
    assert root.findtext(f"{SVG}title") == "Điểm cầu có mặt"


def test_words_are_nfc_and_escaped() -> None:
    decomposed = unicodedata.normalize("NFD", 'Trường <THCS> & "Lê Lợi"')
    svg = bar_chart(Chart(ident="a b<", title=decomposed), [decomposed], [Series("x", (1.0,))])
    root = _parse(svg)
    assert root.findtext(f"{SVG}title") == 'Trường <THCS> & "Lê Lợi"'
    assert root.get("id") == "chart-a-b-"
    assert "<THCS>" not in svg


def test_a_bar_chart_groups_its_series_with_a_legend() -> None:
    chart = Chart(ident="m", title="Cuộc họp và giờ")
    series = [Series("Cuộc họp", (2.0, 4.0)), Series("Giờ", (1.5, 6.0))]
    root = _parse(bar_chart(chart, ["Tháng 1", "Tháng 2"], series))
    bars = [e for e in root.iter(f"{SVG}rect") if "chart-bar" in (e.get("class") or "")]
    assert len(bars) == 4
    assert {"chart-s0", "chart-s1"} <= {c for e in bars for c in (e.get("class") or "").split()}
    assert "Cuộc họp — Tháng 1: 2; Tháng 2: 4. Giờ — Tháng 1: 1,5; Tháng 2: 6." in (
        root.findtext(f"{SVG}desc") or ""
    )
    assert {"Cuộc họp", "Giờ"} <= set(_all_text(root))


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (12, "12"), (12.5, "12,5"), (0.25, "0,25"), (1 / 3, "0,33"), (99.999, "100")],
)
def test_numbers_are_written_as_vietnamese_writes_them(value: float, text: str) -> None:
    assert number_text(value) == text


def test_a_value_that_is_no_number_is_refused() -> None:
    with pytest.raises(ValueError):
        bar_chart(Chart(ident="x", title="x"), ["a"], [Series("s", (float("nan"),))])
    with pytest.raises(ValueError):
        bar_chart(Chart(ident="x", title="x"), ["a", "b"], [Series("s", (1.0,))])


def test_a_percentage_scale_ends_at_its_given_top() -> None:
    root = _parse(hbar_chart(Chart(ident="p", title="%"), ["A", "B"], [50.0, 100.0], high=100))
    widths = [float(e.get("width") or 0) for e in root.iter(f"{SVG}rect")]
    assert widths[1] == pytest.approx(2 * widths[0])


def test_long_names_wrap_on_two_lines_so_sites_stay_apart() -> None:
    """Cut at one length, three district offices read "Phòng Giáo dục và Đào tạo quậ…"."""
    names = [f"Phòng Giáo dục và Đào tạo quận {d}" for d in ("Ba Đình", "Hoàn Kiếm", "Cầu Giấy")]
    root = _parse(hbar_chart(Chart(ident="w", title="Phút"), names, [60.0, 0.0, 60.0]))
    texts = _all_text(root)
    for district in ("Ba Đình", "Hoàn Kiếm", "Cầu Giấy"):
        assert any(text.endswith(f"quận {district}") for text in texts)
    assert not any("…" in text for text in texts)


@given(text=words, limit=st.integers(min_value=2, max_value=40))
def test_wrapped_lines_are_at_most_two_and_fit(text: str, limit: int) -> None:
    lines = wrap(text, limit)
    assert 1 <= len(lines) <= 2
    assert all(len(line) <= limit for line in lines)
