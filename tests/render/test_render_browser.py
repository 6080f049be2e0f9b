"""The site in headless Chromium: clean loads, client-side features, injected-script trap, axe."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from factories import make_snapshot
from render_support import NOTES_PAGE, REPO, TOP_PAGES, XSS, require, serve

from gldash_static import thinning
from gldash_static.archive import Archive
from gldash_static.config import ArchiveSettings, RetentionSettings
from gldash_static.config.settings import SiteSettings
from gldash_static.render import render_site
from gldash_static.rules import limits

pytestmark = pytest.mark.browser

PAGE_TYPES = [*TOP_PAGES, NOTES_PAGE, "p/100.html", "g/1.html"]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The WCAG 2.1 AA rules whose outcome depends on colours (axe-core's rule ids).
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
TRAP = """
window.__pwned = undefined;
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = function () { window.__pwned = "dialog:" + name; };
}
"""


@dataclass
class Watch:
    """What a page did that a clean page must not do."""

    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    navigations: list[str] = field(default_factory=list)


def _open(browser: Any, base: str, **options: Any) -> tuple[Any, Any, Watch]:
    context = browser.new_context(**options)
    watch = Watch()

    def route(route: Any) -> None:
        url = route.request.url
        if url.startswith(base) or url.startswith("data:"):
            route.continue_()
        else:
            watch.outside.append(url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on(
        "console",
        lambda m: (
            watch.errors.append(f"console.{m.type}: {m.text}")
            if m.type in {"error", "warning"}
            else None
        ),
    )
    page.on("pageerror", lambda e: watch.errors.append(f"pageerror: {e}"))
    page.on("dialog", lambda d: (watch.dialogs.append(d.message), d.dismiss()))
    # Document requests, not framenavigated: a page's own history.replaceState (filter state
    # in the URL) fires framenavigated late, into the next page's watch; only a navigation to
    # another document, which an injected script would cause, requests a document.
    page.on(
        "request",
        lambda r: (
            watch.navigations.append(r.url)
            if r.is_navigation_request() and r.frame == page.main_frame
            else None
        ),
    )
    return context, page, watch


@pytest.fixture
def site(browser: Any, site_url: str) -> Iterator[tuple[Any, Watch, str]]:
    """A fresh page on the session site, watched."""
    context, page, watch = _open(browser, site_url)
    yield page, watch, site_url
    context.close()


@pytest.mark.parametrize("path", PAGE_TYPES)
def test_page_type_loads_cleanly(site: tuple[Any, Watch, str], path: str) -> None:
    page, watch, base = site
    response = page.goto(base + path, wait_until="load")
    assert response is not None and response.ok
    page.wait_for_timeout(50)
    assert watch.errors == []
    assert watch.outside == []
    if path != "404.html":
        fresh = page.locator("#freshness")
        assert "ago" in fresh.inner_text(), "freshness script ran"
        # The snapshot is of 2026-11-28, far older than the 6 hours of the default warning.
        assert fresh.locator(".fresh-warn").is_visible()
        assert "⚠ older than 6 h" in fresh.inner_text()


# Cells are found by their column's header key, as gldash.js finds them, so these helpers
# keep working when a test moves columns.
ROWS_BY_KEY = """rows => {
  const col = {};
  for (const th of document.querySelectorAll("#projects th[data-k]")) {
    col[th.dataset.k] = th.cellIndex;
  }
  return rows.map(r => ({path: r.cells[col.path].querySelector("a").innerText, s: r.dataset.s,
    f: r.hasAttribute("data-f"), d: r.cells[col.duration].innerText,
    success: r.cells[col.success].innerText}));
}"""


def _visible_rows(page: Any) -> list[dict[str, Any]]:
    return page.eval_on_selector_all("#projects tbody tr:not([hidden])", ROWS_BY_KEY)


def _seconds(text: str) -> int:
    match = re.fullmatch(r"(?:(\d+)h )?(?:(\d+)m ?)?(?:(\d+)s)?", text.strip())
    if not match or not text.strip():
        return -1
    hours, minutes, secs = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + secs


def test_projects_filter_sort_and_url_state(site: tuple[Any, Watch, str]) -> None:
    page, watch, base = site
    page.goto(base + "projects.html")
    assert len(_visible_rows(page)) == 12
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("payments")
    rows = _visible_rows(page)
    assert rows and all("payments" in r["path"] for r in rows)
    assert page.locator("#count").inner_text().startswith(f"{len(rows)} of 12 projects match")
    page.wait_for_function("() => location.search.includes('q=payments')")

    page.select_option("#f-status", "success")
    assert all(r["s"] == "success" for r in _visible_rows(page))
    page.select_option("#f-status", "")

    page.click("th[data-k=duration] button")
    page.wait_for_function("() => location.search.includes('sort=-duration')")
    header = page.locator("th[data-k=duration]")
    assert header.get_attribute("aria-sort") == "descending"
    durations = [_seconds(r["d"]) for r in _visible_rows(page)]
    assert durations == sorted(durations, reverse=True) and len(durations) == len(rows)

    shared = page.url
    page.goto("about:blank")
    page.goto(shared)
    assert page.input_value("#q") == "payments"
    assert page.locator("th[data-k=duration]").get_attribute("aria-sort") == "descending"
    restored = [_seconds(r["d"]) for r in _visible_rows(page)]
    assert restored == durations

    page.click("button[type=reset]")
    page.wait_for_function("() => document.querySelectorAll('#projects tbody tr').length === 12")
    assert watch.errors == [] and watch.outside == []


def test_projects_sort_orders_by_value(site: tuple[Any, Watch, str]) -> None:
    page, watch, base = site
    page.goto(base + "projects.html?sort=constructor")  # a name every object has, not a key
    assert len(_visible_rows(page)) == 12 and watch.errors == []
    page.goto(base + "projects.html?sort=-success")
    values = [_percent(r["success"]) for r in _visible_rows(page)]
    assert values == sorted(values, reverse=True)
    page.click("th[data-k=path] button")
    paths = [r["path"] for r in _visible_rows(page)]
    assert paths == sorted(paths, key=str.lower)


def _percent(text: str) -> float:
    return float(text.rstrip("%")) if text.rstrip("%").isdigit() else -1.0


# Reverses the order of every column, header and cells alike, as a template change might.
REVERSE_COLUMNS = """() => {
  const table = document.getElementById("projects");
  for (const row of [table.tHead.rows[0], ...table.tBodies[0].rows]) {
    for (const cell of Array.from(row.cells).reverse()) row.appendChild(cell);
  }
}"""


def test_projects_sort_by_header_key_when_columns_move(site: tuple[Any, Watch, str]) -> None:
    page, watch, base = site
    page.goto(base + "projects.html")
    natural = [r["path"] for r in _visible_rows(page)]
    page.evaluate(REVERSE_COLUMNS)
    assert page.evaluate("document.querySelector('#projects th').dataset.k") == "vis"
    page.click("th[data-k=duration] button")
    durations = [_seconds(r["d"]) for r in _visible_rows(page)]
    assert durations == sorted(durations, reverse=True) and len(set(durations)) > 2
    page.click("th[data-k=success] button")
    rates = [_percent(r["success"]) for r in _visible_rows(page)]
    assert rates == sorted(rates, reverse=True) and len(set(rates)) > 2
    page.click("th[data-k=path] button")
    paths = [r["path"] for r in _visible_rows(page)]
    assert paths == sorted(natural, key=str.lower)
    assert watch.errors == []


def test_projects_group_and_failing_filters_from_url(site: tuple[Any, Watch, str]) -> None:
    page, _, base = site
    page.goto(base + "projects.html?group=acme/web&status=failing")
    rows = _visible_rows(page)
    assert all(r["path"].startswith("acme/web/") and r["f"] for r in rows)
    assert page.input_value("#f-group") == "acme/web"


def test_radiator_filters_and_schedules_its_deployment_check(browser: Any, site_url: str) -> None:
    context, page, watch = _open(browser, site_url)
    page.add_init_script(
        "window.__timeouts = []; const st = window.setTimeout;"
        "window.setTimeout = function (f, ms) { window.__timeouts.push(ms); return st(f, ms); };"
    )
    page.goto(site_url + "radiator.html?group=acme/web")
    tiles = page.eval_on_selector_all(
        "#wall .wtile", "ts => ts.map(t => ({ns: t.dataset.ns, hidden: t.hidden}))"
    )
    assert any(not t["hidden"] for t in tiles)
    assert all(t["hidden"] != (t["ns"] == "acme/web") for t in tiles)
    assert "group acme/web" in page.locator("#wall-filter").inner_text()
    # No blind reload: health.json is asked a minute after load (tests/render/
    # test_render_live_browser.py follows what happens then).
    timeouts = page.evaluate("window.__timeouts")
    assert 300_000 not in timeouts
    assert any(59_000 < ms <= 60_000 for ms in timeouts), timeouts
    page.goto(site_url + "radiator.html?topic=go")
    visible = page.eval_on_selector_all("#wall .wtile:not([hidden])", "ts => ts.length")
    assert 0 < visible < len(tiles)
    assert watch.errors == []
    context.close()


def test_merge_request_filters(site: tuple[Any, Watch, str]) -> None:
    page, _, base = site
    page.goto(base + "merge-requests.html")
    total = page.eval_on_selector_all("#mrs tbody tr", "rs => rs.length")
    page.select_option("#mr-draft", "yes")
    drafts = page.eval_on_selector_all(
        "#mrs tbody tr:not([hidden])", "rs => rs.map(r => r.dataset.draft)"
    )
    assert drafts and set(drafts) == {"yes"} and len(drafts) < total
    page.select_option("#mr-draft", "")
    page.fill("#mr-q", "acme/web")
    projects = page.eval_on_selector_all(
        "#mrs tbody tr:not([hidden])",
        "rs => rs.map(r => r.cells[document.querySelector('#mrs th[data-k=project]').cellIndex]"
        ".innerText)",
    )
    assert projects and all(p.startswith("acme/web") for p in projects)


def test_pages_are_readable_without_javascript(browser: Any, site_url: str) -> None:
    context, page, watch = _open(browser, site_url, java_script_enabled=False)
    page.goto(site_url + "projects.html")
    assert page.eval_on_selector_all("#projects tbody tr", "rs => rs.length") == 12
    assert page.locator("#projects").is_visible()
    assert not page.locator("#filters").is_visible()
    page.goto(site_url + "p/100.html")
    assert page.locator("h1").is_visible()
    assert watch.outside == []
    context.close()


def test_site_works_from_disk(browser: Any, site_dir: Path) -> None:
    base = site_dir.as_uri() + "/"
    context, page, watch = _open(browser, base)
    page.goto(base + "projects.html")
    page.fill("#q", "web")
    assert all("web" in r["path"] for r in _visible_rows(page))
    page.click("#projects tbody a >> nth=0")
    assert page.url.startswith(base + "p/")
    page.goto(base + "g/1.html")
    assert "ago" in page.locator("#freshness").inner_text()
    assert watch.errors == [] and watch.outside == []
    context.close()


def test_no_injected_script_runs(browser: Any, hostile_url: str) -> None:
    context, page, watch = _open(browser, hostile_url)
    page.add_init_script(TRAP)
    paths = [p for p in PAGE_TYPES if not p.startswith("notes")]
    paths += ["g/2.html", "p/101.html"]
    for path in paths:
        watch.navigations.clear()
        page.goto(hostile_url + path)
        page.wait_for_timeout(30)
        assert page.evaluate("window.__pwned") is None, path
        # Same-document URL updates (the filter state in ?query) are fine; any navigation
        # to another document is what an injected script would cause.
        documents = {n.split("#")[0].split("?")[0] for n in watch.navigations}
        assert documents == {hostile_url + path}, (path, watch)
    page.goto(hostile_url + "p/100.html")
    assert XSS[:30] in page.locator("main").inner_text()
    hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    assert all(h.startswith(("http://", "https://")) for h in hrefs)
    page.goto(hostile_url + "projects.html")
    page.fill("#q", "script")
    assert page.evaluate("window.__pwned") is None
    assert (watch.dialogs, watch.outside, watch.errors) == ([], [], []), watch
    context.close()


def test_axe_finds_no_wcag_violations(browser: Any, site_url: str) -> None:
    require(AXE, "axe-core (npm install)")
    # Only the test injects axe, so only the test needs the policy lifted. Each page is loaded
    # once and checked in both colour schemes: the palettes switch on a media query, and
    # colours are all that switches, so the dark scheme needs only the rules that read them.
    context, page, _ = _open(browser, site_url, bypass_csp=True)
    problems: dict[str, list[str]] = {}
    for path in PAGE_TYPES:
        page.emulate_media(color_scheme="light")
        page.goto(site_url + path)
        page.add_script_tag(path=str(AXE))
        for scheme, only in (("light", WCAG_TAGS), ("dark", COLOUR_RULES)):
            page.emulate_media(color_scheme=scheme)
            kind = "tag" if only is WCAG_TAGS else "rule"
            result = page.evaluate(
                "([kind, only]) => axe.run(document, {runOnly: {type: kind, values: only}})",
                [kind, only],
            )
            found = [
                f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['html'][:120]})"
                for v in result["violations"]
            ]
            if found:
                problems[f"{path} ({scheme})"] = found
    context.close()
    assert problems == {}


PAGES = "http://pages.test/dash/"


def _pages_context(browser: Any, site: Path) -> tuple[Any, Any, list[str]]:
    """A page whose requests GitLab Pages answers: `site` under PAGES, 404.html for the rest."""
    context = browser.new_context()
    problems: list[str] = []

    def route(route: Any) -> None:
        url = route.request.url.split("#")[0].split("?")[0]
        if not url.startswith(PAGES):
            problems.append(f"outside the site: {url}")
            route.abort()
            return
        target = site / (url[len(PAGES) :] or "index.html")
        if target.is_file():
            route.fulfill(status=200, path=target)
        else:
            route.fulfill(status=404, path=site / "404.html", content_type="text/html")

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on(
        "response",
        lambda r: (
            problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    return context, page, problems


@pytest.mark.parametrize(
    ("site_url", "missing"),
    [(PAGES, "a/b/missing.html"), (None, "missing.html")],
    ids=["two-folders-deep", "top-without-site-url"],
)
def test_404_page_loads_and_leads_home(
    browser: Any, tmp_path: Path, site_url: str | None, missing: str
) -> None:
    out = tmp_path / "public"
    render_site(make_snapshot(projects=2, seed=1), out, SiteSettings(), site_url=site_url)
    context, page, problems = _pages_context(browser, out)
    response = page.goto(PAGES + missing, wait_until="load")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert page.evaluate("getComputedStyle(document.body).textAlign") == "center", "inline style"
    # The icon is fetched after load: leaving before it arrives aborts it (CI saw that race).
    page.wait_for_load_state("networkidle")
    with page.expect_navigation() as home:
        page.click("main a")
    assert home.value is not None and home.value.status == 200
    assert page.url == PAGES + "index.html"
    assert page.title().startswith("Overview")
    page.wait_for_timeout(50)
    assert problems == []
    context.close()


def test_large_tables_page_rows_with_show_more(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "public"
    render_site(make_snapshot(projects=230, seed=2), out, SiteSettings())
    base = out.as_uri() + "/"
    context, page, watch = _open(browser, base)
    page.goto(base + "projects.html")
    assert len(_visible_rows(page)) == 100
    assert page.locator("#count").inner_text().startswith("230 of 230 projects match")
    page.click("#more")
    assert len(_visible_rows(page)) == 200
    page.click("#more")
    assert len(_visible_rows(page)) == 230
    assert not page.locator("#more").is_visible()
    page.fill("#q", "service-001")
    assert len(_visible_rows(page)) == 100
    assert watch.errors == []
    context.close()


ROWS_HTML = "rows => rows.map(r => r.outerHTML)"


def test_rows_the_script_builds_are_the_rows_the_server_writes(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond its first rows projects.html holds columns; the script's rows equal the macro's."""
    snapshot = make_snapshot(projects=230, seed=2)
    projects = snapshot["sources"][0]["projects"]
    projects[150]["stale"] = {"reason": "fetch failed", "since": "2026-11-27T00:00:00Z"}
    projects[160]["pipelines"] = []  # no pipeline: no time, duration or sparkline
    projects[170]["topics"] = ["</script><b>x</b>", "a&b"]  # text, however it looks
    settings = SiteSettings(timezone="Europe/Berlin")  # local times need the zone's offset
    render_site(snapshot, tmp_path / "paged", settings)
    monkeypatch.setattr(limits, "PROJECTS_PAGE_ROWS", 1000)
    render_site(snapshot, tmp_path / "whole", settings)
    whole_base = (tmp_path / "whole").as_uri() + "/"
    context, page, _ = _open(browser, whole_base, java_script_enabled=False)
    page.goto(whole_base + "projects.html")
    written = page.eval_on_selector_all("#projects tbody tr", ROWS_HTML)
    context.close()
    assert len(written) == 230
    kinds = ['class="stale"', "<small>", 'class="c-failed"', "<time", "<td>–</td>", "&lt;/script"]
    for kind in kinds:
        assert any(kind in row for row in written), kind  # every kind of cell is compared

    base = (tmp_path / "paged").as_uri() + "/"
    context, page, watch = _open(browser, base)
    page.goto(base + "projects.html")
    assert not page.locator("#partial").is_visible()
    page.fill("#q", "no project is called this")
    page.wait_for_function("() => document.querySelectorAll('#projects tbody tr').length === 0")
    page.fill("#q", "")
    page.click("#more")
    page.click("#more")
    assert page.eval_on_selector_all("#projects tbody tr", ROWS_HTML) == written
    assert watch.errors == []
    context.close()


