"""svgchart: round ticks, clamped values and labels that never collide (pure functions)."""

from __future__ import annotations

import itertools
import math
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from gldash_static import svgchart
from gldash_static.render import text
from gldash_static.svgchart import Axis, Kind, fit, nice_step, text_width, time_ticks, value_axis

ROUND = {1.0, 2.0, 5.0}


def _is_round(step: float) -> bool:
    """A 1-2-5 step: 1, 2 or 5 times a power of ten."""
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-9)
    return any(math.isclose(mantissa, m) for m in ROUND)


@pytest.mark.parametrize(
    ("raw", "step"),
    [(0.3, 0.5), (1, 1), (1.2, 2), (3, 5), (7, 10), (45, 50), (101, 200), (2e7, 2e7)],
)
def test_nice_step_is_the_next_one_two_five(raw: float, step: float) -> None:
    assert math.isclose(nice_step(raw), step)


def _steps(axis: Axis) -> set[float]:
    values = [v for v, _ in axis.ticks]
    return {round(b - a, 6) for a, b in itertools.pairwise(values)}


@pytest.mark.parametrize("largest", [0, 0.4, 1, 3, 7, 10, 37, 99, 250, 1234, 98_765, 4e9])
@pytest.mark.parametrize("max_ticks", [2, 3, 5, 8])
def test_count_ticks_are_whole_round_and_cover_the_data(largest: float, max_ticks: int) -> None:
    axis = value_axis("count", largest, max_ticks)
    values = [v for v, _ in axis.ticks]
    assert values[0] == 0 and axis.top == values[-1] >= largest
    assert 2 <= len(values) <= max_ticks
    (step,) = _steps(axis)  # evenly spaced
    assert step >= 1 and step == int(step) and _is_round(step)
    assert all(re.fullmatch(r"\d[\d,]*(\.\d)?[kMG]?", label) for _, label in axis.ticks)


def test_count_labels() -> None:
    assert [label for _, label in value_axis("count", 37, 5).ticks] == ["0", "10", "20", "30", "40"]
    assert [label for _, label in value_axis("count", 1234, 5).ticks][-1] == "1,500"
    assert [label for _, label in value_axis("count", 72_000, 5).ticks][1:] == [
        "20k",
        "40k",
        "60k",
        "80k",
    ]


@pytest.mark.parametrize("max_ticks", [2, 3, 4, 5, 6, 11, 40])
def test_percent_axis_is_zero_to_hundred(max_ticks: int) -> None:
    axis = value_axis("percent", 37, max_ticks)
    assert axis.top == 100 and axis.ticks[0] == (0, "0%") and axis.ticks[-1] == (100, "100%")
    assert len(axis.ticks) <= max(2, max_ticks)
    (step,) = _steps(axis)
    assert _is_round(step)


@pytest.mark.parametrize(
    ("largest", "labels"),
    [
        (37, ["0", "10 s", "20 s", "30 s", "40 s"]),
        (99, ["0", "30 s", "1 min", "90 s", "2 min"]),
        (250, ["0", "1 min", "2 min", "3 min", "4 min", "5 min"]),
        (1234, ["0", "5 min", "10 min", "15 min", "20 min", "25 min"]),
        (3540, ["0", "15 min", "30 min", "45 min", "1 h"]),
        (10_800, ["0", "1 h", "2 h", "3 h"]),
        # one unit below a day a step: 24 h, not 1 d between 18 h and 30 h (time to restore)
        (72_000, ["0", "6 h", "12 h", "18 h", "24 h"]),
        (107_067, ["0", "6 h", "12 h", "18 h", "24 h", "30 h"]),
        (400_000, ["0", "1 d", "2 d", "3 d", "4 d", "5 d"]),
    ],
)
def test_duration_ticks_are_round_times(largest: float, labels: list[str]) -> None:
    axis = value_axis("duration", largest, 6)
    assert [label for _, label in axis.ticks] == labels
    assert axis.top >= largest


@pytest.mark.parametrize("kind", ["count", "percent", "duration"])
@pytest.mark.parametrize("largest", [-5.0, 0.0, 1e-300, 1e300, math.inf, math.nan])
def test_hostile_extremes_give_finite_round_axes(kind: Kind, largest: float) -> None:
    # Callers clamp through finite(); the axis stays sane even when one does not.
    value = svgchart.finite(largest, 1e12) or 0.0
    axis = value_axis(kind, value, 5)
    assert all(math.isfinite(v) for v, _ in axis.ticks) and math.isfinite(axis.top)
    assert all(not re.search(r"nan|inf|e\+|e-", label) for _, label in axis.ticks)


@pytest.mark.parametrize(
    ("value", "clamped"),
    [
        (5, 5.0),
        (-3, 0.0),
        (1e308, 100.0),
        (math.nan, None),
        (math.inf, None),
        (-math.inf, None),
        (True, None),
        ("12", None),
        (None, None),
    ],
)
def test_finite_clamps_or_refuses(value: object, clamped: float | None) -> None:
    assert svgchart.finite(value, 100.0) == clamped


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "labels"),
    [
        ("2026-11-28T06:00", "2026-11-28T06:20", ["Nov 28 06:00", "06:05", "06:10", "06:15"]),
        ("2026-11-27T16:00", "2026-11-28T06:20", ["Nov 27 18:00", "21:00", "Nov 28", "03:00"]),
        ("2026-11-01T06:00", "2026-11-28T06:20", ["Nov 2", "Nov 9", "Nov 16", "Nov 23"]),
        ("2025-01-01", "2026-12-31", ["Jan 2025", "Jul", "Jan 2026", "Jul"]),
        ("2026-08-03", "2026-11-30", ["Sep 2026", "Oct", "Nov"]),
    ],
)  # fmt: skip
def test_time_ticks_fall_on_round_times(start: str, end: str, labels: list[str]) -> None:
    assert [label for _, label in time_ticks(_utc(start), _utc(end), 6)][:4] == labels[:4]


