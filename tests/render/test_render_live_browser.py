"""Issue 16 in headless Chromium: tables on a phone, the radiator as a wall screen, and pages
that notice a newer deployment of the site (health.json) without ever reloading into an error."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import GENERATED_AT, make_snapshot
from render_support import REPO, require, serve
from test_render_browser import AXE, WCAG_TAGS, _open

from gldash_static.config.settings import SiteSettings
from gldash_static.render import render_site, views
from gldash_static.render.text import age

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WALL = {"width": 1920, "height": 1080}
MINUTE_MS = 60_000
# The pages with wide tables, and the tables there that must stay readable on a phone.
TABLE_PAGES = [
    "projects.html",
    "failures.html",
    "branches.html",
    "merge-requests.html",
    "environments.html",
    "deployments.html",
    "p/100.html",
    "g/1.html",
]
# Rows that may hold a few lines: failed-job lists, and an environment's name, what it runs and
# what was last tried on it.
TALL_ROWS = ("failures.html", "environments.html")
# Chromium reports a 404 answer to fetch() on the console itself, whatever the script does with
# it; a missing health.json may cause that line and nothing else.
NETWORK_404 = "Failed to load resource: the server responded with a status of 404 (Not Found)"
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# Emulated tab visibility: window.__setHidden(true) hides the tab as switching tabs would.
VISIBILITY = """
window.__hidden = false;
Object.defineProperty(Document.prototype, "visibilityState",
  {configurable: true, get() { return window.__hidden ? "hidden" : "visible"; }});
Object.defineProperty(Document.prototype, "hidden",
  {configurable: true, get() { return window.__hidden; }});
window.__setHidden = (h) => {
  window.__hidden = h;
  document.dispatchEvent(new Event("visibilitychange"));
};
"""


def _wall_snapshot(now: datetime = GENERATED_AT) -> Any:
    # 40 projects: failing ones (some of them running again), running ones and the rest.
    return make_snapshot(projects=40, seed=2, now=now)


@pytest.fixture(scope="module")
def wall_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wall") / "public"
    render_site(_wall_snapshot(), out, SiteSettings())
    return out


@pytest.fixture(scope="module")
def wall_url(wall_dir: Path) -> Iterator[str]:
    yield from serve(wall_dir)


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A site of its own, served, that a test may deploy again while a page has it open."""
    out = tmp_path / "public"
    render_site(make_snapshot(projects=12, seed=1), out, SiteSettings())
    for base in serve(out):
        yield out, base


def _deploy(out: Path, hours: int = 1) -> str:
    """Render a newer snapshot over the served site, as the next scheduled build would."""
    later = GENERATED_AT + timedelta(hours=hours)
    render_site(make_snapshot(projects=12, seed=1, now=later), out, SiteSettings())
    return str(json.loads((out / "health.json").read_text())["generated_at"])


def _console(page: Any) -> list[tuple[str, str]]:
    """Console errors and warnings with the URL each is about."""
    seen: list[tuple[str, str]] = []
    page.on(
        "console",
        lambda m: (
            seen.append((m.text, m.location.get("url", "")))
            if m.type in {"error", "warning"}
            else None
        ),
    )
    return seen


def _until(page: Any, done: Any, seconds: float = 10) -> None:
    """Wait (in real time, whatever the page's clock says) until `done()` is true."""
    for _ in range(int(seconds * 20)):
        if done():
            return
        page.wait_for_timeout(50)
    raise AssertionError("gave up waiting")


def _health_requests(page: Any) -> list[str]:
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "health.json" in r.url else None)
    return asked


# --- A. Tables on a phone --------------------------------------------------------------------

# Every header cell's text as line boxes (a header may wrap between words, never overflow).
HEADER_TEXT_BOXES = """table => Array.from(table.tHead.rows[0].cells, th => {
  const range = document.createRange();
  range.selectNodeContents(th);
  const cell = th.getBoundingClientRect();
  return {cell: [cell.left, cell.right],
          boxes: Array.from(range.getClientRects(), r => [r.left, r.top, r.right, r.bottom])
                  .filter(b => b[2] - b[0] > 0.5)};
})"""


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