def test_without_javascript_the_projects_page_says_it_shows_the_first_rows(
    browser: Any, tmp_path: Path
) -> None:
    render_site(make_snapshot(projects=230, seed=2), tmp_path / "public", SiteSettings())
    base = (tmp_path / "public").as_uri() + "/"
    context, page, _ = _open(browser, base, java_script_enabled=False)
    page.goto(base + "projects.html")
    assert page.eval_on_selector_all("#projects tbody tr", "rs => rs.length") == 100
    assert page.locator("#partial").inner_text().startswith("Showing the first 100 of 230")
    context.close()


@pytest.mark.parametrize(
    ("job_attempts", "jobs_days"),
    [(True, 0), (False, None)],
    ids=["published-whole", "published-without-job-attempts"],
)
def test_archive_download_rebuilds_a_delta_in_the_browser(
    browser: Any, tmp_path: Path, job_attempts: bool, jobs_days: int | None
) -> None:
    snapshots = [make_snapshot(projects=6, seed=3)]
    for hour in (1, 2):  # each build: one more pipeline, a later time
        later = json.loads(json.dumps(snapshots[-1]))
        later["generated_at"] = f"2026-11-28T0{6 + hour}:00:00.000Z"
        project = next(p for p in later["sources"][0]["projects"] if p["pipelines"])
        project["pipelines"].insert(0, {**project["pipelines"][0], "id": 990 + hour})
        # a pipeline's job attempts change: a patch of a list the published newest may lack
        jobs = project["pipelines"][1]["jobs"]
        jobs.append({**jobs[0], "name": f"retry-{hour}", "retried": True})
        # a branch keyed by a non-ASCII name: the browser must key it as Python did
        branch = {"name": f"fïx/ü-{hour}", "default": False, "merged": False}
        project["branches"] = [branch, *(project.get("branches") or [])]
        snapshots.append(later)
    archive = Archive(
        ArchiveSettings(
            dir=tmp_path / "archive",
            carry_forward="none",
            retention=RetentionSettings(jobs_days=jobs_days),
        )
    )
    for snapshot in snapshots:
        archive.add(snapshot)
    last = snapshots[-1]
    site = tmp_path / "public"
    render_site(
        last,
        site,
        SiteSettings(snapshot_job_attempts=job_attempts),
        extra_pages=archive.pages(last, job_attempts=job_attempts),
        extra_files=archive.files(last),
    )
    assert len(list((site / "archive").rglob("*.delta-*.json.gz"))) == 2
    for base in serve(site):
        context, page, watch = _open(browser, base, accept_downloads=True)
        page.goto(base + "archive.html")
        links = page.locator("#archive-table a[download]")
        assert links.count() == 3
        got = []
        for n in range(3):  # newest first, as the table lists them
            with page.expect_download() as info:
                links.nth(n).click()
            data = Path(info.value.path()).read_bytes()  # the newest: snapshot.json.gz as is
            got.append(json.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data))
        if job_attempts:
            # Older ones without job attempts: only the newest keeps them (jobs_days 0).
            older = [thinning.without_jobs(s) for s in reversed(snapshots[:-1])]
            expected = [snapshots[-1], *older]
        else:
            # The archive keeps every snapshot's job attempts (jobs_days null), but the site
            # publishes the newest without them: so every rebuilt one has none, not half.
            expected = [thinning.without_jobs(s) for s in reversed(snapshots)]
            assert all(thinning.has_job_attempts(s) for s in snapshots)
        assert got == json.loads(json.dumps(expected))
        assert (watch.errors, watch.outside) == ([], [])
        context.close()
        require(AXE, "axe-core (npm install)")
        context, page, _ = _open(browser, base, bypass_csp=True)
        page.goto(base + "archive.html")
        page.add_script_tag(path=str(AXE))
        for scheme, only, kind in (("light", WCAG_TAGS, "tag"), ("dark", COLOUR_RULES, "rule")):
            page.emulate_media(color_scheme=scheme)
            result = page.evaluate(
                "([kind, only]) => axe.run(document, {runOnly: {type: kind, values: only}})",
                [kind, only],
            )
            assert result["violations"] == [], scheme
        context.close()


