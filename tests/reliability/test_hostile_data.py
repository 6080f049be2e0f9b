"""Hostile GitLab data stays inert: fetched, stored, rendered and opened in Chromium.

Two sites: one built by `gldash build` from a simulator whose project names, descriptions,
topics, group names, commit titles, merge request titles, labels, job names and failure
reasons hold the corpus (so the fetcher meets lone surrogates, NUL and the rest in real
JSON); one rendered from a snapshot with the corpus in every text field and a dangerous
URL in every web_url, plus a Markdown notes page made of the corpus. Every page type of
both is opened in Chromium with a trap: no script of the corpus runs, no dialog opens, no
navigation happens, no Content-Security-Policy violation is reported.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from chromium_support import CHROMIUM, CHROMIUM_ARGS
from factories import make_snapshot
from reliability_corpus import TEXTS, poison, poison_simulator
from reliability_helpers import TOKEN, grant_token, make_workspace, read_snapshot

from gldash_static.cli.main import main
from gldash_static.cli.serve import make_server
from gldash_static.fetch.convert import MAX_TEXT
from gldash_static.model import Snapshot
from gldash_static.simulator import OrgSpec, Simulator

TRAP = """
window.__events = [];
for (const name of ["alert", "confirm", "prompt", "print", "open"]) {
  window[name] = function () { window.__events.push("call:" + name); };
}
document.addEventListener("securitypolicyviolation", (e) => {
  window.__events.push("csp:" + e.violatedDirective + " " + e.blockedURI);
}, true);
"""
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "poster", "srcset", "data"}
SAFE_URL = re.compile(r"^(https?://|[^:]*$|[^:/?#]*[/?#])", re.IGNORECASE)


def in_ci() -> bool:
    """Browser tests must run, not skip, in CI."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Snapshot, list[int]]]:
    """A site built by `gldash build` from a simulator full of hostile text."""
    with Simulator(OrgSpec(projects=20, seed=2, pipelines_per_project=6)) as sim:
        grant_token(sim)
        with sim.state.changing():
            ids = sorted(
                p.id
                for p in sim.state.projects.values()
                if p.visibility != "private" and not p.archived and not p.empty_repo
            )[:4]
        poison_simulator(sim, ids)
        ws = make_workspace(sim, tmp_path_factory.mktemp("hostile-fetch") / "ws")
        err = io.StringIO()
        old = os.environ.get("GITLAB_TOKEN")
        os.environ["GITLAB_TOKEN"] = TOKEN
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(err):
                code = main(["build", "-c", str(ws.config_path), "--quiet"])
        finally:
            if old is None:
                os.environ.pop("GITLAB_TOKEN", None)
            else:
                os.environ["GITLAB_TOKEN"] = old
        assert code == 0, err.getvalue()
        yield ws.site, read_snapshot(ws.snapshot), ids


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site rendered from a snapshot with the corpus everywhere, URLs included."""
    base = tmp_path_factory.mktemp("hostile-render")
    note = base / "hostile.md"
    note.write_text("\n\n".join(t.replace("\ud800", "").replace("\udfff", "") for t in TEXTS))
    snap = poison(make_snapshot(projects=6, seed=3))
    # As JSON text lone surrogates are \\u escapes: a file another tool could have written.
    path = base / "snapshot.json"
    path.write_text(json.dumps(snap, ensure_ascii=True), encoding="ascii")
    config = base / "config.yml"
    title = json.dumps(TEXTS[0])
    config.write_text(
        f"sources:\n  - url: https://gitlab.example.com\n    groups: [acme]\n"
        f"site:\n  title: {title}\n  pages: [hostile.md]\n"
        "archive:\n  enabled: false\n",
        encoding="utf-8",
    )
    out = base / "public"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["render", "-c", str(config), "--snapshot", str(path), "--out", str(out)])
    assert code == 0, err.getvalue()
    return out


def _pages(site: Path, ids: list[int] | None = None) -> list[str]:
    top = sorted(p.name for p in site.glob("*.html"))
    groups = sorted(f"g/{p.name}" for p in site.glob("g/*.html"))
    projects = sorted(f"p/{p.name}" for p in site.glob("p/*.html"))
    if ids is not None:
        projects = [f"p/{i}.html" for i in ids if (site / "p" / f"{i}.html").is_file()]
    return top + groups + projects


def _string_lengths(value: object) -> list[int]:
    if isinstance(value, str):
        return [len(value)]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [n for item in items for n in _string_lengths(item)] or [0]


def _stored_form(text: str) -> str:
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "\u2026"
    return text.replace("\ud800", "\ufffd").replace("\udfff", "\ufffd")


def test_fetched_snapshot_keeps_hostile_text_as_data(
    fetched: tuple[Path, Snapshot, list[int]],
) -> None:
    _, snapshot, ids = fetched
    projects = {p["id"]: p for p in snapshot["sources"][0]["projects"]}
    assert set(ids) <= set(projects)
    stored = {text for pid in ids for text in (projects[pid]["name"], projects[pid]["description"])}
    stored |= {t for pid in ids for t in projects[pid]["topics"]}
    # Kept as data, lone surrogates replaced; text longer than GitLab's own limits is cut.
    expected = {_stored_form(t) for t in TEXTS}
    assert stored <= expected and len(stored) >= 8
    assert max(len(t) for t in TEXTS) > MAX_TEXT  # the corpus does try a long one
    assert max(_string_lengths(snapshot)) <= MAX_TEXT
    everything = json.dumps(snapshot, ensure_ascii=False)
    assert "\\u0000" in everything and "\ufffd" in everything and "\u202e" in everything
    titles = [mr["title"] for pid in ids for mr in projects[pid]["merge_requests"]]
    jobs = [j["name"] for pid in ids for p in projects[pid]["pipelines"] for j in p["failed_jobs"]]
    assert set(titles + jobs) <= expected


class _Attrs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(f"<{tag} {name}>")
            if name in URL_ATTRS and value is not None:
                cleaned = re.sub(r"[\x00-\x20\x7f]", "", value)
                if not SAFE_URL.match(cleaned):
                    self.bad.append(f"<{tag} {name}={value[:60]!r}>")
            if (
                tag in {"script", "iframe", "object", "embed"}
                and name in {"src", "srcdoc"}
                and (tag != "script" or not (value or "").split("?")[0].endswith("gldash.js"))
            ):
                self.bad.append(f"<{tag} {name}={(value or '')[:60]!r}>")


def bad_attributes(site: Path, scanner: type[_Attrs] = _Attrs) -> list[str]:
    """Every handler attribute and dangerous URL `scanner` finds in the site's HTML and SVG."""
    bad: list[str] = []
    for path in sorted(site.rglob("*.html")) + sorted(site.rglob("*.svg")):
        parser = scanner()
        parser.feed(path.read_text(encoding="utf-8"))
        bad += [f"{path.relative_to(site)}: {b}" for b in parser.bad]
    return bad


