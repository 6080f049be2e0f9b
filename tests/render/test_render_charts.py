"""Inline SVG charts."""

from __future__ import annotations

import itertools
import math
import re
from datetime import UTC, datetime, timedelta

import pytest
from factories import make_snapshot
from render_html import parse

from gldash_static.render import charts, views
from gldash_static.render.text import duration
from gldash_static.render.views import STATE_LABEL
from gldash_static.rules import limits


def _pipelines() -> tuple[views.PipelineView, ...]:
    snap = make_snapshot(projects=30, seed=2)
    site = views.build(snap)
    return max((p.pipelines for p in site.projects), key=len)


def test_sparkline_has_one_path_per_kind_and_failures_point_down() -> None:
    pipelines = _pipelines()
    svg = str(charts.sparkline(pipelines))
    page = parse(svg)
    classes = [a["class"] for a in page.find("path")]
    assert len(classes) == len(set(classes))
    assert page.find("svg")[0]["aria-hidden"] == "true"
    failed = [a for a in page.find("path") if a["class"] == "c-failed"]
    if any(p.state == "failed" for p in pipelines[: charts.SPARK_BARS]):
        assert failed and "v4" in str(failed[0]["d"])


def test_sparkline_empty_for_no_pipelines() -> None:
    assert str(charts.sparkline(())) == ""


def _bars(svg: str) -> list[dict[str, str | None]]:
    return [a for a in parse(svg).find("path") if a.get("tabindex") == "0"]


def test_history_chart_titles_every_bar_and_marks_failures() -> None:
    every = _pipelines()
    pipelines = every[: limits.PROJECT_CHART_PIPELINES]  # the newest, as the page has them
    svg = str(charts.history_chart(every))
    page = parse(svg)
    bars = _bars(svg)
    assert len(pipelines) < len(every)
    assert len(bars) == len(pipelines) == len(page.find("title")) - 1  # one is the chart's
    assert all(str(a["d"]).endswith("z") for a in bars)
    # Each bar is coloured by its own state: its class, or that of the <g> of its run.
    coloured = {
        title: state
        for state, paths in re.findall(r'<g class="c-(\w+)">(.*?)</g>', svg)
        for title in re.findall(r"<title>([^<]*)</title>", paths)
    } | dict(
        (title, state)
        for state, title in re.findall(r'<path class="c-(\w+)"[^>]*><title>([^<]*)</title>', svg)
    )
    assert sorted(coloured.values()) == sorted(p.state for p in pipelines)
    assert all(t.split(": ")[1].startswith(STATE_LABEL[coloured[t]]) for t in coloured)
    assert "<g" in svg and len(re.findall(r"<g class=", svg)) < len(pipelines)
    assert f"#{every[-1].id} " not in svg
    for p in pipelines:  # id, ref, status, duration and time name each bar
        said = [STATE_LABEL[p.state], p.duration and duration(p.duration), p.created]
        said[2] = p.created and p.created.strftime("%Y-%m-%d %H:%M")
        assert f"#{p.id} {p.ref}: {', '.join(str(s) for s in said if s)}</title>" in svg
    marks = [a for a in page.find("path") if a.get("class") == "mark"]
    failed = sum(p.state == "failed" for p in pipelines)
    assert failed and str(marks[0]["d"]).count("M") == failed
    assert "oldest left" in page.all_text
    assert "style" not in svg
    assert page.find("ul")[0]["class"] == "legend" and "failed ✗" in page.all_text


def _pipeline(
    pid: int, created: datetime | None, seconds: float | None, state: str = "success"
) -> views.PipelineView:
    return views.PipelineView(
        id=pid, ref="main", sha="", state=state, label=state, source="push", created=created,
        duration=seconds, web_url=None, username="", jobs=(),
    )  # fmt: skip


def _lefts(svg: str) -> list[int]:
    return [int(str(a["d"])[1:].split(" ")[0]) for a in _bars(svg)]


def test_history_chart_places_bars_at_their_times() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    hours = [0, 1, 2, 200, 201, 480]  # three early, two later, one at the end
    newest_first = [_pipeline(n, start + timedelta(hours=h), 60.0) for n, h in enumerate(hours)]
    svg = str(charts.history_chart(list(reversed(newest_first))))
    lefts = _lefts(svg)
    assert lefts == sorted(lefts)  # oldest left
    gaps = [b - a for a, b in itertools.pairwise(lefts)]
    assert gaps[2] > 5 * gaps[0] and gaps[4] > 2 * gaps[3]  # time, not evenly spaced slots
    assert "Nov 2" in parse(svg).all_text or "Nov 9" in parse(svg).all_text  # a date axis


def test_pipelines_at_one_time_are_nudged_apart_not_hidden() -> None:
    moment = datetime(2026, 11, 28, 6, tzinfo=UTC)
    many = limits.PROJECT_CHART_PIPELINES
    svg = str(charts.history_chart([_pipeline(n, moment, 30.0) for n in range(many + 5)]))
    lefts = _lefts(svg)
    width = int(re.findall(r"h(\d+)v", svg)[0])
    assert len(lefts) == many and all(b - a > width for a, b in itertools.pairwise(lefts))
    assert all(0 <= x <= 480 - width for x in lefts)


@pytest.mark.parametrize(
    "seconds", [[-30.0, 5.0], [math.nan, 5.0], [math.inf, 1e308], [None, None], [0.0, 0.0]]
)
def test_history_chart_survives_hostile_durations(seconds: list[float | None]) -> None:
    created = [datetime(2026, 11, 28, tzinfo=UTC), None]  # and a pipeline without a time
    pipelines = [
        _pipeline(n, c, s, "failed") for n, (c, s) in enumerate(zip(created, seconds, strict=True))
    ]
    svg = str(charts.history_chart(pipelines))
    assert len(_bars(svg)) == 2
    assert not re.search(r"nan|inf|e\+", svg, re.IGNORECASE)
    heights = [int(h) for h in re.findall(r"v-(\d+)h", svg)]
    assert all(2 <= h <= 180 for h in heights)


def test_history_chart_without_any_time_spreads_bars_evenly() -> None:
    svg = str(charts.history_chart([_pipeline(n, None, 10.0 * n) for n in range(5)]))
    lefts = _lefts(svg)
    gaps = {b - a for a, b in itertools.pairwise(lefts)}
    assert len(lefts) == 5 and max(gaps) - min(gaps) <= 1
    assert 'class="xl" text-anchor="middle"></g>' in svg  # no time labels to show


def test_dodge_keeps_order_spacing_and_bounds() -> None:
    assert charts.dodge([5.0, 5.0, 5.0], 2.0, 0.0, 10.0) == [5.0, 7.0, 9.0]
    assert charts.dodge([9.0, 9.5, 10.0], 2.0, 0.0, 10.0) == [6.0, 8.0, 10.0]
    assert charts.dodge([-3.0], 2.0, 0.0, 10.0) == [0.0]


def test_ratio_bar() -> None:
    page = parse(str(charts.ratio_bar([("success", 3), ("failed", 1)])))
    assert [a["width"] for a in page.find("rect")] == ["90.0", "30.0"]
    assert str(charts.ratio_bar([])) == ""