@pytest.mark.parametrize("path", TABLE_PAGES)
def test_tables_stay_readable_on_a_phone(browser: Any, site_url: str, path: str) -> None:
    context, page, watch = _open(browser, site_url, viewport=PHONE)
    page.goto(site_url + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "page scrolls"
    tables = page.locator(".scroll > table")
    assert tables.count() > 0
    for n in range(tables.count()):
        table = tables.nth(n)
        heads = table.evaluate(HEADER_TEXT_BOXES)
        for i, head in enumerate(heads):
            for box in head["boxes"]:
                # The text stays inside its own cell...
                assert head["cell"][0] - 0.5 <= box[0] and box[2] <= head["cell"][1] + 0.5, (
                    path,
                    n,
                    i,
                )
                # ...so no two header texts overlap.
                for other in heads[i + 1 :]:
                    assert not any(_overlap(box, b) for b in other["boxes"]), (path, n, i)
        # Rows stay short: a name wraps onto a few lines, not a column of broken syllables.
        heights = table.evaluate(
            "t => Array.from(t.tBodies[0].rows, r => r.getBoundingClientRect().height)"
        )
        line = table.evaluate("t => parseFloat(getComputedStyle(t).fontSize) * 1.45")
        limit = 5 if path in TALL_ROWS else 3.6
        assert max(heights) <= limit * line + 12, (path, n, max(heights))
        _first_column_stays_in_view(table, path)
    assert watch.errors == []
    context.close()


def _first_column_stays_in_view(table: Any, path: str) -> None:
    region = table.locator("xpath=..")
    wide = region.evaluate("r => r.scrollWidth > r.clientWidth + 1")
    if not wide:
        return
    region.evaluate("r => { r.scrollIntoView({block: 'start'}); r.scrollLeft = r.scrollWidth; }")
    assert region.evaluate("r => r.scrollLeft") > 100, path
    # The first cell of the first row is still where it was, on top of what slid under it.
    inside = table.evaluate(
        """t => {
          const region = t.parentElement.getBoundingClientRect();
          return Array.from(t.rows).slice(0, 4).map(row => {
            const cell = row.cells[0].getBoundingClientRect();
            const hit = document.elementFromPoint(cell.left + 4, cell.top + cell.height / 2);
            return cell.left >= region.left - 1 && cell.right <= region.right + 1 &&
              cell.left <= region.left + 12 && !!hit && row.cells[0].contains(hit);
          });
        }"""
    )
    assert inside and all(inside), (path, inside)


# --- B. The radiator --------------------------------------------------------------------------


def _luminance(css: str) -> float:
    parts = [float(x) for x in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]

    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in parts)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


TILES = """ts => ts.map(t => ({
  part: t.closest("section").id, ns: t.dataset.ns, name: t.querySelector(".wname").textContent,
  failed: t.classList.contains("s-failed"), state: (t.className.match(/s-([a-z]+)/) || [])[1],
  red: (t.querySelector(".wred") || {}).textContent || "", hidden: t.hidden}))"""


