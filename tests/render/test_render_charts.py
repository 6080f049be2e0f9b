"""Inline SVG charts."""

from __future__ import annotations

from factories import make_snapshot
from render_html import parse

from gldash_static.render import charts, views


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


def test_history_chart_titles_every_bar_and_marks_failures() -> None:
    pipelines = _pipelines()
    page = parse(str(charts.history_chart(pipelines)))
    bars = [a for a in page.find("path") if a.get("class") != "mark"]
    assert len(bars) == len(pipelines) == len(page.find("title")) - 1  # one is the chart's
    assert all(str(a["d"]).endswith("z") for a in bars)
    marks = [a for a in page.find("path") if a.get("class") == "mark"]
    failed = sum(p.state == "failed" for p in pipelines)
    assert failed and str(marks[0]["d"]).count("M") == failed
    assert "oldest first" in page.all_text
    assert "style" not in str(charts.history_chart(pipelines))


def test_ratio_bar() -> None:
    page = parse(str(charts.ratio_bar([("success", 3), ("failed", 1)])))
    assert [a["width"] for a in page.find("rect")] == ["90.0", "30.0"]
    assert str(charts.ratio_bar([])) == ""
