"""The charts in Chromium: labels never collide, at 1280 and 360 px, light and dark; axe and
the Nu HTML checker find nothing on the Trends pages (organisation and group) and a project page.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import add_deployments, make_snapshot
from render_support import REPO, require, serve

from gldash_static.archive import Archive
from gldash_static.archive.pages import CHARTS, DELIVERY_CHARTS
from gldash_static.config import ArchiveSettings, SiteSettings
from gldash_static.render import render_site

pytestmark = pytest.mark.browser

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
COLOUR_RULES = ["color-contrast", "link-in-text-block"]  # what the dark palette can break
WIDTHS = [1280, 360]
SCHEMES = ["light", "dark"]
DAYS = 45

# Per chart: every label's box, and the boxes of what the chart draws (bars, lines, markers,
# failure crosses); boxes from getBoundingClientRect, so as laid out at this width.
BOXES = """() => [...document.querySelectorAll("svg.chart")].map(svg => {
  const box = e => {
    const r = e.getBoundingClientRect();
    const what = e.textContent || e.getAttribute("class");
    return {l: r.left, t: r.top, r: r.right, b: r.bottom, what};
  };
  return {
    svg: box(svg),
    labels: [...svg.querySelectorAll("text")].map(box),
    drawn: [...svg.querySelectorAll(".ln, .bars, .mk, .mark, path[tabindex]")].map(box),
    points: [...svg.querySelectorAll("[tabindex]")].map(e => !!e.querySelector("title")
      && e.querySelector("title").textContent.length > 0),
  };
})"""


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    # Touching edges are not an overlap; sub-pixel rounding is allowed for.
    return (
        a["l"] < b["r"] - 0.5
        and b["l"] < a["r"] - 0.5
        and a["t"] < b["b"] - 0.5
        and b["t"] < a["b"] - 0.5
    )


@pytest.fixture(scope="module")
def chart_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site with DAYS days of daily builds in its archive: Trends pages with full charts."""
    root = tmp_path_factory.mktemp("charts")
    archive = Archive(ArchiveSettings(dir=root / "archive", carry_forward="none"))
    first = datetime(2026, 10, 1, 12, tzinfo=UTC)
    for day in range(DAYS):
        snap = make_snapshot(projects=12, seed=day, now=first + timedelta(days=day))
        archive.add(add_deployments(snap, seed=day))  # delivery charts too
    render_site(
        snap,
        root / "public",
        SiteSettings(),
        extra_pages=archive.pages(snap),
        extra_files=archive.files(snap),
    )
    return root / "public"


@pytest.fixture(scope="module")
def chart_url(chart_site: Path) -> Iterator[str]:
    """Base URL of the served chart site."""
    yield from serve(chart_site)


def _pages(site: Path) -> list[str]:
    """The organisation's Trends page, one group's, and the project page with most pipelines."""
    group = sorted((site / "trends").glob("*.html"))[0].name
    project = max((site / "p").glob("*.html"), key=lambda p: p.read_text().count('tabindex="0"'))
    return ["trends.html", f"trends/{group}", f"p/{project.name}"]