def test_weekly_ticks_are_mondays_and_ticks_stay_in_range() -> None:
    start, end = _utc("2026-06-03T10:00"), _utc("2026-08-20T00:00")
    for max_ticks in range(1, 30):
        ticks = time_ticks(start, end, max_ticks)
        assert len(ticks) <= max_ticks
        assert all(start <= t <= end for t, _ in ticks)
    weekly = time_ticks(start, end, 12)
    assert weekly and all(t.weekday() == 0 and t.hour == 0 for t, _ in weekly)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)),
        (_utc("2026-11-28T06:00:00"), _utc("2026-11-28T06:00:00")),
        (_utc("2026-11-28T06:00:00"), _utc("2026-11-01T00:00:00")),  # reversed
        (_utc("9999-06-01T00:00"), _utc("9999-12-31T00:00")),
    ],
)
def test_time_ticks_survive_extreme_ranges(start: datetime, end: datetime) -> None:
    ticks = time_ticks(start, end, 6)
    assert len(ticks) <= 6
    assert all(min(start, end) <= t <= max(start, end) for t, _ in ticks)


def test_day_ticks_are_days_at_least() -> None:
    ticks = svgchart.day_ticks(date(2026, 11, 20), date(2026, 11, 28), 6)
    assert [label for _, label in ticks] == ["Nov 21", "Nov 23", "Nov 25", "Nov 27"]
    assert svgchart.day_ticks(date(2026, 11, 28), date(2026, 11, 28), 6) == [
        (date(2026, 11, 28), "Nov 28")
    ]


def test_fit_drops_what_overlaps_or_leaves_the_box() -> None:
    spans = [(-5.0, 5.0), (2.0, 12.0), (10.0, 20.0), (24.0, 34.0), (35.0, 45.0), (95.0, 105.0)]
    assert fit(spans, 0.0, 100.0, 2.0) == [1, 3]
    assert fit([], 0.0, 1.0, 0.0) == []


def test_text_width_errs_wide() -> None:
    # Measured in Chromium on Debian (DejaVu Sans, 13 px): "Nov 28" 46.0, "100%" 37.2
    assert text_width("Nov 28") >= 46.0 and text_width("100%") >= 37.2
    assert text_width("5 min") >= 36.9 and text_width("1,000") >= 37.2


def test_clock_is_the_sites_duration_rule() -> None:
    for seconds in [0, 0.4, 59.6, 60, 61, 3599, 3600, 3661, 86_400 * 3 + 5, None]:
        assert svgchart.clock(seconds) == text.duration(seconds)


# -- labels laid out by axes(): computed boxes never overlap -----------------------------

TEXT = re.compile(r'<text x="([\d.-]+)" y="([\d.-]+)">([^<]*)</text>')


def _label_boxes(svg: str) -> list[tuple[str, float, float, float, float]]:
    """(group, left, top, right, bottom) of each label, from the widths svgchart estimates."""
    out = []
    for group in re.findall(r'<g class="(yl|xl)" text-anchor="(end|middle)">(.*?)</g>', svg):
        kind, anchor, body = group
        for x, y, label in TEXT.findall(body):
            w = text_width(label)
            left = float(x) - (w if anchor == "end" else w / 2)
            # DejaVu Sans: ascent 0.93 em, descent 0.24 em (Chromium's getBBox: 15 at 13 px)
            top = float(y) - svgchart.FONT * 0.95
            out.append((kind, left, top, left + w, float(y) + svgchart.FONT * 0.25))
    return out


def _overlap(a: tuple[str, float, float, float, float], b: tuple[str, ...]) -> bool:
    _, l1, t1, r1, b1 = a
    _, l2, t2, r2, b2 = b  # type: ignore[misc]
    return l1 < r2 and l2 < r1 and t1 < b2 and t2 < b1  # type: ignore[operator]


@pytest.mark.parametrize("width", [240, 360, 480, 960])
@pytest.mark.parametrize("days", [1, 2, 9, 31, 120, 400, 730])
@pytest.mark.parametrize("kind", ["count", "percent", "duration"])
def test_axis_labels_never_overlap_each_other_or_the_plot(
    width: int, days: int, kind: Kind
) -> None:
    largest = {"count": 98_765.0, "percent": 100.0, "duration": 5_000.0}[kind]
    axis = value_axis(kind, largest, svgchart.max_y_ticks(200))
    box = svgchart.frame(axis, width, 200)
    first = date(2026, 1, 1)
    last = first + timedelta(days=days - 1)
    slot = box.plot_width / days
    ticks = svgchart.day_ticks(first, last, svgchart.max_x_ticks(box.plot_width))
    xs = [(box.left + ((d - first).days + 0.5) * slot, label) for d, label in ticks]
    svg = svgchart.axes(box, axis, xs)
    boxes = _label_boxes(svg)
    assert any(k == "yl" for k, *_ in boxes)
    for n, a in enumerate(boxes):
        assert a[1] >= 0 and a[3] <= width and a[2] >= 0 and a[4] <= 200, a
        if a[0] == "yl":
            assert a[3] < box.left  # in the gutter, left of the plot
        else:
            assert a[2] > box.bottom  # below the plot
        for b in boxes[n + 1 :]:
            assert not _overlap(a, b), (a, b)
    assert "nan" not in svg and "inf" not in svg
