"""Trend charts and pages: one page per group, safe page names, charts from any history."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from factories import add_deployments, make_snapshot
from html_tables import Page

from gldash_static import svgchart
from gldash_static.archive import Archive, charts, pages
from gldash_static.archive.history import Day, Figures, History
from gldash_static.config import ArchiveSettings, SiteSettings
from gldash_static.render import render_site, views


def _day(date: str, groups: dict[str, Figures] | None = None, **total: object) -> Day:
    row = Figures(
        **{**dict(pipelines=4, success=3, failed=1, p50=60.0, p95=90.0, failing=1), **total}
    )  # type: ignore[arg-type]
    return Day(date, f"{date}T12:00:00Z", row, groups or {}, {})


def _chart(values: list[float | None], kind: str = "count", bars: bool = False) -> str:
    dates = [f"2026-11-{n + 1:02d}" for n in range(len(values))]
    svg = charts.day_chart("c", "T", dates, [charts.Line("x", values)], kind, str, bars=bars)  # type: ignore[arg-type]
    return str(svg)


@pytest.mark.parametrize("values", [[], [None], [None, None, None]])
def test_a_chart_without_values_is_empty(values: list[float | None]) -> None:
    assert _chart(values) == ""


def test_one_point_is_a_marker_with_a_tooltip() -> None:
    svg = _chart([7.0])
    assert 'class="mk s0"' in svg and 'class="ln' not in svg
    assert svg.count('tabindex="0"') == 1 and "<title>2026-11-01: x 7.0</title>" in svg


def test_gaps_break_the_line_and_lone_points_keep_a_marker() -> None:
    svg = _chart([1.0, 2.0, None, 3.0, None, 4.0, 5.0])
    line = re.search(r'class="ln s0" fill="none" d="([^"]+)"', svg)
    assert line and line.group(1).count("M") == 3  # three runs: 1-2, 3, 4-5


@pytest.mark.parametrize("kind", ["count", "percent", "duration"])
def test_hostile_values_are_clamped_and_never_nan(kind: str) -> None:
    svg = _chart([-5.0, math.nan, math.inf, 1e308, 3.0, "x", True], kind)  # type: ignore[list-item]
    assert svg and not re.search(r"nan|inf|e\+|e-\d", svg, re.IGNORECASE)
    # absolute coordinates stay inside the box: nothing negative, nothing huge
    absolute = re.findall(r' (?:x|y|width|height)="([^"]+)"|[MLVH](-?[\d.]+)', svg)
    numbers = [float(a or b) for a, b in absolute]
    assert numbers and all(0 <= n <= 480 for n in numbers)


def test_long_histories_get_at_most_max_targets_bands() -> None:
    values: list[float | None] = [float(n % 9) for n in range(730)]
    dates = [(date(2024, 1, 1) + timedelta(days=n)).isoformat() for n in range(730)]
    svg = str(charts.day_chart("c", "T", dates, [charts.Line("x", values)], "count", str))
    assert svg.count('tabindex="0"') == charts.MAX_TARGETS
    assert "<title>2024-01-01 to 2024-01-08: x 0.0–7.0</title>" in svg  # a band says its range
    assert 'class="mk' not in svg  # no lone points: no markers on 730 days


def test_weekly_charts_band_whole_weeks_and_mark_lone_points_only() -> None:
    values: list[float | None] = [float(n % 5) for n in range(31)]
    values[20] = None
    values[22] = None  # day 22 stands alone between two gaps
    dates = [f"2026-11-{n + 1:02d}" if n < 30 else "2026-12-01" for n in range(31)]
    line = [charts.Line("x", values)]
    daily = str(charts.day_chart("c", "T", dates, line, "count", str))
    weekly = str(charts.day_chart("c", "T", dates, line, "count", str, weekly=True))
    assert daily.count('tabindex="0"') == 31 and weekly.count('tabindex="0"') == 5
    assert "<title>2026-11-01 to 2026-11-07: x 0.0–4.0</title>" in weekly
    assert "<title>2026-11-29 to 2026-12-01: x 3.0–0.0</title>" not in weekly  # min–max order
    assert "<title>2026-11-29 to 2026-12-01: x 0.0–4.0</title>" in weekly  # the last, short week
    markers = re.search(r'class="mk s0" d="([^"]+)"', weekly)
    assert markers and markers.group(1).count("M") == 1  # the lone day 22 only
    assert len(weekly) < len(daily) / 2


def test_group_trend_pages_are_weekly_the_organisation_page_daily() -> None:
    group = Figures(4, 3, 1, 60.0, 90.0, 1)
    history = History([_day(f"2026-11-{n:02d}", {"a": group}) for n in range(1, 16)])
    organisation = pages.trends_view(history)
    one_group = pages.trends_view(history, "a", "1")
    drawn = [str(c.svg) for c in organisation.charts if c.svg]
    drawn_group = [str(c.svg) for c in one_group.charts if c.svg]
    assert len(drawn) == len(drawn_group) >= 4  # volume, rate, duration, failing
    assert all(svg.count('tabindex="0"') == 15 for svg in drawn)
    assert all(svg.count('tabindex="0"') == 3 for svg in drawn_group)
    assert one_group.weekly and not organisation.weekly
    fortnight = History(history.days[:14])
    short = pages.trends_view(fortnight, "a", "1")
    assert not short.weekly  # two weeks: a band and a marker per day, as the organisation's
    assert all(str(c.svg).count('tabindex="0"') == 14 for c in short.charts if c.svg)


def test_bad_dates_are_left_out() -> None:
    svg = charts.day_chart(
        "c",
        "T",
        ["2026-11-01", "<b>", "2026-11-03"],
        [charts.Line("x", [1.0, 2.0, 3.0])],
        "count",
        str,
    )
    assert svg.count('tabindex="0"') == 2 and "&lt;b&gt;" not in str(svg)


def test_every_chart_spec_feeds_a_chart_and_the_table() -> None:
    history = History([_day("2026-11-27"), _day("2026-11-28", p50=None, p95=None)])
    view = pages.trends_view(history)
    assert [c.key for c in view.charts] == [spec.key for spec in pages.CHARTS]
    assert [m.key for m in view.columns] == [
        "pipelines",
        "rate",
        "p50",
        "p95",
        "failing",
        "queue_p50",
        "queue_p95",
        "fail_code",
        "fail_infra",
        "fail_timeout",
        "fail_other",
    ]
    assert [c.value for c in view.recent[0].cells][:5] == [4, 0.75, None, None, 1]
    duration = next(c for c in view.charts if c.key == "duration")
    assert "median" in str(duration.legend) and "95th percentile" in str(duration.legend)
    assert str(next(c for c in view.charts if c.key == "rate").legend) == ""  # one series


def test_delivery_charts_only_when_the_history_has_delivery_figures() -> None:
    plain = pages.trends_view(History([_day("2026-11-27"), _day("2026-11-28")]))
    assert not plain.delivery and [c.key for c in plain.charts] == [s.key for s in pages.CHARTS]
    assert "deploys" not in [m.key for m in plain.columns]
    delivery = dict(deploys=4, lead_p50=7200.0, lead_n=3, changes_failed=1, restores=1)
    history = History(
        [
            _day("2026-11-26"),
            _day("2026-11-27", **delivery, restore_p50=600.0),
            _day("2026-11-28", deploys=0, changes_failed=0, restores=0),
        ]
    )
    view = pages.trends_view(history)
    keys = [spec.key for spec in pages.CHARTS + pages.DELIVERY_CHARTS]
    assert view.delivery and [c.key for c in view.charts] == keys
    assert [m.key for m in view.columns][-4:] == [
        "deploys",
        "lead_p50",
        "change_failure",
        "restore_p50",
    ]
    by_day = {row.date: [c.value for c in row.cells][-4:] for row in view.rows}
    assert by_day["2026-11-27"] == [4, 7200.0, 0.25, 600.0]
    # the rate only on a day with deployments: none on 0 deployments nor on unknown ones
    assert by_day["2026-11-28"] == [0, None, None, None]
    assert by_day["2026-11-26"] == [None, None, None, None]
    assert view.total_deploys == 4 and view.change_failure_rate == 0.25
    charts = {c.key: str(c.svg) for c in view.charts}
    assert "<title>2026-11-27: change failure rate 25%</title>" in charts["change_failure"]
    assert "<title>2026-11-27: deployments 4</title>" in charts["deploys"]
    assert "2 h" in charts["lead"] and 'tabindex="0"' in charts["restore"]


def test_hostile_delivery_figures_keep_the_rate_a_percentage() -> None:
    # changes_failed above deploys (a history.json edited by hand) is at most 100 %
    view = pages.trends_view(History([_day("2026-11-28", deploys=2, changes_failed=10**9)]))
    assert view.change_failure_rate == 1.0
    assert [c.value for c in view.rows[0].cells][-2] == 1.0


def test_hostile_history_rows_are_bounded() -> None:
    bad = Figures(
        "many", -4, math.nan, "slow", math.inf, 10**30, -1.0, "x", math.inf, -3, None, 2.5
    )  # type: ignore[arg-type]
    view = pages.trends_view(History([Day("2026-11-28", "", bad, {}, {})]))
    assert [c.value for c in view.recent[0].cells] == [
        0,
        None,
        None,
        None,
        1e12,
        0.0,
        None,
        0,
        0,
        None,
        2,
    ]
    assert view.total_pipelines == 0


def test_hostile_delivery_figures_are_bounded_too() -> None:
    bad = Figures(
        1, 1, 0, 5.0, 5.0, 0, None, None, 0, 0, 0, 0, -2, math.inf, "n", 10**30, True, -9.0
    )  # type: ignore[arg-type]
    checked = pages._checked(bad)
    # Counts are whole numbers in [0, MAX_COUNT] (a bool is none), durations finite seconds.
    assert checked[12:] == (0, None, 0, int(svgchart.MAX_COUNT), 0, 0.0)


def test_one_page_per_group_named_by_id_or_digest_never_by_path() -> None:
    snap = make_snapshot(projects=6, seed=1)
    keys = pages.group_keys(snap)
    site = views.build(snap)
    assert dict(keys) == {g.key: next(
        raw["full_path"] for raw in snap["sources"][0]["groups"] if str(raw["id"]) == g.key
    ) for g in site.groups}  # fmt: skip
    hostile = '../../<script>x</script>"'
    day = _day("2026-11-28", {path: Figures(1, 1, 0, 5.0, 5.0, 0) for _, path in keys})
    day.groups[hostile] = Figures(2, 1, 1, 5.0, 5.0, 1)
    made = pages.trends_pages(History([day]), keys)
    paths = [p for p, _ in made]
    assert paths[0] == "trends.html" and len(paths) == len(set(paths)) == len(keys) + 2
    assert all(re.fullmatch(r"trends/(\d+|x-[0-9a-f]{12})\.html", p) for p in paths[1:])
    gone = next(v for _, v in made if v.title.startswith("../"))
    assert gone.group_href is None and gone.key.startswith("x-")
    for path, view in made[1:]:
        assert [link.current for link in view.picker].count(True) == 1
        current = next(link for link in view.picker if link.current)
        assert current.href == path
        if view.group_href:
            assert view.group_href == f"g/{view.key}.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site with an archive of three daily builds."""
    root = tmp_path_factory.mktemp("trends")
    archive = Archive(ArchiveSettings(dir=root / "archive", carry_forward="none"))
    for day in (26, 27, 28):
        snap = make_snapshot(projects=6, seed=day, now=datetime(2026, 11, day, 12, tzinfo=UTC))
        archive.add(snap)
    render_site(snap, root / "public", SiteSettings(), extra_pages=archive.pages(snap))
    return root / "public"


