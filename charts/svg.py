"""Bar, line and horizontal bar charts as SVG text: role="img", a title and a description
that lists every number, each value written beside its mark, colours from CSS classes with
print-safe fills as the fallback, and every text NFC and XML-escaped.

The SVG carries no style attribute and no script (the pages' CSP forbids inline ones): the
page's stylesheet maps the classes ``chart-s0`` … onto ``--chart-1`` … variables.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

# Dark enough to tell apart printed in grey (each ≥ 4.5:1 on white).
PALETTE = ("#1b4f8f", "#b35900", "#17633a", "#6a3d9a", "#8f1d17", "#3d4a5c")
TEXT_FILL = "#1a2029"
GRID_STROKE = "#b9c0ca"
# The PDF registers Be Vietnam Pro under this name; a browser uses the page's font (CSS).
FONT_FAMILY = "Be Vietnam Pro"
WIDTH = 640
FONT_PX = 13
LABEL_CHARS = 16
HBAR_LABEL_CHARS = 34
# Characters XML 1.0 allows (tab, newline, carriage return and the printable planes).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Formatter = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    """One named row of values, one value per label of the chart."""

    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Chart:
    """What every chart has: its words and how it writes a number."""

    ident: str
    title: str
    desc: str = ""
    empty_text: str = "—"
    fmt: Formatter | None = None

    def number(self, value: float) -> str:
        """The value as its labels and description write it."""
        return (self.fmt or number_text)(value)


def number_text(value: float, decimal: str = ",") -> str:
    """A number as Vietnamese writes it: ``12``, ``12,5``, ``0,25`` (at most two decimals)."""
    if not math.isfinite(value):
        raise ValueError("a chart's values must be finite numbers")
    rounded = round(value, 2)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.2f}".rstrip("0").replace(".", decimal)


def clean(text: str) -> str:
    """Text fit for XML: NFC, without the characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("", unicodedata.normalize("NFC", str(text)))


def _text(text: str) -> str:
    return escape(clean(text))


def _attr(text: str) -> str:
    return quoteattr(clean(text))


def _short(text: str, limit: int) -> str:
    text = clean(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _ident(ident: str) -> str:
    return "chart-" + (re.sub(r"[^A-Za-z0-9_-]", "-", ident) or "x")


def _label(x: float, y: float, text: str, *, anchor: str = "middle", cls: str = "") -> str:
    klass = f"chart-label {cls}".strip()
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{klass}" text-anchor="{anchor}" '
        f'font-size="{FONT_PX}" font-family="{FONT_FAMILY}" fill="{TEXT_FILL}">{_text(text)}</text>'
    )


def _frame(chart: Chart, height: float, body: list[str], summary: str) -> str:
    """The ``<svg>``: title and description first, so assistive technology reads them."""
    base = _ident(chart.ident)
    desc = " ".join(part for part in (clean(chart.desc), clean(summary)) if part)
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" '
            f'aria-labelledby="{base}-title {base}-desc" id="{base}">',
            f'<title id="{base}-title">{_text(chart.title)}</title>',
            f'<desc id="{base}-desc">{_text(desc)}</desc>',
            *body,
            "</svg>",
        ]
    )


def _empty(chart: Chart) -> str:
    body = [_label(WIDTH / 2, 60, chart.empty_text, cls="chart-empty")]
    return _frame(chart, 100, body, chart.empty_text)


def _nice_top(largest: float) -> float:
    """The axis' top: 1, 2, 4 or 8 times a power of ten, at least ``largest`` (its four
    steps then read as round numbers)."""
    if largest <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(largest))
    for step in (1, 2, 4, 8, 10):
        if step * power >= largest:
            return float(step * power)
    return float(10 * power)


def _check(labels: Sequence[str], series: Sequence[Series]) -> None:
    for one in series:
        if len(one.values) != len(labels):
            raise ValueError(f"series {one.name!r} has {len(one.values)} values, not {len(labels)}")
        for value in one.values:
            number_text(value)


