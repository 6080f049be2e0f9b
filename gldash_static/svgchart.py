"""Server-side SVG chart parts shared by the Trends and project pages (pure functions).

Round ticks (1-2-5 steps; durations in s/min/h/d; percentages 0-100; whole counts; dates and
times on calendar boundaries), label sizes estimated in Python so that labels that would
collide are dropped before they are written, and the frame, gridlines and axis labels of a
chart. Colours come only from CSS classes (assets/site.css, "charts" block) and
`currentColor`: no style attributes, so pages keep their CSP without 'unsafe-inline'.

It sits beside the stages rather than in render/ because the archive's Trends charts and
render's pipeline chart both draw with it, and the archive may not import render.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from markupsafe import Markup, escape

FONT = 13.0  # label size in viewBox units; every chart's <svg> carries it as font-size
# Chart data is untrusted: values are clamped into these ranges before any arithmetic.
MAX_SECONDS = 1e9  # about 31 years
MAX_COUNT = 1e12
Kind = Literal["count", "percent", "duration"]

# Advance widths in em, measured on DejaVu Sans (Debian's system-ui, wider than most UI
# fonts), rounded up: an estimate that errs wide only drops a tick that might have fitted.
_EM = {
    **dict.fromkeys("0123456789", 0.64),
    **dict.fromkeys("mwMW%", 1.0),
    **dict.fromkeys(" ,.:;!'|iljf", 0.36),
    "-": 0.38,
    "–": 0.52,
}
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MONDAY = 4 * 86400  # 1970-01-05, a Monday: weekly ticks fall on Mondays


def finite(value: object, top: float) -> float | None:
    """`value` as a float clamped to [0, top], or None unless it is a finite number."""
    if type(value) is float:  # the common case first: this runs for every point drawn
        number = value
    elif isinstance(value, bool) or not isinstance(value, int | float):
        return None
    else:
        number = float(value)
    if not math.isfinite(number):
        return None
    return min(top, max(0.0, number))


def num(value: float) -> str:
    """A coordinate with at most one decimal, as short as it can be written."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def text_width(text: str, font: float = FONT) -> float:
    """Estimated width of `text` set at `font` in the site's font, in the same units."""
    return sum(_EM.get(ch, 0.6 if ch.islower() else 0.72) for ch in text) * font


# -- value axes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Axis:
    """A value axis from 0 to `top`, and its ticks as (value, label)."""

    top: float
    ticks: tuple[tuple[float, str], ...]


def nice_step(raw: float) -> float:
    """The smallest 1-2-5 step (…, 0.5, 1, 2, 5, 10, …) at least `raw` (> 0)."""
    raw = max(raw, 1e-9)
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if factor * power >= raw * (1 - 1e-9):
            return factor * power
    return 10.0 * power  # pragma: no cover: the loop always returns


# Duration steps: each is a whole number of the unit its labels use.
_DURATION_STEPS = (
    1, 2, 5, 10, 15, 30,
    60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200,
    86400,
)  # fmt: skip
_UNITS = ((86400, "d"), (3600, "h"), (60, "min"), (1, "s"))


