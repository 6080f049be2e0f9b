"""The dashboard's domain rules, tested directly: failing, head pipeline, stale, rates, text, URLs.

Render, archive and feeds all call these functions (tests/reliability/test_one_rule.py checks
that they do); here each rule is pinned down by a table of plain records.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gldash_static.rules.facts import (
    STALE_BRANCH_DAYS,
    default_branch_pipelines,
    failing_default,
    head_pipeline,
    is_stale_branch,
    success_rate,
)
from gldash_static.rules.text import clean, has_hidden
from gldash_static.rules.urls import MAX_URL_CHARS, safe_url

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def project(default: str | None, *pipelines: tuple[int, str, str]) -> Any:
    """A project record with pipelines given as (id, ref, status), newest first."""
    return {
        "default_branch": default,
        "pipelines": [{"id": i, "ref": ref, "status": status} for i, ref, status in pipelines],
    }


HEADS = [
    # (why, project, id of the head pipeline or None, failing)
    ("newest decides", project("main", (3, "main", "failed"), (2, "main", "success")), 3, True),
    ("green again", project("main", (3, "main", "success"), (2, "main", "failed")), 3, False),
    (
        "canceled, skipped and manual say nothing",
        project(
            "main",
            (5, "main", "canceled"),
            (4, "main", "skipped"),
            (3, "main", "manual"),
            (2, "main", "failed"),
        ),
        2,
        True,
    ),
    (
        "running does not decide yet",
        project("main", (3, "main", "running"), (2, "main", "success")),
        2,
        False,
    ),
    (
        "other branches do not count",
        project("main", (3, "feature", "failed"), (2, "main", "success")),
        2,
        False,
    ),
    ("no default branch", project(None, (3, "main", "failed")), None, False),
    ("no deciding pipeline", project("main", (3, "main", "canceled")), None, False),
    ("no pipelines", project("main"), None, False),
]


@pytest.mark.parametrize(("why", "record", "head", "failing"), HEADS, ids=[h[0] for h in HEADS])
def test_head_pipeline_and_failing(why: str, record: Any, head: int | None, failing: bool) -> None:
    found = head_pipeline(record)
    assert (found["id"] if found else None) == head, why
    assert failing_default(record) is failing, why


def test_default_branch_pipelines_keep_the_snapshot_order() -> None:
    record = project("main", (9, "main", "failed"), (8, "dev", "success"), (7, "main", "success"))
    assert [p["id"] for p in default_branch_pipelines(record)] == [9, 7]


def branch(days_old: float | None, **flags: bool) -> Any:
    """A branch whose last commit is `days_old` days before NOW (None: unknown date)."""
    committed = None if days_old is None else (NOW - timedelta(days=days_old)).isoformat()
    return {"name": "b", "committed_date": committed, "default": False, "merged": False, **flags}


STALE = [
    ("older than the bound", branch(STALE_BRANCH_DAYS + 1), STALE_BRANCH_DAYS, True),
    ("exactly at the bound is not over it", branch(STALE_BRANCH_DAYS), STALE_BRANCH_DAYS, False),
    ("recent", branch(1), STALE_BRANCH_DAYS, False),
    ("the default branch never is", branch(400, default=True), STALE_BRANCH_DAYS, False),
    ("a merged branch is cleanup, not stale", branch(400, merged=True), STALE_BRANCH_DAYS, False),
    ("an unknown date is not evidence", branch(None), STALE_BRANCH_DAYS, False),
    ("the bound is the setting's", branch(8), 7, True),
]


@pytest.mark.parametrize(("why", "record", "days", "stale"), STALE, ids=[s[0] for s in STALE])
def test_stale_branch(why: str, record: Any, days: int, stale: bool) -> None:
    assert is_stale_branch(record, NOW, days) is stale, why


@pytest.mark.parametrize(
    ("success", "failed", "rate"),
    [(3, 1, 0.75), (0, 0, None), (0, 5, 0.0), (2, 1, 0.6667), (1, 0, 1.0)],
)
def test_success_rate(success: int, failed: int, rate: float | None) -> None:
    assert success_rate(success, failed) == rate


CLEAN = [
    ("None is empty", None, 200, ""),
    ("white space folds", "  a\tb\n\nc  ", 200, "a b c"),
    ("controls go", "a\x00b\x07c\x7fd", 200, "abcd"),
    ("bidi overrides go", "evil\u202egnp.exe", 200, "evilgnp.exe"),
    ("a lone surrogate shows as the replacement character", "a\ud800b", 200, "a\ufffdb"),
    ("long text is cut with an ellipsis", "x" * 10, 5, "xxxx…"),
    ("text at the limit stays whole", "x" * 5, 5, "xxxxx"),
    ("numbers become text", 42, 200, "42"),
]


@pytest.mark.parametrize(("why", "value", "limit", "shown"), CLEAN, ids=[c[0] for c in CLEAN])
def test_clean(why: str, value: object, limit: int, shown: str) -> None:
    assert clean(value, limit) == shown, why
    assert len(clean(value, limit)) <= limit


@pytest.mark.parametrize(
    ("value", "hidden"),
    [("plain", False), ("tab\tis white space", False), ("\u2066isolate", True), ("\ud83d", True)],
)
def test_has_hidden(value: str, hidden: bool) -> None:
    assert has_hidden(value) is hidden


URLS = [
    ("https://gitlab.example.com/g/p", True),
    ("HTTP://gitlab.example.com/", True),
    ("https://gitlab.example.com/p?x=1#frag", True),
    ("javascript:alert(1)", False),
    (" https://gitlab.example.com/", False),
    ("java\tscript:alert(1)", False),
    ("https:\\\\evil.example/", False),
    ("https://", False),
    ("https://:443/", False),
    ("ftp://gitlab.example.com/", False),
    ("/relative/path", False),
    ("https://gitlab.example.com/\u202egnp.exe", False),
    ("https://[::1", False),
    ("https://gitlab.example.com/" + "a" * MAX_URL_CHARS, False),
    (None, False),
    (42, False),
]


@pytest.mark.parametrize(("value", "safe"), URLS)
def test_safe_url(value: object, safe: bool) -> None:
    assert safe_url(value) == (value if safe else None)
