"""The site's size by part, and the warning before GitLab Pages would refuse a deployment."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from factories import make_snapshot

from gldash_static.config.settings import SiteSettings
from gldash_static.render import render_site
from gldash_static.render.budget import (
    GITLAB_MB,
    MAX_FILES,
    MB,
    Part,
    archive_excess,
    describe,
    parts,
    warning,
)


def test_parts_group_by_top_level_entry_largest_first() -> None:
    found = parts([("p/1.html", 300), ("p/2.html", 200), ("index.html", 400), ("a/x.js", 10)])
    assert found == [Part("p/", 500, 2), Part("index.html", 400, 1), Part("a/", 10, 1)]
    assert describe(found, 2) == "p/ 0.0 MB in 2 files, index.html 0.0 MB"


@pytest.mark.parametrize(
    ("total", "files", "limit", "expected"),
    [
        (79 * GITLAB_MB, 10, 100.0, None),
        (81 * GITLAB_MB, 10, 100.0, "84.9 MB is near site.max_mb (100 MB as GitLab counts"),
        # GitLab's 100 MB is 104,857,600 bytes: a site of 101 million bytes still deploys.
        (101 * MB, 10, 100.0, "101.0 MB is near site.max_mb"),
        (
            101 * GITLAB_MB,
            10,
            100.0,
            "105.9 MB exceeds site.max_mb (100 MB as GitLab counts them: 104.9 MB)",
        ),
        (500 * MB, 10, None, None),
        (1 * MB, MAX_FILES + 1, None, "200,001 files exceeds GitLab Pages' 200,000-file limit"),
    ],
)
def test_warning_starts_at_80_percent_of_a_limit(
    total: int, files: int, limit: float | None, expected: str | None
) -> None:
    found = [Part("p/", total, files)]
    text = warning(total, files, found, limit)
    if expected is None:
        assert text is None
    else:
        assert text is not None and expected in text and "largest: p/" in text


def test_render_reports_its_parts_and_warns_naming_the_largest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    snapshot = make_snapshot(projects=40)
    with caplog.at_level(logging.WARNING):
        quiet = render_site(snapshot, tmp_path / "a", SiteSettings())
    assert not [r for r in caplog.records if "site.max_mb" in r.getMessage()]
    assert sum(p.bytes for p in quiet.parts) == quiet.bytes
    assert sum(p.files for p in quiet.parts) == quiet.files
    tight = quiet.bytes / GITLAB_MB / 0.9  # the site is 90 % of this limit
    with caplog.at_level(logging.WARNING):
        render_site(snapshot, tmp_path / "b", SiteSettings(max_mb=tight))
    text = next(r.getMessage() for r in caplog.records if "site.max_mb" in r.getMessage())
    assert "is near" in text and f"largest: {quiet.parts[0].name}" in text


@pytest.mark.parametrize(
    ("total", "droppable", "limit", "expected"),
    [
        (104 * MB, 50 * MB, 100.0, 0),  # fits: GitLab's 100 MB are 104.9 million bytes
        (120 * GITLAB_MB, 50 * GITLAB_MB, None, 0),  # no limit set: nothing to fit
        (120 * GITLAB_MB, 0, 100.0, 0),  # nothing the archive could give up
        (160 * GITLAB_MB, 50 * GITLAB_MB, 100.0, 0),  # even without the archive: keep it
        (120 * GITLAB_MB, 50 * GITLAB_MB, 100.0, 25 * GITLAB_MB),  # back to 95 %, room to grow
        (101 * GITLAB_MB, 3 * GITLAB_MB, 100.0, 3 * GITLAB_MB),  # all it has is enough
    ],
)
def test_archive_excess_frees_room_only_when_that_makes_the_site_fit(
    total: int, droppable: int, limit: float | None, expected: int
) -> None:
    assert archive_excess(total, droppable, limit) == expected


def test_a_limit_near_the_largest_float_is_no_limit_at_all() -> None:
    # 1e308 MB overflows to infinity in bytes: nothing to warn of or drop, and no crash.
    huge = 1e308
    assert warning(500 * MB, 10, [Part("p/", 500 * MB, 10)], huge) is None
    assert archive_excess(500 * MB, 50 * MB, huge) == 0
