"""Inline SVG charts made at build time: compact markup, state by shape as well as colour."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime

from markupsafe import Markup, escape

from gldash_static import svgchart
from gldash_static.render.text import duration
from gldash_static.render.views import STATE_LABEL, STATES, PipelineView
from gldash_static.rules import limits

SPARK_BARS = 10
_SPARK_H = 6  # bar heights 1..6 above the baseline; failures hang below it


def _heights(pipelines: Sequence[PipelineView], levels: int) -> list[int]:
    longest = max((p.duration or 0.0) for p in pipelines) or 1.0
    # Clamped both ways: GitLab data may carry negative durations, and a code digit is 1..levels.
    return [min(levels, max(1, round((p.duration or 0.0) / longest * levels))) for p in pipelines]


def spark_code(pipelines: Sequence[PipelineView]) -> str:
    """Recent pipelines, oldest first, as the sparkline draws them: "f", "s3" (passed), "o1".

    The projects page ships this code for every project and its script draws the same SVG
    (`sparkSvg` in assets/gldash.js), so the drawing rule lives in `spark_svg` and its mirror.
    """
    recent = list(reversed(pipelines[:SPARK_BARS]))
    if not recent:
        return ""
    return "".join(
        "f" if p.state == "failed" else f"{'s' if p.state == 'success' else 'o'}{height}"
        for p, height in zip(recent, _heights(recent, _SPARK_H), strict=True)
    )


_SPARK_KINDS = {"f": "failed", "s": "success", "o": "other"}


def spark_svg(code: str) -> Markup:
    """The sparkline of a `spark_code`: one path per kind of bar, failures hanging below the line.

    Decorative next to the success-rate column (hence aria-hidden), and written as one path
    per kind of bar with few distinct heights, so that 10,000 rows stay small once gzipped.
    """
    paths: dict[str, list[str]] = {}
    x = 0
    for kind, height in _spark_bars(code):
        if kind == "f":
            paths.setdefault("failed", []).append(f"M{x} 7v4h2v-4")
        else:
            paths.setdefault(_SPARK_KINDS[kind], []).append(f"M{x} 7v-{height}h2v{height}")
        x += 3
    if not paths:
        return Markup("")
    body = "".join(
        f'<path class="c-{kind}" d="{"".join(d)}"/>' for kind, d in sorted(paths.items())
    )
    return Markup(f'<svg class="spark" viewBox="0 0 30 12" aria-hidden="true">{body}</svg>')


def _spark_bars(code: str) -> list[tuple[str, int]]:
    bars, n = [], 0
    while n < len(code):
        kind = code[n]
        if kind == "f":
            bars.append((kind, 0))
            n += 1
        else:
            bars.append((kind, int(code[n + 1])))
            n += 2
    return bars


def sparkline(pipelines: Sequence[PipelineView]) -> Markup:
    """A tiny bar chart of recent pipelines, oldest left (see `spark_svg`)."""
    return spark_svg(spark_code(pipelines))


def _placed(recent: Sequence[PipelineView]) -> list[tuple[PipelineView, datetime | None]]:
    """The chart's pipelines oldest first, each with the time it is drawn at: its own, or
    when GitLab gave none, its neighbour's in snapshot order (None if no pipeline has one)."""
    times: list[datetime | None] = [p.created for p in recent]
    for order in (range(len(times)), range(len(times) - 1, -1, -1)):
        known = None
        for n in order:
            times[n] = known = times[n] or known
    return sorted(
        zip(recent, times, strict=True),
        key=lambda item: (item[1] or datetime.min.replace(tzinfo=UTC), item[0].id),
    )


def dodge(xs: Sequence[float], gap: float, lo: float, hi: float) -> list[float]:
    """Sorted positions moved apart to at least `gap` and into [lo, hi], each as little as
    one pass each way allows (pipelines minutes apart would otherwise hide each other)."""
    out = list(xs)
    for n in range(len(out)):
        out[n] = max(out[n], lo if n == 0 else out[n - 1] + gap)
    for n in range(len(out) - 1, -1, -1):
        out[n] = min(out[n], hi if n == len(out) - 1 else out[n + 1] - gap)
    return out