def _context(
    browser: Any, base: str, width: int, scheme: str, **options: Any
) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, **options
    )
    problems: list[str] = []

    def route(route: Any) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            problems.append(f"outside: {route.request.url}")
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on(
        "console",
        lambda m: (
            problems.append(f"console.{m.type}: {m.text}")
            if m.type in {"error", "warning"}
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    return context, page, problems


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_chart_labels_never_overlap(
    browser: Any, chart_site: Path, chart_url: str, width: int, scheme: str
) -> None:
    context, page, problems = _context(browser, chart_url, width, scheme)
    found: list[str] = []
    for path in _pages(chart_site):
        response = page.goto(chart_url + path, wait_until="load")
        assert response is not None and response.ok
        policy = page.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content") or ""
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        charts = page.evaluate(BOXES)
        trends = path.startswith("trends")
        assert len(charts) == len(CHARTS + DELIVERY_CHARTS) if trends else len(charts) >= 1, path
        for n, chart in enumerate(charts):
            where = f"{path} chart {n} at {width}px {scheme}"
            labels, drawn = chart["labels"], chart["drawn"]
            assert labels and all(chart["points"]) and chart["points"], where
            assert chart["svg"]["r"] <= width, f"{where}: wider than the viewport"
            for k, a in enumerate(labels):
                # legible: at 360 px the 13-unit labels are drawn about 9 px high and more
                assert a["b"] - a["t"] >= 8, (
                    f"{where}: {a['what']!r} is {a['b'] - a['t']:.1f} px high"
                )
                assert a["l"] >= chart["svg"]["l"] - 0.5 and a["r"] <= chart["svg"]["r"] + 0.5, (
                    where
                )
                found += [
                    f"{where}: {a['what']!r} overlaps {b['what']!r}"
                    for b in labels[k + 1 :]
                    if _overlap(a, b)
                ]
                found += [
                    f"{where}: {a['what']!r} overlaps the {b['what']}"
                    for b in drawn
                    if _overlap(a, b)
                ]
    context.close()
    assert found == []
    assert problems == []


def test_no_javascript_still_shows_charts_and_tables(
    browser: Any, chart_site: Path, chart_url: str
) -> None:
    context, page, _ = _context(browser, chart_url, 360, "light", java_script_enabled=False)
    for path in _pages(chart_site):
        page.goto(chart_url + path)
        assert page.locator("svg.chart").count() >= 1
        assert page.locator("table").count() >= 1
    page.goto(chart_url + "trends.html")
    links = page.eval_on_selector_all("nav.picker a", "as => as.map(a => a.getAttribute('href'))")
    assert links[0] == "trends.html" and all(h.startswith("trends/") for h in links[1:])
    with page.expect_navigation(wait_until="load"):  # the URL commits before the page parses
        page.locator("nav.picker a").nth(1).click()  # the organisation's picker is open
    assert "/trends/" in page.url and page.locator("svg.chart").count() == len(
        CHARTS + DELIVERY_CHARTS
    )
    with page.expect_navigation(wait_until="load"):
        page.click("p.links >> text=All projects")
    assert page.url.endswith("/trends.html")
    context.close()


def test_axe_finds_no_violations_on_chart_pages(
    browser: Any, chart_site: Path, chart_url: str
) -> None:
    require(AXE, "axe-core (npm install)")
    problems: dict[str, list[str]] = {}
    for width in WIDTHS:
        # Only the test injects axe, so only the test lifts the policy.
        context, page, _ = _context(browser, chart_url, width, "light", bypass_csp=True)
        for path in _pages(chart_site):
            page.emulate_media(color_scheme="light")
            page.goto(chart_url + path)
            page.add_script_tag(path=str(AXE))
            for scheme, only, kind in (("light", WCAG_TAGS, "tag"), ("dark", COLOUR_RULES, "rule")):
                page.emulate_media(color_scheme=scheme)
                result = page.evaluate(
                    "([kind, only]) => axe.run(document, {runOnly: {type: kind, values: only}})",
                    [kind, only],
                )
                found = [
                    f"{v['id']}: {v['help']} ({len(v['nodes'])}x: {v['nodes'][0]['html'][:120]})"
                    for v in result["violations"]
                ]
                if found:
                    problems[f"{path} ({width}px, {scheme})"] = found
        context.close()
    assert problems == {}


def test_nu_checker_finds_no_errors_on_chart_pages(chart_site: Path) -> None:
    require(VNU, "vnu-jar (npm install)")
    java = shutil.which("java")
    require(Path(java or "/usr/bin/java"), "Java")
    files = [str(chart_site / p) for p in _pages(chart_site)]
    proc = subprocess.run(
        [java or "java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    messages = json.loads(proc.stderr or proc.stdout or '{"messages": []}')["messages"]
    assert [f"{m.get('url', '')}:{m.get('lastLine')}: {m.get('message')}" for m in messages] == []