def test_radiator_is_a_wall_screen(browser: Any, wall_url: str) -> None:
    context, page, watch = _open(browser, wall_url, viewport=WALL, color_scheme="light")
    # The visitor's clock is three days after the snapshot: "red for" follows it.
    visitor = GENERATED_AT + timedelta(days=3)
    page.clock.install(time=visitor)
    page.goto(wall_url + "radiator.html")
    # No site chrome, but a skip link and a discreet way back.
    assert page.locator("header.top, footer, nav").count() == 0
    assert page.locator("a.skip").get_attribute("href") == "#main"
    assert page.locator(".wall-top a[href='index.html']").count() == 1
    policy = page.locator("meta[http-equiv='Content-Security-Policy']").get_attribute("content")
    assert policy and "unsafe-inline" not in policy and "connect-src 'self'" in policy
    # Dark although the system asks for light.
    assert page.evaluate("matchMedia('(prefers-color-scheme: light)').matches")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert _luminance(background) < 0.02, background
    text = page.evaluate("getComputedStyle(document.body).color")
    assert _luminance(text) > 0.7, text
    # Large type: a failing project's name is read from across the room.
    name_px = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#wall-failing .wname')).fontSize)"
    )
    assert name_px >= 32, name_px
    # Failing first, then running, then the rest.
    view = views.build(_wall_snapshot())
    tiles = page.eval_on_selector_all(".wtile", TILES)
    parts = [t["part"] for t in tiles]
    assert parts == sorted(parts, key=["wall-failing", "wall-running", "wall-rest"].index)
    failing = [t for t in tiles if t["part"] == "wall-failing"]
    assert len(failing) == sum(p.failing for p in view.projects) >= 3
    assert all(t["failed"] for t in failing)
    running = [t for t in tiles if t["part"] == "wall-running"]
    assert running and all(t["state"] == "running" for t in running)
    rest = [t for t in tiles if t["part"] == "wall-rest"]
    assert rest and all(not t["failed"] and t["state"] != "running" for t in rest)
    # "red for" as of the visitor's clock.
    by_name = {p.name: p for p in view.projects}
    for tile in failing:
        since = by_name[tile["name"]].red_since
        assert since is not None
        assert tile["red"] == "red for " + age((visitor - since).total_seconds()), tile
    count = page.locator("#wall-count").inner_text()
    assert count == f"{len(failing)} failing of {len(view.projects)} projects."
    assert watch.errors == [] and watch.outside == []
    context.close()


def test_radiator_without_javascript_shows_red_for_as_of_the_snapshot(
    browser: Any, wall_url: str
) -> None:
    context, page, _ = _open(browser, wall_url, java_script_enabled=False)
    page.goto(wall_url + "radiator.html")
    view = views.build(_wall_snapshot())
    expected = sorted(
        "red for " + age((view.generated_at - p.red_since).total_seconds())
        for p in view.projects
        if p.failing and p.red_since
    )
    assert sorted(page.locator(".wred").all_inner_texts()) == expected
    assert page.locator("#wall-filters").is_hidden()
    context.close()


@pytest.mark.parametrize(
    ("query", "groups", "topics", "label"),
    [
        ("?group=acme/web", ["acme/web"], [], "(group acme/web)"),
        (
            "?group=acme/web&group=acme/payments&topic=go",
            ["acme/web", "acme/payments"],
            ["go"],
            "(groups acme/web, acme/payments; topic go)",
        ),
        ("?topic=python,go", [], ["python", "go"], "(topics python, go)"),
        ("?group=acme", ["acme"], [], "(group acme)"),
    ],
)
def test_radiator_url_selects_groups_and_topics(
    browser: Any, wall_url: str, query: str, groups: list[str], topics: list[str], label: str
) -> None:
    context, page, watch = _open(browser, wall_url)
    page.goto(wall_url + "radiator.html" + query)
    view = views.build(_wall_snapshot())

    def picked(p: views.ProjectView) -> bool:
        in_group = not groups or any(
            p.namespace == g or p.namespace.startswith(g + "/") for g in groups
        )
        return in_group and (not topics or any(t in p.topics for t in topics))

    expected = sorted((p.namespace, p.name) for p in view.projects if picked(p))
    tiles = page.eval_on_selector_all(".wtile", TILES)
    shown = sorted((t["ns"], t["name"]) for t in tiles if not t["hidden"])
    assert shown == expected and len(shown) > 0
    assert page.locator("#wall-filter").inner_text() == label
    failing = sum(p.failing for p in view.projects if picked(p))
    count = f"{failing} failing of {len(expected)} projects."
    assert page.locator("#wall-count").inner_text() == count
    assert page.locator("#wall-failing .wall-n").inner_text() == str(failing)
    # The summary of the rest counts what is shown.
    rest = [t for t in tiles if t["part"] == "wall-rest" and not t["hidden"]]
    numbers = [
        int(part.split()[0]) for part in page.locator("#wall-rest-sum").inner_text().split(", ")
    ]
    assert sum(numbers) == len(rest)
    assert watch.errors == []
    context.close()