def count_label(value: float) -> str:
    """A count as an axis shows it: 0, 5, 1,200, 15k, 2.5M, 3G."""
    for least, size, suffix in ((1e9, 1e9, "G"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if value >= least:
            scaled = value / size
            return f"{scaled:,.0f}{suffix}" if scaled >= 100 else f"{scaled:.3g}{suffix}"
    return f"{round(value):,}"


def duration_label(value: float, days: bool = True) -> str:
    """A duration tick in the largest unit it is a whole number of: 30 s, 1 min, 90 s, 2 h.

    Without `days` (an axis whose step is less than a day) hours are the largest unit, so
    that 6 h steps read 18 h, 24 h, 30 h rather than 18 h, 1 d, 30 h."""
    if value <= 0:
        return "0"
    units = _UNITS if days else _UNITS[1:]
    size, unit = next((s, u) for s, u in units if value % s == 0 or s == 1)
    return f"{count_label(value / size)} {unit}"


def _ticks(top: float, step: float) -> tuple[float, ...]:
    count = round(top / step)
    return tuple(n * step for n in range(count + 1))


def value_axis(kind: Kind, largest: float, max_ticks: int) -> Axis:
    """Round ticks from 0 covering `largest`, at most `max_ticks` of them (at least 2)."""
    most = max(2, max_ticks) - 1  # intervals
    if kind == "percent":
        step = max(10.0, nice_step(100.0 / most))  # 10, 20, 50 or 100: each divides 100
        return Axis(100.0, tuple((v, f"{v:g}%") for v in _ticks(100.0, step)))
    if kind == "duration":
        largest = min(MAX_SECONDS, max(1.0, largest))
        raw = largest / most
        step = next((float(s) for s in _DURATION_STEPS if s >= raw), 0.0)
        if not step:  # beyond a day a step: whole days, 1-2-5
            step = nice_step(raw / 86400) * 86400
            step = max(86400.0, round(step / 86400) * 86400)
        top = math.ceil(largest / step - 1e-9) * step
        days = step >= 86400
        return Axis(top, tuple((v, duration_label(v, days)) for v in _ticks(top, step)))
    largest = min(MAX_COUNT, max(1.0, largest))
    step = max(1.0, nice_step(largest / most))  # whole counts only
    top = math.ceil(largest / step - 1e-9) * step
    return Axis(top, tuple((v, count_label(v)) for v in _ticks(top, step)))


# -- time axes -------------------------------------------------------------------------

# Fixed steps in seconds (then months, then years): every label stays round.
_TIME_STEPS = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200, 86400, 2 * 86400, 7 * 86400, 14 * 86400,
)  # fmt: skip
_MONTH_STEPS = (1, 3, 6)
_MAX_YEAR = 9999


def _seconds(moment: datetime) -> float:
    return (moment - _EPOCH).total_seconds()


def _day_label(moment: datetime) -> str:
    return f"{_MONTHS[moment.month - 1]} {moment.day}"


def _fixed_ticks(start: float, end: float, step: int) -> list[tuple[datetime, str]]:
    offset = _MONDAY if step % (7 * 86400) == 0 else 0  # weeks start on Mondays
    first = math.ceil((start - offset) / step) * step + offset
    out: list[tuple[datetime, str]] = []
    at = first
    while at <= end:
        moment = _EPOCH + timedelta(seconds=at)
        midnight = moment.hour == moment.minute == moment.second == 0
        if step >= 86400 or midnight:
            label = _day_label(moment)
        else:
            label = moment.strftime("%H:%M" if step >= 60 else "%H:%M:%S")
            if not out:  # times of day alone would not say which day
                label = f"{_day_label(moment)} {label}"
        out.append((moment, label))
        at += step
    return out


def _month_ticks(start: datetime, end: datetime, months: int) -> list[tuple[datetime, str]]:
    out: list[tuple[datetime, str]] = []
    index = start.year * 12 + start.month - 1  # months since year 0
    index += -index % months
    if datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC) < start:
        index += months
    while index // 12 <= _MAX_YEAR:
        moment = datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)
        if moment > end:
            break
        name = _MONTHS[moment.month - 1]
        out.append((moment, f"{name} {moment.year}" if moment.month == 1 or not out else name))
        index += months
    return out


def _year_ticks(start: datetime, end: datetime, years: int) -> list[tuple[datetime, str]]:
    first = math.ceil(start.year / years) * years  # >= start.year >= 1
    if first <= _MAX_YEAR and datetime(first, 1, 1, tzinfo=UTC) < start:
        first += years
    return [
        (datetime(year, 1, 1, tzinfo=UTC), str(year))
        for year in range(max(1, first), min(_MAX_YEAR, end.year) + 1, years)
    ]


