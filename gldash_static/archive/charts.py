"""SVG trend charts for the Trends page: one value per day, gaps where there is no value.

Colours come from the site's CSS classes and `currentColor`; no style attributes, so the
pages keep their Content-Security-Policy without 'unsafe-inline'.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 160
_TOP = 8
_BOTTOM = 20  # room for the axis labels


def _x(n: int, count: int) -> float:
    return 0.0 if count <= 1 else n * WIDTH / (count - 1)


def _y(value: float, top: float) -> float:
    plot = HEIGHT - _TOP - _BOTTOM
    return _TOP + plot - (value / top * plot if top else 0.0)


def _segments(values: Sequence[float | None], top: float) -> list[str]:
    """Path data, one segment per run of days with a value, so gaps stay visible."""
    out: list[str] = []
    current: list[str] = []
    for n, value in enumerate(values):
        if value is None:
            if current:
                out.append("".join(current))
            current = []
            continue
        x, y = _x(n, len(values)), _y(value, top)
        current.append(f"{'M' if not current else 'L'}{x:.1f} {y:.1f}")
    if current:
        out.append("".join(current))
    return out


def line_chart(
    dates: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    fmt: Callable[[float], str],
    top: float | None = None,
) -> Markup:
    """A line chart of one or more daily series sharing the y axis (0 at the bottom)."""
    present = [v for _, values in series for v in values if v is not None]
    if not dates or not present:
        return Markup("")
    top = top if top is not None else max(present) or 1.0
    base = _y(0.0, top)
    parts = [
        f'<svg class="chart trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">'
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="0" y1="{base:.1f}" x2="{WIDTH}" y2="{base:.1f}"/>',
    ]
    for n, (name, values) in enumerate(series):
        dash = ' stroke-dasharray="4 3"' if n else ""
        for d in _segments(values, top):
            parts.append(
                f'<path class="line t-{escape(name)}" d="{d}" fill="none" stroke="currentColor" '
                f'stroke-width="{2 if n == 0 else 1.5}"{dash}/>'
            )
        if len(values) == 1 and values[0] is not None:  # a single day is a dot, not a line
            parts.append(
                f'<circle class="dot t-{escape(name)}" cx="{WIDTH / 2:.1f}" '
                f'cy="{_y(values[0], top):.1f}" r="3" fill="currentColor"/>'
            )
    parts.append(
        f'<text class="label" x="0" y="{HEIGHT - 4}">{escape(dates[0])}</text>'
        f'<text class="label" x="{WIDTH}" y="{HEIGHT - 4}" text-anchor="end">'
        f"{escape(dates[-1])}</text>"
        f'<text class="label" x="0" y="{_TOP + 10}">{escape(fmt(top))}</text></svg>'
    )
    return Markup("".join(parts))


def bar_chart(dates: Sequence[str], values: Sequence[int], title: str) -> Markup:
    """Daily counts as bars (pipeline volume)."""
    if not dates or not any(values):
        return Markup("")
    top = max(values)
    slot = WIDTH / len(values)
    width = max(1.0, slot * 0.8)
    base = _y(0.0, top)
    parts = [
        f'<svg class="chart trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">'
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="0" y1="{base:.1f}" x2="{WIDTH}" y2="{base:.1f}"/>',
    ]
    bars = []
    for n, value in enumerate(values):
        if value:
            y = _y(float(value), top)
            bars.append(f"M{n * slot:.1f} {base:.1f}V{y:.1f}h{width:.1f}V{base:.1f}z")
    parts.append(f'<path class="c-running" d="{"".join(bars)}" fill="currentColor"/>')
    parts.append(
        f'<text class="label" x="0" y="{HEIGHT - 4}">{escape(dates[0])}</text>'
        f'<text class="label" x="{WIDTH}" y="{HEIGHT - 4}" text-anchor="end">'
        f"{escape(dates[-1])}</text>"
        f'<text class="label" x="0" y="{_TOP + 10}">{top:,} a day</text></svg>'
    )
    return Markup("".join(parts))