def test_radiator_text_filter_narrows_tiles_and_keeps_to_the_url(
    browser: Any, wall_url: str
) -> None:
    context, page, watch = _open(browser, wall_url)
    page.goto(wall_url + "radiator.html?group=acme/web")
    page.fill("#wall-q", "service-0000")
    shown = page.eval_on_selector_all(".wtile:not([hidden])", TILES)
    assert shown and all(t["ns"] == "acme/web" and "service-0000" in t["name"] for t in shown)
    page.wait_for_function("() => location.search.includes('q=service-0000')")
    assert "group=acme%2Fweb" in page.url or "group=acme/web" in page.url
    page.goto(page.url)
    assert page.input_value("#wall-q") == "service-0000"
    assert watch.errors == []
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_radiator_has_no_axe_violations(browser: Any, wall_url: str, scheme: str) -> None:
    require(AXE, "axe-core (npm install)")
    context, page, _ = _open(browser, wall_url, bypass_csp=True, color_scheme=scheme)
    page.goto(wall_url + "radiator.html")
    page.evaluate("document.querySelector('#wall-rest details').open = true")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    found = [f"{v['id']}: {v['nodes'][0]['html'][:120]}" for v in result["violations"]]
    assert found == []
    context.close()


# --- C. Live enough ---------------------------------------------------------------------------


def test_a_page_offers_to_reload_when_a_newer_deployment_is_out(
    browser: Any, deployed: tuple[Path, str]
) -> None:
    out, base = deployed
    context, page, watch = _open(browser, base)
    page.clock.install(time=GENERATED_AT + timedelta(minutes=30))
    page.goto(base + "projects.html?q=web&sort=-duration")
    asked = _health_requests(page)
    with page.expect_response(lambda r: "health.json" in r.url):
        page.clock.fast_forward(MINUTE_MS + 1000)
    page.wait_for_timeout(200)
    assert len(asked) == 1
    assert page.locator("#live").inner_text() == "", "nothing new yet"
    newer = _deploy(out)
    page.clock.fast_forward(MINUTE_MS + 1000)
    banner = page.locator("#live")
    banner.get_by_role("button", name="Reload").wait_for()
    assert banner.get_attribute("role") == "status"
    assert "newer version" in banner.inner_text()
    assert page.locator("[role=dialog], dialog").count() == 0
    page.fill("#q", "service")  # the filter changed after the page loaded
    with page.expect_event("load"):
        banner.get_by_role("button", name="Reload").click()
    assert page.locator("#freshness").get_attribute("data-generated-at") == newer
    assert page.input_value("#q") == "service"
    assert "sort=-duration" in page.url
    assert page.locator("#live").inner_text() == ""
    assert watch.errors == [] and watch.dialogs == []
    context.close()


@pytest.mark.parametrize("answer", ["unchanged", "older", "missing", "invalid", "half"])
def test_no_offer_without_a_readable_newer_deployment(
    browser: Any, deployed: tuple[Path, str], answer: str
) -> None:
    out, base = deployed
    health = out / "health.json"
    for gz in out.glob("health.json.gz"):
        gz.unlink()  # the server would prefer it to what the test writes
    data = json.loads(health.read_text())
    if answer == "older":
        health.write_text(json.dumps({**data, "generated_at": "2026-11-27T06:00:00Z"}))
    elif answer == "missing":
        health.unlink()
    elif answer == "invalid":
        health.write_text('{"generated_at": "2026-11-29T06:00:00Z", "proj')
    elif answer == "half":
        health.write_text(json.dumps({"generated_at": None}))
    context, page, watch = _open(browser, base)
    console = _console(page)
    page.clock.install(time=GENERATED_AT + timedelta(minutes=30))
    page.goto(base + "index.html")
    with page.expect_response(lambda r: "health.json" in r.url) as response:
        page.clock.fast_forward(MINUTE_MS + 1000)
    assert response.value.status == (404 if answer == "missing" else 200)
    page.wait_for_timeout(300)
    assert page.locator("#live").inner_text() == ""
    assert page.evaluate("document.querySelector('#live').childElementCount") == 0
    others = [(t, u) for t, u in console if not (t == NETWORK_404 and u.endswith("health.json"))]
    assert others == []
    assert all(e == f"console.error: {NETWORK_404}" for e in watch.errors), watch.errors
    context.close()