def time_ticks(
    start: datetime, end: datetime, max_ticks: int, min_step: int = 1
) -> list[tuple[datetime, str]]:
    """Ticks on round UTC times between `start` and `end`, at most `max_ticks` of them.

    Steps run 1 s … 30 min, 1 h … 12 h, 1 day, 2 days, a week (Mondays), 2 weeks, 1, 3 and
    6 months (first days), then years; `min_step` (seconds) skips the finer ones.
    """
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end < start:
        start, end = end, start
    max_ticks = max(1, max_ticks)
    lo, hi = _seconds(start), _seconds(end)
    for step in _TIME_STEPS:
        offset = _MONDAY if step % (7 * 86400) == 0 else 0
        first = math.ceil((lo - offset) / step) * step + offset
        if step >= min_step and (hi - first) // step + 1 <= max_ticks:
            return _fixed_ticks(lo, hi, step)
    months = (end.year - start.year) * 12 + end.month - start.month
    for step in _MONTH_STEPS:
        if months / step + 1 <= max_ticks:
            return _month_ticks(start, end, step)
    years = end.year - start.year
    step = 1
    while years / step + 1 > max_ticks:
        step = int(nice_step(step * 1.5))
    return _year_ticks(start, end, step)


def day_ticks(first: date, last: date, max_ticks: int) -> list[tuple[date, str]]:
    """Ticks on round days (days, Mondays, first days of months, years) from `first` to `last`."""
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    end = datetime(last.year, last.month, last.day, tzinfo=UTC)
    return [(t.date(), label) for t, label in time_ticks(start, end, max_ticks, 86400)]


# -- layout ----------------------------------------------------------------------------


def fit(spans: Sequence[tuple[float, float]], lo: float, hi: float, gap: float) -> list[int]:
    """Indices of the spans (start, end; in order) to keep so that none overlaps another
    or leaves [lo, hi]: each is kept when it clears the last kept one by `gap`."""
    kept: list[int] = []
    edge = -math.inf
    for n, (a, b) in enumerate(spans):
        if a >= lo and b <= hi and a >= edge + gap:
            kept.append(n)
            edge = b
    return kept


@dataclass(frozen=True)
class Frame:
    """A chart's box (viewBox width × height) and its plot area inside it."""

    width: float
    height: float
    left: float
    top: float
    right: float
    bottom: float

    @property
    def plot_width(self) -> float:
        """Width of the plot area."""
        return self.right - self.left

    def y(self, value: float, top: float) -> float:
        """The y coordinate of `value` on an axis from 0 (bottom) to `top`."""
        share = min(1.0, max(0.0, value / top)) if top > 0 else 0.0
        return self.bottom - share * (self.bottom - self.top)


_TOP = math.ceil(FONT * 0.75)  # the top y label stands half above its gridline
_BELOW = math.ceil(FONT * 1.6) + 4  # the row of x labels, clear of a marker on the baseline
_X_GAP = FONT * 0.8  # between two x labels


