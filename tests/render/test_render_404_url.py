"""The 404 page links to the published site (CI_PAGES_URL) so that it works at any depth."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import make_snapshot

from gldash_static.config import parse_config
from gldash_static.render import render_site

CONFIG = "sources:\n  - url: https://gitlab.example.com\n    groups: [acme]\n"


def build_404(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pages_url: str | None) -> str:
    """Render a small site with CI_PAGES_URL set to `pages_url` and return its 404 page."""
    if pages_url is None:
        monkeypatch.delenv("CI_PAGES_URL", raising=False)
    else:
        monkeypatch.setenv("CI_PAGES_URL", pages_url)
    config = parse_config(CONFIG, tmp_path / "config.yml")
    render_site(make_snapshot(projects=3), tmp_path / "public", config.site)
    return (tmp_path / "public" / "404.html").read_text()


def test_pages_url_makes_the_404_links_absolute(tmp_path: Path, monkeypatch) -> None:
    page = build_404(tmp_path, monkeypatch, "https://acme.gitlab.io/dash")
    assert 'href="https://acme.gitlab.io/dash/index.html"' in page
    assert 'href="https://acme.gitlab.io/dash/assets/favicon.svg"' in page


@pytest.mark.parametrize("pages_url", [None, "", "javascript:alert(1)", "https://"])
def test_without_a_usable_pages_url_the_404_links_stay_relative(
    tmp_path: Path, monkeypatch, pages_url: str | None
) -> None:
    page = build_404(tmp_path, monkeypatch, pages_url)
    assert 'href="index.html"' in page
    assert "javascript" not in page