def test_polling_waits_a_minute_and_pauses_while_the_tab_is_hidden(
    browser: Any, deployed: tuple[Path, str]
) -> None:
    _, base = deployed
    context, page, watch = _open(browser, base)
    page.add_init_script(VISIBILITY)
    page.clock.install(time=GENERATED_AT + timedelta(minutes=30))
    page.goto(base + "branches.html")
    asked = _health_requests(page)
    page.clock.fast_forward(30_000)
    page.wait_for_timeout(150)
    assert asked == [], "not before a minute"
    page.evaluate("window.__setHidden(true)")
    page.clock.fast_forward(5 * MINUTE_MS)
    page.wait_for_timeout(150)
    assert asked == [], "a hidden tab asks nothing"
    page.evaluate("window.__setHidden(false)")
    _until(page, lambda: asked)  # at once on becoming visible, a minute having passed
    page.wait_for_timeout(150)
    assert len(asked) == 1
    page.evaluate("window.__setHidden(true)")
    page.evaluate("window.__setHidden(false)")
    page.clock.fast_forward(20_000)
    page.wait_for_timeout(150)
    assert len(asked) == 1, "at most once a minute"
    page.clock.fast_forward(45_000)
    _until(page, lambda: len(asked) > 1)
    page.wait_for_timeout(150)
    assert len(asked) == 2
    assert watch.errors == []
    context.close()


def test_from_disk_nothing_is_asked_and_nothing_complains(browser: Any, site_dir: Path) -> None:
    base = site_dir.as_uri() + "/"
    context, page, watch = _open(browser, base)
    asked = _health_requests(page)
    page.clock.install(time=GENERATED_AT + timedelta(minutes=30))
    for path in ("index.html", "radiator.html"):
        page.goto(base + path)
        page.clock.fast_forward(3 * MINUTE_MS)
        page.wait_for_timeout(150)
        assert page.locator("#live").inner_text() == ""
    assert asked == []
    assert watch.errors == [] and watch.outside == []
    context.close()


MARK = "window.__sameDocument = true"


def test_radiator_reloads_itself_once_the_deployment_is_complete(
    browser: Any, deployed: tuple[Path, str]
) -> None:
    out, base = deployed
    context, page, watch = _open(browser, base)
    page.clock.install(time=GENERATED_AT + timedelta(minutes=30))
    page.goto(base + "radiator.html?group=acme/web")
    page.evaluate(MARK)
    old = page.locator("#freshness").get_attribute("data-generated-at")
    # Half-way through a deployment: the new health.json is out, the page is not yet.
    radiator = (out / "radiator.html").read_bytes()
    newer = _deploy(out)
    fresh = (out / "radiator.html").read_bytes()
    (out / "radiator.html").write_bytes(radiator)
    for gz in out.glob("*.gz"):
        gz.unlink()
    with page.expect_response(lambda r: "radiator.html" in r.url and r.request.method == "GET"):
        page.clock.fast_forward(MINUTE_MS + 1000)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__sameDocument") is True, "stays on the old page"
    # Then the page is out but health.json answers 404 for a moment.
    (out / "radiator.html").write_bytes(fresh)
    health = (out / "health.json").read_bytes()
    (out / "health.json").unlink()
    with page.expect_response(lambda r: "health.json" in r.url):
        page.clock.fast_forward(MINUTE_MS + 1000)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__sameDocument") is True, "stays while health.json is missing"
    # Then everything but the script the new page loads: a page that could not reload again.
    (out / "health.json").write_bytes(health)
    script = out / "assets" / "gldash.js"
    code = script.read_bytes()
    script.unlink()
    with page.expect_response(lambda r: "gldash.js" in r.url):
        page.clock.fast_forward(MINUTE_MS + 1000)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__sameDocument") is True, "stays while an asset is missing"
    # Complete: it reloads by itself, with its URL.
    script.write_bytes(code)
    with page.expect_event("load"):
        page.clock.fast_forward(MINUTE_MS + 1000)
    assert page.evaluate("window.__sameDocument") is None
    assert page.locator("#freshness").get_attribute("data-generated-at") == newer != old
    assert page.url.endswith("radiator.html?group=acme/web")
    assert all(e == f"console.error: {NETWORK_404}" for e in watch.errors), watch.errors
    assert watch.dialogs == []
    context.close()