@pytest.mark.parametrize("which", ["fetched", "poisoned"])
def test_no_handler_or_dangerous_url_in_any_file(
    which: str, request: pytest.FixtureRequest
) -> None:
    value = request.getfixturevalue(which)
    site: Path = value[0] if isinstance(value, tuple) else value
    assert bad_attributes(site) == []


class Chromium:
    """One headless Chromium driven from its own thread.

    Playwright's sync API refuses to start while another instance runs on the same thread
    (as the render tests' browser does, in the same pytest worker); a thread of its own
    keeps the two apart.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, "reliability-chromium")
        self._playwright: Any = None
        self._browser: Any = None
        self._pool.submit(self._start).result()

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )

    def visit(self, site: Path, pages: list[str]) -> list[str]:
        """Open `pages` of `site` in the browser thread; see _visit."""
        return self._pool.submit(_visit, self._browser, site, pages).result()

    def close(self) -> None:
        """Close the browser and its thread."""

        def stop() -> None:
            self._browser.close()
            self._playwright.stop()

        self._pool.submit(stop).result()
        self._pool.shutdown()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    """One headless Chromium for this session's reliability tests."""
    if not CHROMIUM.exists():
        if in_ci():
            pytest.fail(f"Chromium ({CHROMIUM}) is required when CI is set")
        pytest.skip("Chromium not installed")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if in_ci():
            pytest.fail("playwright is required when CI is set")
        pytest.skip("playwright not installed")
    browser = Chromium()
    try:
        yield browser
    finally:
        browser.close()


