"""Charts drawn on the server as SVG: no JavaScript, no build step.

stacked_bars() and time_line() work out the geometry; a template draws a
chart with {{ chart.svg }}. Coordinates are in the
SVG's own units (a WIDTH × HEIGHT view box that scales to fit).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH = 480
HEIGHT = 200
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 22  # margins around the plot, for the labels
MAX_X_LABELS = 8
BAR_FILL = 0.7  # share of its day a bar covers
MAX_DOTS = 40  # more points than this get a plain line, no hover dots


@dataclass(frozen=True)
class Tick:
    at: float  # x for the x axis, y for the y axis
    label: str


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    series: str  # a CSS class
    title: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Chart:
    title: str
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    rects: list[Rect] = field(default_factory=list)
    line: str = ""  # an SVG path
    dots: list[Dot] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not self.rects and not self.line

    def svg(self) -> SafeString:
        """The SVG element, every text in it escaped."""
        title = escape(self.title)
        parts = [
            f'<svg class="chart" viewBox="0 0 {self.width} {self.height}" role="img" '
            f'aria-label="{title}"><title>{title}</title>'
        ]
        for tick in self.y_ticks:
            parts.append(
                f'<line class="chart-grid" x1="{self.left}" x2="{self.right}" '
                f'y1="{tick.at:.1f}" y2="{tick.at:.1f}"/>'
                f'<text class="chart-label" x="{self.left - 6}" y="{tick.at:.1f}" '
                f'text-anchor="end" dominant-baseline="middle">{escape(tick.label)}</text>'
            )
        for tick in self.x_ticks:
            parts.append(
                f'<text class="chart-label" x="{tick.at:.1f}" y="{self.height - 6}" '
                f'text-anchor="middle">{escape(tick.label)}</text>'
            )
        for rect in self.rects:
            parts.append(
                f'<rect class="chart-bar {escape(rect.series)}" x="{rect.x:.1f}" y="{rect.y:.1f}" '
                f'width="{rect.width:.1f}" height="{rect.height:.1f}">'
                f"<title>{escape(rect.title)}</title></rect>"
            )
        if self.line:
            parts.append(f'<path class="chart-line" d="{self.line}"/>')
        for dot in self.dots:
            parts.append(
                f'<circle class="chart-dot" cx="{dot.x:.1f}" cy="{dot.y:.1f}" r="3">'
                f"<title>{escape(dot.title)}</title></circle>"
            )
        if self.empty:
            parts.append(
                '<text class="chart-empty" x="50%" y="50%" text-anchor="middle">'
                "Nothing in this period</text>"
            )
        parts.append("</svg>")
        return mark_safe("".join(parts))  # noqa: S308 (the only texts are escaped above)


@dataclass(frozen=True)
class Series:
    name: str  # a CSS class, and the word in each bar's title
    values: Sequence[int]


def stacked_bars(title: str, days: Sequence[date], series: Sequence[Series]) -> Chart:
    """One bar a day, the series stacked bottom to top in the order given."""
    totals = [sum(values) for values in zip(*(s.values for s in series), strict=True)] or [0]
    top, y_ticks = _y_axis(max(totals))
    slot = (WIDTH - RIGHT - LEFT) / max(len(days), 1)
    rects = []
    for index, day in enumerate(days):
        counts = ", ".join(f"{s.values[index]:,} {s.name.replace('_', ' ')}" for s in series)
        below = 0
        for each in series:
            value = each.values[index]
            if value:
                y = _y(below + value, top)
                rects.append(
                    Rect(
                        x=LEFT + slot * index + slot * (1 - BAR_FILL) / 2,
                        y=y,
                        width=slot * BAR_FILL,
                        height=_y(below, top) - y,
                        series=each.name,
                        title=f"{day:%d %b}: {counts}",
                    )
                )
            below += value
    x_ticks = [
        Tick(LEFT + slot * (index + 0.5), f"{day:%d %b}")
        for index, day in enumerate(days)
        if index % _label_every(len(days)) == 0
    ]
    return Chart(title=title, x_ticks=x_ticks, y_ticks=y_ticks, rects=rects)


def time_line(
    title: str,
    points: Sequence[tuple[datetime, int]],
    *,
    start: datetime,
    end: datetime,
    point_label: str = "%d %b %H:%M: {value}",
) -> Chart:
    """A line through `points`, time across from `start` to `end`, values up from zero.

    `point_label` titles each point: a strftime format, with {value} for its value.
    """
    top, y_ticks = _y_axis(max((value for _, value in points), default=0))
    span = max((end - start).total_seconds(), 1.0)

    def x(moment: datetime) -> float:
        return LEFT + (WIDTH - RIGHT - LEFT) * (moment - start).total_seconds() / span

    placed = [(x(moment), _y(value, top), moment, value) for moment, value in points]
    line = "M" + " L".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in placed) if placed else ""
    dots = (
        [
            Dot(px, py, moment.strftime(point_label).format(value=f"{value:,}"))
            for px, py, moment, value in placed
        ]
        if len(placed) <= MAX_DOTS
        else []
    )
    # A label at each midnight (every few, on long spans) inside the span.
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    days = (end.date() - start.date()).days + 1
    midnights = [midnight + timedelta(days=n) for n in range(0, days, _label_every(days))]
    x_ticks = [Tick(x(m), f"{m:%d %b}") for m in midnights if start <= m <= end]
    return Chart(title=title, x_ticks=x_ticks, y_ticks=y_ticks, line=line, dots=dots)


def _label_every(count: int) -> int:
    return max(1, math.ceil(count / MAX_X_LABELS))


def _y(value: float, top: float) -> float:
    bottom = HEIGHT - BOTTOM
    return bottom - (bottom - TOP) * value / top


def _y_axis(highest: float) -> tuple[float, list[Tick]]:
    """The axis top and its ticks: steps of 1, 2 or 5 × 10ⁿ, about four of them."""
    rough = max(highest, 1) / 4
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    step = max(step, 1)
    top = step * max(math.ceil(highest / step), 1)
    ticks = [Tick(_y(step * n, top), f"{step * n:,.0f}") for n in range(round(top / step) + 1)]
    return top, ticks
