"""The environments and deployments pages in headless Chromium: their filters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_render_browser import Watch, _open

pytestmark = pytest.mark.browser

VISIBLE = "tbody tr:not([hidden])"


@pytest.fixture
def site(browser: Any, site_url: str) -> Iterator[tuple[Any, Watch, str]]:
    """A fresh page on the session site, watched."""
    context, page, watch = _open(browser, site_url)
    yield page, watch, site_url
    context.close()


def test_environments_filters(site: tuple[Any, Watch, str]) -> None:
    page, watch, base = site
    page.goto(base + "environments.html")
    assert page.locator("#env-filters").is_visible()
    total = page.eval_on_selector_all("#envs tbody tr", "rs => rs.length")
    page.check("#env-flagged")
    flagged = page.eval_on_selector_all(f"#envs {VISIBLE}", "rs => rs.map(r => r.dataset.flag)")
    assert flagged and set(flagged) == {"1"} and len(flagged) < total
    assert f"of {total} projects shown" in page.locator("#env-count").inner_text()
    page.uncheck("#env-flagged")
    page.select_option("#env-group", "acme/web")
    groups = page.eval_on_selector_all(f"#envs {VISIBLE}", "rs => rs.map(r => r.dataset.g)")
    assert groups and set(groups) == {"acme/web"}
    page.select_option("#env-group", "acme")  # a parent group admits its subgroups
    assert page.eval_on_selector_all(f"#envs {VISIBLE}", "rs => rs.length") == total
    page.fill("#env-q", "feature-x")
    texts = page.eval_on_selector_all(f"#envs {VISIBLE}", "rs => rs.map(r => r.innerText)")
    assert texts and all("feature-x" in t for t in texts) and len(texts) < total
    page.click("#env-filters button[type=reset]")
    page.wait_for_timeout(20)
    assert page.eval_on_selector_all(f"#envs {VISIBLE}", "rs => rs.length") == total
    assert watch.errors == [] and watch.outside == []


def test_deployments_filters(site: tuple[Any, Watch, str]) -> None:
    page, watch, base = site
    page.goto(base + "deployments.html")
    total = page.eval_on_selector_all("#deps tbody tr", "rs => rs.length")
    page.select_option("#dep-tier", "staging")
    tiers = page.eval_on_selector_all(f"#deps {VISIBLE}", "rs => rs.map(r => r.dataset.t)")
    assert tiers and set(tiers) == {"staging"} and len(tiers) < total
    page.select_option("#dep-tier", "")
    page.select_option("#dep-status", "failed")
    states = page.eval_on_selector_all(f"#deps {VISIBLE}", "rs => rs.map(r => r.dataset.s)")
    assert states and set(states) == {"failed"}
    page.select_option("#dep-status", "")
    page.select_option("#dep-group", "acme/platform")
    groups = page.eval_on_selector_all(f"#deps {VISIBLE}", "rs => rs.map(r => r.dataset.g)")
    assert groups and set(groups) == {"acme/platform"}
    assert watch.errors == [] and watch.outside == []
