"""Archive fixtures: archives in tmp_path, scheduled builds made with the snapshot factory."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from archive_builds import build_snapshot, build_times

from gldash_static.archive import Archive
from gldash_static.config import ArchiveSettings, RetentionSettings
from gldash_static.model import Snapshot


@pytest.fixture(autouse=True)
def _fast_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    # Hundreds of archived builds per test: durability is atomic.py's concern, tested there.
    monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.fixture
def settings(tmp_path: Path) -> ArchiveSettings:
    """Default archive settings with the folder in tmp_path, every build of three days kept."""
    # all_days was 3 when these tests were written around it; the default's own set is
    # test_archive_retention's.
    return ArchiveSettings(
        dir=tmp_path / "archive", carry_forward="none", retention=RetentionSettings(all_days=3)
    )


@pytest.fixture
def archive(settings: ArchiveSettings) -> Archive:
    """An empty archive."""
    return Archive(settings)


@pytest.fixture
def filled() -> Callable[[Archive, int], Iterator[Snapshot]]:
    """Run `days` days of scheduled builds into an archive, yielding each snapshot."""

    def run(archive: Archive, days: int) -> Iterator[Snapshot]:
        for moment in build_times(days):
            snapshot = build_snapshot(moment)
            archive.add(snapshot)
            yield snapshot

    return run
