"""Every display state shows its icon from site.css, hidden from screen readers."""

from __future__ import annotations

import re

from gldash_static import resources
from gldash_static.render.environment import make_environment
from gldash_static.render.records import STATES


def _css() -> str:
    return (resources.assets_dir() / "site.css").read_text(encoding="utf-8")


def test_each_state_has_its_icon_in_the_stylesheet_with_empty_alternative_text() -> None:
    css = _css()
    for key, _, icon in STATES:
        rule = re.search(rf"\.st\.s-{key}::before \{{([^}}]*)\}}", css)
        assert rule, f"no icon rule for {key}"
        assert f'content: "{icon}" / "";' in rule.group(1), key


def test_a_status_is_its_word_in_a_classed_span_and_an_unknown_state_falls_back() -> None:
    from datetime import UTC

    status = make_environment(UTC).filters["status"]
    assert str(status("failed")) == '<span class="st s-failed">failed</span>'
    assert str(status("success", "passed")) == '<span class="st s-success">passed</span>'
    hostile = str(status('x" onmouseover="alert(1)', "<b>odd</b>"))
    assert hostile == '<span class="st s-none">&lt;b&gt;odd&lt;/b&gt;</span>'
