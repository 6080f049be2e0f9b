"""Inline SVG charts made at build time: compact markup, state by shape as well as colour."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from gldash_static.render.text import duration
from gldash_static.render.views import STATE_LABEL, PipelineView
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


def history_chart(pipelines: Sequence[PipelineView], width: int = 640, height: int = 160) -> Markup:
    """Bar chart of pipeline durations, oldest left, with a title per bar and a ✗ on failures.

    Bars are grouped by state (the group carries the colour) and placed on whole units of a
    640-wide box: the chart is the largest part of a project page, written once per project.
    """
    recent = list(reversed(pipelines[: limits.PROJECT_CHART_PIPELINES]))
    if not recent:
        return Markup("")
    plot_h = height - 28
    slot = width / max(len(recent), 1)
    bar_w = max(2, min(28, round(slot * 0.7)))
    longest = max((p.duration or 0.0) for p in recent) or 1.0
    bars: dict[str, list[str]] = {}
    marks = []
    for n, pipeline in enumerate(recent):
        h = max(2, round((pipeline.duration or 0.0) / longest * (plot_h - 14)))
        x = round(n * slot + (slot - bar_w) / 2)
        tip = escape(
            f"#{pipeline.id} {pipeline.ref}: {STATE_LABEL.get(pipeline.state, pipeline.label)}, "
            f"{duration(pipeline.duration)}"
        )
        # A path, not a <rect>: half the bytes of x/y/width/height, on every project page.
        bars.setdefault(pipeline.state, []).append(
            f'<path d="M{x} {plot_h}v-{h}h{bar_w}v{h}z"><title>{tip}</title></path>'
        )
        if pipeline.state == "failed":
            cx = x + bar_w // 2
            marks.append(f"M{cx - 4} {plot_h + 8}l8 8m0-8l-8 8")
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title"><title id="chart-title">Duration of the last '
        f"{len(recent)} pipelines, oldest first; failed ones are marked with a cross</title>",
        f'<line class="axis" x1="0" y1="{plot_h}" x2="{width}" y2="{plot_h}"/>',
        *(f'<g class="c-{state}">{"".join(rects)}</g>' for state, rects in bars.items()),
    ]
    if marks:
        parts.append(f'<path class="mark" d="{"".join(marks)}"/>')
    parts.append(
        f'<text class="label" x="0" y="{height - 2}">{escape(duration(longest))} max</text></svg>'
    )
    return Markup("".join(parts))


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