def _summary(chart: Chart, labels: Sequence[str], series: Sequence[Series]) -> str:
    """Every number in words: ``Tháng 1: 3; Tháng 2: 5.`` (per series when there are more)."""
    parts = []
    for one in series:
        pairs = "; ".join(
            f"{clean(label)}: {chart.number(v)}"
            for label, v in zip(labels, one.values, strict=True)
        )
        parts.append(f"{clean(one.name)} — {pairs}." if len(series) > 1 else f"{pairs}.")
    return " ".join(parts)


@dataclass(frozen=True)
class _Plot:
    """The drawing area of a vertical chart and its value axis."""

    left: float
    top: float
    width: float
    height: float
    high: float

    def y(self, value: float) -> float:
        return self.top + self.height * (1 - max(0.0, value) / self.high)


def _axis(chart: Chart, plot: _Plot) -> list[str]:
    parts = []
    for i in range(5):
        value = plot.high * i / 4
        y = plot.y(value)
        parts.append(
            f'<line class="chart-grid" x1="{plot.left:.1f}" y1="{y:.1f}" '
            f'x2="{plot.left + plot.width:.1f}" y2="{y:.1f}" stroke="{GRID_STROKE}" '
            'stroke-width="1"/>'
        )
        parts.append(
            _label(plot.left - 6, y + 4, chart.number(value), anchor="end", cls="chart-tick")
        )
    return parts


def _legend(series: Sequence[Series], y: float) -> list[str]:
    if len(series) < 2:
        return []
    parts, x = [], 56.0
    for index, one in enumerate(series):
        klass = f"chart-s{index % len(PALETTE)}"
        fill = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<rect class="chart-swatch {klass}" x="{x:.1f}" y="{y - 10:.1f}" width="12" '
            f'height="12" fill="{fill}"/>'
        )
        name = _short(one.name, 24)
        parts.append(_label(x + 16, y, name, anchor="start", cls="chart-legend"))
        x += 28 + 7 * len(name)
    return parts


def _x_labels(labels: Sequence[str], centres: Sequence[float], y: float) -> list[str]:
    return [
        _label(x, y, _short(label, LABEL_CHARS)) for label, x in zip(labels, centres, strict=True)
    ]


def _plot(series: Sequence[Series]) -> _Plot:
    top = 40.0 if len(series) > 1 else 20.0
    largest = max((max(one.values, default=0.0) for one in series), default=0.0)
    high = _nice_top(largest)
    if all(value == int(value) for one in series for value in one.values):
        # Counts (sites, meetings) get whole ticks: the four steps of 4, 8, 12 … not 2.5.
        high = float(math.ceil(high / 4) * 4)
    return _Plot(left=56.0, top=top, width=WIDTH - 72.0, height=200.0, high=high)


def bar_chart(chart: Chart, labels: Sequence[str], series: Sequence[Series]) -> str:
    """Vertical bars, one group per label and one bar per series, each with its value."""
    _check(labels, series)
    if not labels or not series:
        return _empty(chart)
    plot = _plot(series)
    group = plot.width / len(labels)
    bar = min(48.0, group * 0.8 / len(series))
    body = [*_legend(series, 20), *_axis(chart, plot)]
    centres = []
    for slot in range(len(labels)):
        centre = plot.left + group * (slot + 0.5)
        centres.append(centre)
        first = centre - bar * len(series) / 2
        for index, one in enumerate(series):
            value = one.values[slot]
            x, y = first + bar * index, plot.y(value)
            klass = f"chart-s{index % len(PALETTE)}"
            body.append(
                f'<rect class="chart-bar {klass}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                f'height="{plot.top + plot.height - y:.1f}" '
                f'fill="{PALETTE[index % len(PALETTE)]}"/>'
            )
            body.append(_label(x + bar / 2, y - 4, chart.number(value), cls="chart-value"))
    bottom = plot.top + plot.height
    body += _x_labels(labels, centres, bottom + 18)
    return _frame(chart, bottom + 32, body, _summary(chart, labels, series))