def _since_order(page: Any, selector: str) -> list[float]:
    """The data-since of the visible rows of a table, in page order."""
    return [
        float(v)
        for v in page.eval_on_selector_all(
            f"{selector} tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.since)"
        )
        if v is not None
    ]


def test_failures_order_longest_broken_first_on_request(browser: Any, tmp_path: Path) -> None:
    render_site(make_snapshot(projects=80, seed=3), tmp_path / "public", SiteSettings())
    served = serve(tmp_path / "public")
    base = next(served)
    context, page, watch = _open(browser, base)
    page.goto(base + "failures.html")
    newest = _since_order(page, "table[data-orders]")
    assert len(newest) > 2 and newest == sorted(newest, reverse=True)
    page.click("a[data-order=longest]")
    assert "order=longest" in page.url
    assert _since_order(page, "table[data-orders]") == sorted(newest)
    assert page.get_attribute("a[data-order=longest]", "aria-current") == "true"
    page.goto(base + "failures.html?order=longest")  # the link is shareable
    assert _since_order(page, "table[data-orders]") == sorted(newest)
    page.click("a[data-order=newest]")
    assert _since_order(page, "table[data-orders]") == newest and "order" not in page.url
    # The overview carries each order's own first rows; it shows one set at a time.
    page.goto(base + "index.html?order=longest")
    shown = _since_order(page, "table[data-orders]")
    assert shown == sorted(shown) and shown[0] == min(newest)
    assert watch.errors == [] and watch.outside == []
    context.close()
    served.close()


def test_flaky_and_jobs_pages_list_the_snapshots_answers(site: tuple[Any, Watch, str]) -> None:
    page, watch, base = site
    page.goto(base + "flaky.html")
    rows = page.locator("main table tbody tr")
    assert rows.count() > 0
    assert "passed on retry" in page.inner_text("main table")
    page.goto(base + "jobs.html")
    assert page.locator("main table").count() == 2
    first = page.locator("main table").first.locator("tbody tr").first
    assert first.locator("a").get_attribute("href", timeout=1000).endswith("#jobs-h")  # type: ignore[union-attr]
    assert watch.errors == []
