"""Chart geometry for the dashboard's server-drawn SVG."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.template import Context, Template

from cutouts.dashboard import charts
from cutouts.dashboard.charts import BOTTOM, HEIGHT, TOP, Series, stacked_bars, time_line

BASELINE = HEIGHT - BOTTOM
DAYS = [date(2026, 5, 1) + timedelta(days=n) for n in range(3)]


def test_bars_stack_their_series_in_order_on_a_rounded_axis():
    chart = stacked_bars(
        "Calls", DAYS, [Series("success", [30, 0, 10]), Series("error", [10, 0, 0])]
    )

    assert [tick.label for tick in chart.y_ticks] == ["0", "10", "20", "30", "40"]
    success, error, lone = chart.rects
    assert (success.series, error.series, lone.series) == ("success", "error", "success")
    assert success.y + success.height == BASELINE
    assert error.y + error.height == success.y
    assert error.y == TOP  # 40, the top of the axis
    assert lone.height == success.height / 3
    assert success.title == "01 May: 30 success, 10 error"


def test_a_day_without_calls_has_no_bar_but_keeps_its_place():
    chart = stacked_bars("Calls", DAYS, [Series("success", [1, 0, 1])])

    first, last = chart.rects
    assert last.x - first.x == pytest.approx(2 * (charts.WIDTH - charts.RIGHT - charts.LEFT) / 3)


def test_nothing_to_draw_makes_an_empty_chart():
    assert stacked_bars("Calls", DAYS, [Series("success", [0, 0, 0])]).empty
    start = datetime(2026, 5, 1, tzinfo=UTC)
    assert time_line("Credits", [], start=start, end=start + timedelta(days=3)).empty


def test_the_line_runs_across_time_from_start_to_end():
    start = datetime(2026, 5, 1, tzinfo=UTC)
    end = start + timedelta(days=2)
    points = [(start, 400), (start + timedelta(days=1), 200), (end, 0)]

    chart = time_line("Credits", points, start=start, end=end, point_label="%d %b: {value}")

    left, right, middle = charts.LEFT, charts.WIDTH - charts.RIGHT, (TOP + BASELINE) / 2
    assert chart.line == (
        f"M{left:.1f},{TOP:.1f} L{(left + right) / 2:.1f},{middle:.1f} L{right:.1f},{BASELINE:.1f}"
    )
    assert [dot.title for dot in chart.dots] == ["01 May: 400", "02 May: 200", "03 May: 0"]
    assert [tick.label for tick in chart.x_ticks] == ["01 May", "02 May", "03 May"]


def test_long_spans_label_every_few_days_and_many_points_have_no_dots():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=90)
    points = [(start + timedelta(hours=n), 1000 - n) for n in range(0, 24 * 90, 12)]

    chart = time_line("Credits", points, start=start, end=end)

    assert len(chart.x_ticks) <= charts.MAX_X_LABELS
    assert chart.dots == []
    assert chart.line.count("L") == len(points) - 1


def test_a_template_draws_the_chart_as_svg_with_escaped_titles():
    chart = stacked_bars("Calls <per day>", DAYS, [Series("success", [2, 0, 1])])

    svg = Template("{{ chart.svg }}").render(Context({"chart": chart}))

    assert svg.startswith('<svg class="chart" viewBox="0 0 480 200" role="img"')
    assert "<title>Calls &lt;per day&gt;</title>" in svg
    assert svg.count('<rect class="chart-bar success"') == 2
    assert "<title>01 May: 2 success</title>" in svg
    assert svg.endswith("</svg>")


def test_an_empty_chart_says_so():
    chart = stacked_bars("Calls", DAYS, [Series("success", [0, 0, 0])])

    assert "Nothing in this period" in chart.svg()