def max_y_ticks(height: float, below: float = 0.0) -> int:
    """How many y labels fit the plot height of a chart `height` high, 1.5 lines apart."""
    plot = height - _TOP - _BELOW - below
    return max(2, int(plot // (FONT * 1.5)) + 1)


def frame(axis: Axis, width: float, height: float, below: float = 0.0) -> Frame:
    """The plot area left by a gutter for `axis`'s labels and a row of x labels.

    `below` is extra room between the plot and the x labels (failure marks).
    """
    gutter = max((text_width(label) for _, label in axis.ticks), default=0.0) + 10
    return Frame(
        width=width,
        height=height,
        left=math.ceil(gutter),
        top=_TOP,
        right=width - 8,
        bottom=height - _BELOW - below,
    )


def max_x_ticks(plot_width: float) -> int:
    """How many x labels of a date's width fit the plot width (fit() drops the rest)."""
    return max(2, int(plot_width // (text_width("Nov 28") + _X_GAP)) + 1)


def axes(box: Frame, axis: Axis, x_ticks: Sequence[tuple[float, str]]) -> str:
    """Gridlines, baseline and labels: y labels in the left gutter, x labels below the plot.

    Labels that would overlap a neighbour or leave the box are dropped with their gridline.
    """
    ys = [(box.y(value, axis.top), label) for value, label in axis.ticks]
    half = FONT / 2
    keep_y = fit([(y - half, y + half) for y, _ in reversed(ys)], 0, box.height, 2)
    ys = [ys[len(ys) - 1 - n] for n in keep_y]
    widths = [text_width(label) for _, label in x_ticks]
    keep_x = fit(
        [(x - w / 2, x + w / 2) for (x, _), w in zip(x_ticks, widths, strict=True)],
        box.left - 4,  # clear of the y labels, which end 6 left of the plot
        box.width,
        _X_GAP,
    )
    xs = [x_ticks[n] for n in keep_x]
    grid = "".join(f"M{num(box.left)} {num(y)}H{num(box.right)}" for y, _ in ys if y < box.bottom)
    grid += "".join(f"M{num(x)} {num(box.top)}V{num(box.bottom)}" for x, _ in xs)
    label_y = box.height - math.ceil(FONT * 0.45)
    parts = [
        f'<path class="grid" d="{grid}"/>' if grid else "",
        f'<path class="axis" d="M{num(box.left)} {num(box.bottom)}H{num(box.right)}"/>',
        '<g class="yl" text-anchor="end">',
        *(
            f'<text x="{num(box.left - 6)}" y="{num(y + FONT * 0.35)}">{escape(t)}</text>'
            for y, t in ys
        ),
        '</g><g class="xl" text-anchor="middle">',
        *(f'<text x="{num(x)}" y="{num(label_y)}">{escape(t)}</text>' for x, t in xs),
        "</g>",
    ]
    return "".join(parts)


def svg(box: Frame, title_id: str, title: str, body: str, css: str = "") -> Markup:
    """The chart's <svg>: scales to its container, named by its <title> for screen readers.

    Its role is group, not img: an img's children are presentational, and the points inside
    are focusable, each with a title of its own.
    """
    return Markup(
        f'<svg class="chart{" " + css if css else ""}" viewBox="0 0 {num(box.width)} '
        f'{num(box.height)}" font-size="{num(FONT)}" role="group" '
        f'aria-labelledby="{escape(title_id)}"><title id="{escape(title_id)}">{escape(title)}'
        f"</title>{body}</svg>"
    )


# -- series ----------------------------------------------------------------------------

MARKERS = 4  # series are told apart by dash pattern, marker shape and colour: s0..s3


def marker(kind: int, x: float, y: float) -> str:
    """Path data of series `kind`'s marker at (x, y): circle, square, triangle, diamond."""
    kind %= MARKERS
    if kind == 0:
        return f"M{num(x - 3)} {num(y)}a3 3 0 1 0 6 0a3 3 0 1 0-6 0"
    if kind == 1:
        return f"M{num(x - 3)} {num(y - 3)}h6v6h-6z"
    if kind == 2:
        return f"M{num(x)} {num(y - 3.5)}l3.5 6h-7z"
    return f"M{num(x)} {num(y - 4)}l4 4-4 4-4-4z"


def legend(names: Sequence[str]) -> Markup:
    """An HTML legend for series s0, s1, …: a key drawn as the chart draws each series (dash
    and marker), then its name. Empty for a single series: the caption names it."""
    if len(names) < 2:
        return Markup("")
    items = "".join(
        f'<li><svg class="key" viewBox="0 0 28 10" aria-hidden="true"><path class="ln s{n}" '
        f'd="M1 5h26"/><path class="mk s{n}" d="{marker(n, 14, 5)}"/></svg>{escape(name)}</li>'
        for n, name in enumerate(names)
    )
    return Markup(f'<ul class="legend">{items}</ul>')


def clock(seconds: float | None) -> str:
    """A duration as the site's tables show it: 42s, 4m 12s, 2h 05m (render.text.duration)."""
    if seconds is None:
        return "–"
    total = round(seconds)
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"
