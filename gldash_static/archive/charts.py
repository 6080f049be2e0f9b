"""SVG trend charts for the Trends pages: one value per UTC day, placed on a time axis.

Lines break where a day has no value (or no build), so that gaps stay visible. Every day,
or every run of days once there are more than MAX_TARGETS, is a focusable band whose
<title> names its figures: the tooltip on hover, the accessible name on focus. Drawing is
svgchart's (round ticks, labels that never collide); colours are CSS classes only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from gldash_static import svgchart
from gldash_static.svgchart import Frame, Kind, num

WIDTH = 400
HEIGHT = 180
# Bands a chart gets at most: a focus stop and a title each. Two years of days would be
# 730 tab stops and 50 KB per chart, and bands under a pixel wide on a phone.
MAX_TARGETS = 92
DENSE = 62  # up to this many days every point gets a marker; beyond, only lone points
# A group's Trends page bands whole weeks and marks lone points only: per-day bands and
# markers were 49 of its 80 KB, and a 5,000-project organisation has 158 such pages. Its
# table gives every day; the organisation's page keeps a band and a marker per day. A
# period of two weeks or less is drawn per day there too: a week would be half the chart.
WEEK = 7
_TOPS: dict[Kind, float] = {
    "percent": 100.0,
    "duration": svgchart.MAX_SECONDS,
    "count": svgchart.MAX_COUNT,
}


@dataclass(frozen=True)
class Line:
    """One series of a chart: its name (legend, tooltips) and one value per date."""

    name: str
    values: Sequence[float | None]


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        return None  # history.json is read from disk: a bad date is left out of the chart


def _points(
    dates: Sequence[str], series: Sequence[Line], kind: Kind
) -> list[tuple[date, list[float | None]]]:
    top = _TOPS[kind]
    by_day: dict[date, list[float | None]] = {}
    for n, text in enumerate(dates):
        day = _day(text)
        if day is not None:
            by_day[day] = [
                svgchart.finite(s.values[n] if n < len(s.values) else None, top) for s in series
            ]
    return sorted(by_day.items())


def _band_title(
    points: Sequence[tuple[date, list[float | None]]],
    names: Sequence[str],
    fmt: Callable[[float], str],
) -> str:
    """A band's tooltip: "2026-11-28: median 4m 12s; 95th percentile 9m 30s", or for a run
    of days each series' lowest and highest: "2026-11-02 to 2026-11-08: success rate 88%–97%".
    """
    when = f"{points[0][0]} to {points[-1][0]}" if len(points) > 1 else str(points[0][0])
    parts = []
    for n, name in enumerate(names):
        values = [x for _, v in points if (x := v[n]) is not None]
        if not values:
            shown = "no value"
        elif min(values) == max(values):
            shown = fmt(values[0])
        else:
            shown = f"{fmt(min(values))}–{fmt(max(values))}"
        parts.append(f"{name} {shown}")
    return f"{when}: {'; '.join(parts)}"


def _bands(
    box: Frame,
    xs: Sequence[float],
    points: Sequence[tuple[date, list[float | None]]],
    names: Sequence[str],
    fmt: Callable[[float], str],
    band_days: int,
) -> str:
    size = max(band_days, -(-len(points) // MAX_TARGETS))  # ceil: days per band
    runs = [range(n, min(n + size, len(points))) for n in range(0, len(points), size)]
    out = []
    for k, run in enumerate(runs):
        a = box.left if k == 0 else (xs[run[0] - 1] + xs[run[0]]) / 2
        b = box.right if k == len(runs) - 1 else (xs[run[-1]] + xs[run[-1] + 1]) / 2
        title = _band_title([points[n] for n in run], names, fmt)
        out.append(
            f'<rect x="{num(a)}" y="{num(box.top)}" width="{num(b - a)}" '
            f'height="{num(box.bottom - box.top)}" tabindex="0"><title>{escape(title)}</title>'
            "</rect>"
        )
    return f'<g class="hits">{"".join(out)}</g>'


def _line(
    box: Frame,
    xs: Sequence[float],
    ordinals: Sequence[int],
    ys: Sequence[float | None],
    n: int,
    dense: int,
) -> str:
    """One series: a path broken at missing values and missing days, and its markers."""
    d, marks = [], []
    for i, y in enumerate(ys):
        if y is None:
            continue
        joined = i > 0 and ys[i - 1] is not None and ordinals[i] - ordinals[i - 1] == 1
        d.append(f"{'L' if joined else 'M'}{num(xs[i])} {num(y)}")
        alone = not joined and not (
            i + 1 < len(ys) and ys[i + 1] is not None and ordinals[i + 1] - ordinals[i] == 1
        )
        if alone or len(ys) <= dense:
            marks.append(svgchart.marker(n, xs[i], y))
    out = f'<path class="ln s{n}" fill="none" d="{"".join(d)}"/>' if len(d) > 1 else ""
    if marks:
        out += f'<path class="mk s{n}" d="{"".join(marks)}"/>'
    return out


def day_chart(
    chart_id: str,
    title: str,
    dates: Sequence[str],
    series: Sequence[Line],
    kind: Kind,
    fmt: Callable[[float], str],
    bars: bool = False,
    weekly: bool = False,
) -> Markup:
    """A chart of daily values: lines (or bars for a single count series) on a day axis.

    `fmt` writes a value for the tooltips; the axis labels follow `kind`. `weekly`: a band
    per week and markers on lone points only (a group's page over more than two weeks).
    Empty when no day has a value.
    """
    points = _points(dates, series, kind)
    present = [v for _, values in points for v in values if v is not None]
    if not present:
        return Markup("")
    axis = svgchart.value_axis(kind, max(present), svgchart.max_y_ticks(HEIGHT))
    box = svgchart.frame(axis, WIDTH, HEIGHT)
    first, last = points[0][0].toordinal(), points[-1][0].toordinal()
    slot = box.plot_width / (last - first + 1)

    def x_of(ordinal: int) -> float:
        return box.left + (ordinal - first + 0.5) * slot

    ordinals = [day.toordinal() for day, _ in points]
    xs = [x_of(o) for o in ordinals]
    ticks = svgchart.day_ticks(points[0][0], points[-1][0], svgchart.max_x_ticks(box.plot_width))
    body = [svgchart.axes(box, axis, [(x_of(d.toordinal()), label) for d, label in ticks])]
    if bars:
        width = max(0.5, min(24.0, slot * 0.7))
        d = "".join(
            f"M{num(x - width / 2)} {num(box.bottom)}V{num(box.y(v, axis.top))}h{num(width)}"
            f"V{num(box.bottom)}z"
            for x, (_, values) in zip(xs, points, strict=True)
            if (v := values[0])
        )
        body.append(f'<path class="bars s0" d="{d}"/>')
    else:
        for n in range(len(series)):
            ys = [None if (x := v[n]) is None else box.y(x, axis.top) for _, v in points]
            body.append(_line(box, xs, ordinals, ys, n, 0 if weekly else DENSE))
    names = [s.name for s in series]
    body.append(_bands(box, xs, points, names, fmt, WEEK if weekly else 1))
    return svgchart.svg(box, chart_id, title, "".join(body), "trend")
