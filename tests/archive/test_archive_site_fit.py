"""A build whose site would pass site.max_mb drops the oldest archived snapshots to fit."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from archive_builds import build_snapshot, build_times
from factories import make_snapshot

from gldash_static import pipeline
from gldash_static.archive import Archive
from gldash_static.config import ArchiveSettings, RetentionSettings, parse_config
from gldash_static.config.settings import SiteSettings
from gldash_static.fetch.progress import Quiet
from gldash_static.model import Snapshot
from gldash_static.render.budget import GITLAB_MB

Filled = Callable[[Archive, int], Iterator[Snapshot]]


def _archive(tmp_path: Path) -> Archive:
    return Archive(ArchiveSettings(dir=tmp_path / "archive", retention=RetentionSettings()))


def _published_rows(site: Path) -> list[str]:
    index = json.loads((site / "archive" / "index.json").read_text())
    return [r["time"] for r in index["snapshots"]]


def test_the_oldest_snapshots_go_until_the_site_fits(
    tmp_path: Path, filled: Filled, caplog: pytest.LogCaptureFixture
) -> None:
    archive = _archive(tmp_path)
    snapshots = list(filled(archive, 3))
    rows = archive.rows()
    newest = snapshots[-1]
    whole = pipeline.render_with_archive(newest, SiteSettings(), tmp_path / "whole", archive)
    # A limit the site passes by about the four oldest snapshots' files.
    over = sum(r["size"] for r in rows[:4])
    limit = (whole.bytes - over) / GITLAB_MB
    with caplog.at_level(logging.WARNING):
        fitted = pipeline.render_to_fit(newest, SiteSettings(max_mb=limit), tmp_path / "s", archive)
    assert fitted.bytes <= limit * GITLAB_MB
    kept = archive.rows()
    assert rows[-1] in kept and len(kept) < len(rows) - 4
    assert [r["time"] for r in kept] == [r["time"] for r in rows[len(rows) - len(kept) :]]
    assert _published_rows(tmp_path / "s") == [r["time"] for r in kept]
    text = next(r.getMessage() for r in caplog.records if "dropped the" in r.getMessage())
    assert f"dropped the {len(rows) - len(kept)} oldest archived snapshot(s)" in text
    assert rows[0]["time"] in text and "raise site.max_mb" in text


def test_nothing_is_dropped_when_even_an_empty_archive_would_not_fit(
    tmp_path: Path, filled: Filled, caplog: pytest.LogCaptureFixture
) -> None:
    archive = _archive(tmp_path)
    snapshots = list(filled(archive, 2))
    rows = archive.rows()
    tiny = SiteSettings(max_mb=0.01)  # smaller than the pages alone
    with caplog.at_level(logging.WARNING):
        result = pipeline.render_to_fit(snapshots[-1], tiny, tmp_path / "s", archive)
    assert archive.rows() == rows
    assert _published_rows(tmp_path / "s") == [r["time"] for r in rows]
    assert not [r for r in caplog.records if "dropped the" in r.getMessage()]
    assert any("exceeds site.max_mb" in r.getMessage() for r in caplog.records)
    assert result.bytes > 0.01 * GITLAB_MB


def test_a_site_within_its_limit_keeps_every_snapshot(tmp_path: Path, filled: Filled) -> None:
    archive = _archive(tmp_path)
    snapshots = list(filled(archive, 2))
    rows = archive.rows()
    pipeline.render_to_fit(snapshots[-1], SiteSettings(), tmp_path / "s", archive)
    unlimited = SiteSettings(max_mb=None)
    pipeline.render_to_fit(snapshots[-1], unlimited, tmp_path / "t", archive)
    assert archive.rows() == rows


def test_a_build_fits_its_site(tmp_path: Path, filled: Filled) -> None:
    # The build job itself, publishing a snapshot file into an archive of earlier builds.
    list(filled(_archive(tmp_path), 3))
    last = build_times(4)[-1]
    (tmp_path / "next.json").write_text(json.dumps(build_snapshot(last)))
    text = (
        "sources:\n  - url: https://gitlab.example.com\n    groups: [acme]\n"
        f"archive:\n  dir: {tmp_path / 'archive'}\n  carry_forward: none\n"
        f"site:\n  output_dir: {tmp_path / 'public'}\n  max_mb: {{limit}}\n"
    )
    loose = parse_config(text.format(limit="null"), tmp_path / "config.yml")
    options = pipeline.BuildOptions(
        from_snapshot=tmp_path / "next.json", snapshot_path=tmp_path / "snapshot.json"
    )
    before = pipeline.build(loose, options, Quiet())
    rows = Archive(loose.archive).rows()
    limit = (before.render.bytes - sum(r["size"] for r in rows[:3])) / GITLAB_MB
    tight = parse_config(text.format(limit=limit), tmp_path / "config.yml")
    after = pipeline.build(tight, options, Quiet())
    assert after.render.bytes <= limit * GITLAB_MB
    assert len(Archive(tight.archive).rows()) < len(rows)
    assert Archive(tight.archive).rows()[-1] == rows[-1]


def test_snapshots_dated_in_the_future_are_kept_and_not_counted_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # An earlier runner's wrong clock left a large row dated weeks ahead: retention always
    # keeps it, so fitting must free the room from the others (or from none).
    clock = datetime(2026, 8, 6, 1, tzinfo=UTC)
    archive = Archive(
        ArchiveSettings(dir=tmp_path / "archive", retention=RetentionSettings(max_mb=None)),
        clock=lambda: clock,
    )
    for moment in build_times(3):
        archive.add(build_snapshot(moment))
    archive.add(make_snapshot(projects=40, seed=1, now=datetime(2026, 9, 1, tzinfo=UTC)))
    current = build_snapshot(datetime(2026, 8, 6, 0, 15, tzinfo=UTC))
    archive.add(current)
    rows = archive.rows()
    future = rows[-1]
    assert future["time"].startswith("2026-09-01")
    assert archive.droppable_bytes() == sum(r["size"] for r in rows[:-2])
    whole = pipeline.render_with_archive(current, SiteSettings(), tmp_path / "w", archive)
    limit = (whole.bytes - sum(r["size"] for r in rows[:4])) / GITLAB_MB
    with caplog.at_level(logging.WARNING):
        fitted = pipeline.render_to_fit(
            current, SiteSettings(max_mb=limit), tmp_path / "s", archive
        )
    assert fitted.bytes <= limit * GITLAB_MB
    assert future in archive.rows() and rows[-2] in archive.rows()
    # Fitted at the first try: no word of a deployment Pages would refuse.
    assert not [r for r in caplog.records if "exceeds" in r.getMessage()]
    # Where only the future row and the newest would be left, nothing is dropped at all.
    tiny = SiteSettings(max_mb=(fitted.bytes - archive.droppable_bytes() - 1) / GITLAB_MB)
    kept = archive.rows()
    pipeline.render_to_fit(current, tiny, tmp_path / "t", archive)
    assert archive.rows() == kept