def test_group_pages_and_trend_pages_link_each_other(site: Path) -> None:
    groups = sorted((site / "g").glob("*.html"))
    assert groups
    for group in groups:
        page = Page(group.read_text(encoding="utf-8"))
        link = f"../trends/{group.name}"
        assert link in page.hrefs and (site / "trends" / group.name).is_file()
        trend = Page((site / "trends" / group.name).read_text(encoding="utf-8"))
        assert f"../g/{group.name}" in trend.hrefs and "../trends.html" in trend.hrefs
        assert 'href="../assets/site.css?v=' in (site / "trends" / group.name).read_text()
        for href in trend.hrefs:
            if not href.startswith(("http", "#")):
                assert (site / "trends" / href.split("?")[0]).resolve().is_file(), href
    top = Page((site / "trends.html").read_text(encoding="utf-8"))
    assert {f"trends/{g.name}" for g in groups} <= set(top.hrefs)


def test_trends_pages_show_delivery_charts_facts_and_table(tmp_path: Path) -> None:
    archive = Archive(ArchiveSettings(dir=tmp_path / "archive", carry_forward="none"))
    for day in (26, 27, 28):
        snap = make_snapshot(projects=6, seed=day, now=datetime(2026, 11, day, 12, tzinfo=UTC))
        archive.add(add_deployments(snap, seed=day))
    render_site(snap, tmp_path / "public", SiteSettings(), extra_pages=archive.pages(snap))
    for page in [tmp_path / "public" / "trends.html", *(tmp_path / "public" / "trends").glob("*")]:
        html = page.read_text(encoding="utf-8")
        for key in ("deploys", "lead", "change_failure", "restore"):
            assert f'id="chart-{key}"' in html, (page, key)
        assert "style=" not in html
    html = (tmp_path / "public" / "trends.html").read_text(encoding="utf-8")
    assert 'data-k="deploys"' in html and 'data-k="change-failure"' in html
    assert '<th scope="col">Production deployments</th>' in html
    assert '<th scope="col">Change failure rate</th>' in html


