"""Fixtures for render tests: synthetic and hostile snapshots, rendered sites, a browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium_support import CHROMIUM, CHROMIUM_ARGS
from factories import make_snapshot
from render_support import XSS, hostile_snapshot, in_ci, require, serve

from gldash_static.config.settings import SiteSettings
from gldash_static.model import Snapshot
from gldash_static.render import render_site


@pytest.fixture
def snapshot() -> Snapshot:
    """A small synthetic snapshot (fresh copy per test)."""
    return make_snapshot(projects=12, seed=1)


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site rendered once per session from a small synthetic snapshot, with a notes page."""
    base = tmp_path_factory.mktemp("site")
    note = base / "runbook.md"
    note.write_text(
        "# Runbook\n\nWhat to do when **main** breaks.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "[GitLab](https://gitlab.example.com) <script>alert(1)</script>\n",
        encoding="utf-8",
    )
    snap = make_snapshot(projects=12, seed=1, environments=True)
    # The factory makes no draft or conflicting merge requests; the filters need some.
    first = next(p for p in snap["sources"][0]["projects"] if p["merge_requests"])
    first["merge_requests"][0].update(draft=True, has_conflicts=True)
    out = base / "public"
    render_site(snap, out, SiteSettings(pages=(note,)))
    return out


@pytest.fixture(scope="session")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site rendered from the hostile snapshot."""
    out = tmp_path_factory.mktemp("hostile") / "public"
    render_site(hostile_snapshot(), out, SiteSettings(title=f"Dash {XSS}"))
    return out


@pytest.fixture(scope="session")
def site_url(site_dir: Path) -> Iterator[str]:
    """Base URL of the served session site."""
    yield from serve(site_dir)


@pytest.fixture(scope="session")
def hostile_url(hostile_dir: Path) -> Iterator[str]:
    """Base URL of the served hostile site."""
    yield from serve(hostile_dir)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium per test session (Debian's, through Playwright)."""
    require(CHROMIUM, "Chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if in_ci():
            pytest.fail("playwright is required when CI is set")
        pytest.skip("playwright not installed")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