def line_chart(chart: Chart, labels: Sequence[str], series: Sequence[Series]) -> str:
    """Lines over time (labels in time order, evenly spaced), each point marked and valued."""
    _check(labels, series)
    if not labels or not series:
        return _empty(chart)
    plot = _plot(series)
    step = plot.width / len(labels)
    centres = [plot.left + step * (slot + 0.5) for slot in range(len(labels))]
    body = [*_legend(series, 20), *_axis(chart, plot)]
    for index, one in enumerate(series):
        klass = f"chart-s{index % len(PALETTE)}"
        colour = PALETTE[index % len(PALETTE)]
        points = [(x, plot.y(v)) for x, v in zip(centres, one.values, strict=True)]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(
                f'<polyline class="chart-line {klass}" points="{path}" fill="none" '
                f'stroke="{colour}" stroke-width="2.5"/>'
            )
        for (x, y), value in zip(points, one.values, strict=True):
            body.append(
                f'<circle class="chart-point {klass}" cx="{x:.1f}" cy="{y:.1f}" r="4" '
                f'fill="{colour}"/>'
            )
            body.append(_label(x, y - 8, chart.number(value), cls="chart-value"))
    bottom = plot.top + plot.height
    body += _x_labels(labels, centres, bottom + 18)
    return _frame(chart, bottom + 32, body, _summary(chart, labels, series))


def wrap(text: str, limit: int) -> list[str]:
    """``text`` on one line of ``limit`` characters or two broken between words, as even as
    they can be; what does not fit ends in an ellipsis (the description keeps it whole)."""
    words = clean(text).split()
    whole = " ".join(words)
    if len(whole) <= limit or len(words) < 2:
        return [_short(whole, limit)]
    splits = [(" ".join(words[:at]), " ".join(words[at:])) for at in range(1, len(words))]
    fitting = [pair for pair in splits if len(pair[0]) <= limit]
    if not fitting:
        return [_short(whole, limit)]
    first, rest = min(fitting, key=lambda pair: (len(pair[1]) > limit, max(map(len, pair))))
    return [first, _short(rest, limit)]


def hbar_chart(
    chart: Chart, labels: Sequence[str], values: Sequence[float], *, high: float | None = None
) -> str:
    """Horizontal bars, one per label (long names on two lines), each with its value at its end.

    ``high`` fixes the scale's end (100 for percentages); otherwise the largest value sets it.
    """
    series = [Series(name=chart.title, values=tuple(values))]
    _check(labels, series)
    if not labels:
        return _empty(chart)
    names = [wrap(label, HBAR_LABEL_CHARS) for label in labels]
    row = 40.0 if any(len(lines) > 1 for lines in names) else 28.0
    left, top = 260.0, 12.0
    width = WIDTH - left - 72
    scale = high if high and high > 0 else _nice_top(max(values, default=0.0))
    body = []
    for slot, (lines, value) in enumerate(zip(names, values, strict=True)):
        y = top + row * slot
        middle = y + row / 2
        length = width * min(1.0, max(0.0, value) / scale)
        first = middle + 4 - (len(lines) - 1) * FONT_PX * 0.6
        for index, line in enumerate(lines):
            body.append(_label(left - 8, first + index * FONT_PX * 1.2, line, anchor="end"))
        body.append(
            f'<rect class="chart-bar chart-s0" x="{left:.1f}" y="{middle - 10:.1f}" '
            f'width="{length:.1f}" height="20" fill="{PALETTE[0]}"/>'
        )
        body.append(
            _label(
                left + length + 6,
                middle + 4,
                chart.number(value),
                anchor="start",
                cls="chart-value",
            )
        )
    height = top * 2 + row * len(labels)
    return _frame(chart, height, body, _summary(chart, labels, series))