def test_site_without_environments_has_no_delivery_charts(site: Path) -> None:
    html = (site / "trends.html").read_text(encoding="utf-8")
    assert 'id="chart-deploys"' not in html and 'data-k="deploys"' not in html


def test_without_an_archive_group_pages_do_not_link_to_trends(tmp_path: Path) -> None:
    render_site(make_snapshot(projects=2, seed=1), tmp_path / "o", SiteSettings())
    html = next((tmp_path / "o" / "g").glob("*.html")).read_text(encoding="utf-8")
    assert "trends/" not in html


def test_a_group_page_picks_its_parents_and_subgroups_the_organisation_every_group() -> None:
    paths = ["a", "a/b", "a/b/c", "a/b/c/d", "a/bb", "a/e", "e"]
    keys = [(str(n), path) for n, path in enumerate(paths)]
    day = _day("2026-11-28", {path: Figures(1, 1, 0, 5.0, 5.0, 0) for path in paths})
    made = dict(pages.trends_pages(History([day]), keys))
    titles = {path: [link.title for link in view.picker] for path, view in made.items()}
    assert titles["trends.html"] == ["All projects", *paths]
    # a/b: the groups above it and its direct subgroups, not a/b/c/d nor a/bb (a sibling).
    assert titles["trends/1.html"] == ["All projects", "a", "a/b", "a/b/c"]
    assert titles["trends/6.html"] == ["All projects", "e"]