def _tip(pipeline: PipelineView, moment: datetime | None, seconds: float | None) -> str:
    parts = [STATE_LABEL.get(pipeline.state, pipeline.label)]
    if seconds is not None:  # clamped: GitLab has sent negative durations
        parts.append(duration(seconds))
    if pipeline.created is not None and moment is not None:
        # UTC, as the chart's title says: not repeated on each of its bars and pages.
        parts.append(moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M"))
    ref = f" {pipeline.ref}" if pipeline.ref else ""
    return f"#{pipeline.id}{ref}: {', '.join(parts)}"


def _legend(states: set[str]) -> str:
    """Which colour is which state, in the site's order; failures also carry a cross."""
    items = [
        f'<li><span class="sw c-{key}"></span>{label}{" ✗" if key == "failed" else ""}</li>'
        for key, label, _ in STATES
        if key in states
    ]
    return (
        f'<ul class="legend">{"".join(items)}</ul>' if len(items) > 1 or "failed" in states else ""
    )


_MARK_ROOM = 12  # the strip under the baseline where failed pipelines carry a cross


def history_chart(pipelines: Sequence[PipelineView], width: int = 400, height: int = 170) -> Markup:
    """Bar chart of pipeline durations at their start times (UTC), a cross under failures.

    Each bar is focusable and titled with the pipeline's id, ref, status, duration and time.
    Bars sit on whole units, one path each, and their common parts are left to CSS: the chart
    is written once per project, so every byte counts thousands of times.
    """
    recent = pipelines[: limits.PROJECT_CHART_PIPELINES]
    if not recent:
        return Markup("")
    placed = _placed(recent)
    seconds = [svgchart.finite(p.duration, svgchart.MAX_SECONDS) for p, _ in placed]
    axis = svgchart.value_axis(
        "duration", max(s or 0.0 for s in seconds), svgchart.max_y_ticks(height, _MARK_ROOM)
    )
    box = svgchart.frame(axis, width, height, below=_MARK_ROOM)
    bar = max(2, min(12, int(box.plot_width / len(placed) * 0.6)))
    pad = bar / 2 + 2
    lo, hi = box.left + pad, box.right - pad
    known = [t for _, t in placed if t is not None]
    start, end = (min(known), max(known)) if known else (None, None)
    span = (end - start).total_seconds() if start and end else 0.0

    def x_of(moment: datetime) -> float:
        if start is None or span <= 0:
            return (lo + hi) / 2
        return lo + (moment - start).total_seconds() / span * (hi - lo)

    if start is None or end is None:  # no times at all: evenly, oldest left
        step = (hi - lo) / max(1, len(placed) - 1)
        xs = [lo + n * step if len(placed) > 1 else (lo + hi) / 2 for n in range(len(placed))]
        ticks: list[tuple[float, str]] = []
    else:
        xs = [x_of(t) if t else lo for _, t in placed]
        found = svgchart.time_ticks(start, end, svgchart.max_x_ticks(box.plot_width))
        ticks = [(x_of(t), label) for t, label in found]
    xs = dodge(xs, bar + 2, lo, hi)
    body = [svgchart.axes(box, axis, ticks)]
    marks = []
    base = round(box.bottom)
    bars: list[tuple[str, str]] = []
    for (pipeline, moment), x, value in zip(placed, xs, seconds, strict=True):
        h = max(2, round(base - box.y(value or 0.0, axis.top)))
        left = round(x - bar / 2)
        # A path, not a <rect>: half the bytes of x/y/width/height, on every project page.
        bars.append(
            (
                pipeline.state,
                f'tabindex="0" d="M{left} {base}v-{h}h{bar}v{h}z">'
                f"<title>{escape(_tip(pipeline, moment, value))}</title></path>",
            )
        )
        if pipeline.state == "failed":
            marks.append(f"M{left + bar // 2 - 4} {base + 3}l8 8m0-8l-8 8")
    body.extend(_state_runs(bars))
    if marks:
        body.append(f'<path class="mark" d="{"".join(marks)}"/>')
    title = (
        f"Duration of the last {len(placed)} pipelines at their start times (UTC), oldest "
        "left; failed ones are marked with a cross"
    )
    chart = svgchart.svg(box, "pipelines-chart", title, "".join(body), "pipes")
    return chart + Markup(_legend({p.state for p, _ in placed}))


def _state_runs(bars: Sequence[tuple[str, str]]) -> list[str]:
    """Bars (state, path after its tag name) as paths; bars of one state side by side share
    a <g> carrying the state's class, most of a chart being one colour on every project page."""
    out = []
    for state, run in itertools.groupby(bars, key=lambda b: b[0]):
        paths = [rest for _, rest in run]
        if len(paths) == 1:
            out.append(f'<path class="c-{state}" {paths[0]}')
        else:
            out.append(f'<g class="c-{state}">' + "".join(f"<path {p}" for p in paths) + "</g>")
    return out


def ratio_bar(parts: Sequence[tuple[str, int]], width: int = 120) -> Markup:
    """A horizontal stacked bar of state counts (the counts themselves are shown beside it)."""
    total = sum(count for _, count in parts)
    if not total:
        return Markup("")
    x = 0.0
    rects = []
    for state, count in parts:
        w = count / total * width
        if w > 0:
            rects.append(f'<rect class="c-{state}" x="{x:.1f}" y="0" width="{w:.1f}" height="8"/>')
        x += w
    return Markup(
        f'<svg class="ratio" viewBox="0 0 {width} 8" aria-hidden="true">{"".join(rects)}</svg>'
    )