def _visit(browser: Any, site: Path, pages: list[str]) -> list[str]:
    """Open each page from disk; return everything suspicious that happened."""
    found: list[str] = []
    current = [""]

    def note(event: str) -> None:
        found.append(f"{current[0]}: {event}")

    server = make_server(site, 0)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    context = browser.new_context()

    def route(route: Any) -> None:
        url = route.request.url
        if url.startswith(base):
            route.continue_()
        else:
            note(f"request outside the site: {url[:100]}")
            route.abort()

    context.route("**/*", route)
    context.add_init_script(TRAP)
    page = context.new_page()
    page.on("dialog", lambda d: (note(f"dialog: {d.message[:60]}"), d.dismiss()))
    page.on(
        "console",
        lambda m: (
            note(f"console.{m.type}: {m.text[:160]}") if m.type in {"error", "warning"} else None
        ),
    )
    page.on("pageerror", lambda e: note(f"pageerror: {str(e)[:160]}"))
    page.on(
        "response",
        lambda r: note(f"HTTP {r.status}: {r.url[:160]}") if r.status >= 400 else None,
    )
    page.on("popup", lambda p: note(f"popup: {p.url[:100]}"))
    try:
        for path in pages:
            url = base + path
            current[0] = path
            navigations: list[str] = []

            # Document requests, not framenavigated: a page's own history.replaceState fires
            # framenavigated late; only a navigation to another document requests one.
            def listener(request: Any, seen: list[str] = navigations) -> None:
                if request.is_navigation_request() and request.frame == page.main_frame:
                    seen.append(request.url)

            page.on("request", listener)
            page.goto(url, wait_until="load")
            page.wait_for_timeout(30)
            page.remove_listener("request", listener)
            if navigations != [url]:
                note(f"navigated {navigations}")
            state = page.evaluate("[window.__pwned, window.__events]")
            if state[0] is not None:
                note(f"script ran: {state[0]}")
            for event in state[1]:
                note(event)
    finally:
        context.close()
        server.shutdown()
        server.server_close()
    return found


@pytest.mark.browser
def test_fetched_hostile_site_is_inert_in_chromium(
    chromium: Chromium, fetched: tuple[Path, Snapshot, list[int]]
) -> None:
    site, _, ids = fetched
    pages = _pages(site, ids)
    assert {"index.html", "projects.html", "archive.html", "trends.html"} <= set(pages)
    assert chromium.visit(site, pages) == []


@pytest.mark.browser
def test_poisoned_snapshot_site_is_inert_in_chromium(chromium: Chromium, poisoned: Path) -> None:
    pages = _pages(poisoned)
    assert "notes-hostile.html" in pages and any(p.startswith("g/") for p in pages)
    found = chromium.visit(poisoned, pages)
    # The maintainers' own Markdown may show images from the site: the sanitised
    # `<img src=x onerror=...>` of the corpus becomes a harmless same-origin image request.
    harmless = ("notes-hostile.html: HTTP 404: ", "notes-hostile.html: console.error: Failed to")
    assert [f for f in found if not f.startswith(harmless)] == []


@pytest.mark.browser
def test_trap_reports_a_planted_script(chromium: Chromium, tmp_path: Path) -> None:
    # Control: the trap does see script execution, CSP violations and dialogs.
    (tmp_path / "open.html").write_text(
        "<!doctype html><title>t</title><script>window.__pwned='planted';alert(1)</script>"
    )
    (tmp_path / "csp.html").write_text(
        "<!doctype html><meta http-equiv='Content-Security-Policy' content=\"script-src 'self'\">"
        "<title>t</title><script>window.__pwned='blocked'</script>"
    )
    found = chromium.visit(tmp_path, ["open.html", "csp.html"])
    assert any("open.html: script ran: planted" in f for f in found)
    assert any("open.html: call:alert" in f for f in found)
    assert any(f.startswith("csp.html: csp:script-src") for f in found)