def test_radiator_never_reloads_while_someone_types(
    browser: Any, deployed: tuple[Path, str]
) -> None:
    out, base = deployed
    context, page, watch = _open(browser, base)
    page.clock.install(time=GENERATED_AT + timedelta(minutes=30))
    page.goto(base + "radiator.html")
    page.evaluate(MARK)
    newer = _deploy(out)
    page.click("#wall-q")
    page.keyboard.type("serv")
    with page.expect_response(lambda r: "radiator.html" in r.url and r.request.method == "GET"):
        page.clock.fast_forward(MINUTE_MS + 1000)
    page.locator("#live").get_by_text("when you stop typing").wait_for()
    page.clock.fast_forward(10_000)  # still in the field: still no reload
    page.wait_for_timeout(200)
    assert page.evaluate("window.__sameDocument") is True
    page.keyboard.type("ice")
    page.evaluate("document.activeElement.blur()")
    page.clock.fast_forward(2_000)  # a keystroke a moment ago: still typing
    page.wait_for_timeout(200)
    assert page.evaluate("window.__sameDocument") is True
    with page.expect_event("load"):
        page.clock.fast_forward(6_000)
    assert page.locator("#freshness").get_attribute("data-generated-at") == newer
    assert page.input_value("#wall-q") == "service", "the filter survives the reload"
    assert watch.errors == []
    context.close()


def test_merge_request_filters_survive_the_offered_reload(
    browser: Any, deployed: tuple[Path, str]
) -> None:
    out, base = deployed
    context, page, watch = _open(browser, base)
    page.clock.install(time=GENERATED_AT + timedelta(minutes=30))
    page.goto(base + "merge-requests.html")
    total = page.eval_on_selector_all("#mrs tbody tr", "rs => rs.length")
    page.fill("#mr-q", "acme/web")
    shown = page.eval_on_selector_all("#mrs tbody tr:not([hidden])", "rs => rs.length")
    assert 0 < shown < total
    _deploy(out)
    page.clock.fast_forward(MINUTE_MS + 1000)
    with page.expect_event("load"):
        page.locator("#live button").click()
    assert page.input_value("#mr-q") == "acme/web"
    after = page.eval_on_selector_all("#mrs tbody tr:not([hidden])", "rs => rs.length")
    assert after == shown
    assert watch.errors == []
    context.close()


def test_the_banner_and_the_wall_pass_axe_and_the_nu_checker(
    browser: Any, deployed: tuple[Path, str], tmp_path: Path
) -> None:
    """What the script adds is checked as the browser shows it, in both colour schemes."""
    require(AXE, "axe-core (npm install)")
    out, base = deployed
    context, page, _ = _open(browser, base, bypass_csp=True)
    page.clock.install(time=GENERATED_AT + timedelta(minutes=30))
    page.goto(base + "index.html")
    _deploy(out)
    page.clock.fast_forward(MINUTE_MS + 1000)
    page.locator("#live button").wait_for()
    (tmp_path / "banner.html").write_text(page.content(), encoding="utf-8")
    page.add_script_tag(path=str(AXE))
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
        )
        assert [v["id"] for v in result["violations"]] == [], scheme
    page.goto(base + "radiator.html?group=acme/web")
    (tmp_path / "wall.html").write_text(page.content(), encoding="utf-8")
    context.close()
    require(VNU, "vnu-jar (npm install)")
    java = shutil.which("java")
    require(Path(java or "/usr/bin/java"), "Java")
    files = [str(tmp_path / "banner.html"), str(tmp_path / "wall.html")]
    proc = subprocess.run(
        [java or "java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    messages = json.loads(proc.stderr or proc.stdout or '{"messages": []}')["messages"]
    assert [f"{m.get('lastLine')}: {m.get('message')}" for m in messages] == []
