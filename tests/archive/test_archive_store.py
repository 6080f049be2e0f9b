"""The archive folder: dated files, index.json as the commit point, corrupt input refused."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from archive_builds import build_snapshot, build_times

from gldash_static import snapshot as snapshot_io
from gldash_static import thinning
from gldash_static.archive import Archive
from gldash_static.archive.store import canonical_json
from gldash_static.config import ArchiveSettings, RetentionSettings
from gldash_static.errors import ArchiveError
from gldash_static.model import Snapshot

Filled = Callable[[Archive, int], Iterator[Snapshot]]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_add_stores_a_dated_gzipped_copy_and_an_index_row(archive: Archive) -> None:
    snapshot = build_snapshot(datetime(2026, 11, 28, 6, 15, tzinfo=UTC))
    row = archive.add(snapshot)
    assert row["path"] == "2026/11/28/061500Z.json.gz"
    assert row["time"] == "2026-11-28T06:15:00Z"
    stored = archive.root / row["path"]
    assert stored.read_bytes()[:2] == b"\x1f\x8b"
    assert row["size"] == stored.stat().st_size
    assert snapshot_io.read(stored) == snapshot
    assert row["projects"] == 5 and row["groups"] == 4
    assert row["pipelines"] == sum(len(p["pipelines"]) for p in snapshot["sources"][0]["projects"])
    assert archive.rows() == [row]
    index = json.loads((archive.root / "index.json").read_text())
    assert index == {"format": 2, "snapshots": [row]}
    assert (archive.root / "history.json").is_file()


def test_adding_the_same_snapshot_twice_keeps_one_row(archive: Archive) -> None:
    snapshot = build_snapshot(datetime(2026, 11, 28, 6, 15, tzinfo=UTC))
    archive.add(snapshot)
    before = _tree(archive.root)
    archive.add(snapshot)
    assert len(archive.rows()) == 1
    assert _tree(archive.root) == before  # deterministic bytes, history unchanged


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"format": 1}',
        b'{"format": 99, "snapshots": []}',
        b'{"format": 1, "snapshots": [{"time": "x", "path": "../../etc/passwd"}]}',
        b"\xff\xfe",
    ],
)
def test_corrupt_index_is_a_clear_error_and_nothing_is_overwritten(
    archive: Archive, filled: Filled, body: bytes
) -> None:
    list(filled(archive, 1))
    (archive.root / "index.json").write_bytes(body)
    before = _tree(archive.root)
    with pytest.raises(
        ArchiveError, match=r"index\.json: (corrupt archive index|archive index format)"
    ):
        archive.add(build_snapshot(datetime(2026, 9, 1, tzinfo=UTC)))
    with pytest.raises(ArchiveError):
        archive.prune()
    assert _tree(archive.root) == before


def test_corrupt_history_is_a_clear_error_and_nothing_is_overwritten(
    archive: Archive, filled: Filled
) -> None:
    list(filled(archive, 1))
    bad_day = {"date": "2026-08-03", "total": [1]}
    body = {"format": 1, "groups": [], "projects": [], "days": [bad_day]}
    (archive.root / "history.json").write_text(json.dumps(body))
    before = _tree(archive.root)
    with pytest.raises(ArchiveError, match=r"history\.json: corrupt history"):
        archive.add(build_snapshot(datetime(2026, 9, 1, tzinfo=UTC)))
    assert _tree(archive.root) == before


def test_missing_index_with_archived_files_is_refused_then_rebuilt(
    archive: Archive, filled: Filled
) -> None:
    list(filled(archive, 2))
    rows = archive.rows()
    history = (archive.root / "history.json").read_bytes()
    (archive.root / "index.json").unlink()
    with pytest.raises(ArchiveError, match="archive rebuild"):
        archive.add(build_snapshot(datetime(2026, 9, 1, tzinfo=UTC)))
    assert archive.rebuild() == 8
    assert archive.rows() == rows
    assert (archive.root / "history.json").read_bytes() == history


def test_a_corrupt_archived_snapshot_is_an_archive_error(archive: Archive, filled: Filled) -> None:
    list(filled(archive, 1))
    row = archive.rows()[-1]
    (archive.root / row["path"]).write_bytes(gzip.compress(b"{broken"))
    later = build_snapshot(datetime(2026, 8, 4, 6, 15, tzinfo=UTC))
    with pytest.raises(ArchiveError, match="corrupt snapshot"):
        archive.previous(later)


def test_prune_dry_run_reports_and_keeps_everything(tmp_path: Path, filled: Filled) -> None:
    every = RetentionSettings(all_days=3)
    archive = Archive(ArchiveSettings(dir=tmp_path / "a", carry_forward="none", retention=every))
    list(filled(archive, 3))
    assert len(archive.rows()) == 12
    tight = Archive(
        ArchiveSettings(dir=tmp_path / "a", retention=RetentionSettings(0, 0, 0, False))
    )
    (tmp_path / "a" / "2026/08/01").mkdir(parents=True)
    (tmp_path / "a" / "2026/08/01/000000Z.json.gz").write_bytes(b"leftover")
    before = _tree(tmp_path / "a")
    dry = tight.prune(dry_run=True)
    assert len(dry.removed) == 11 and dry.orphans == ["2026/08/01/000000Z.json.gz"]
    assert _tree(tmp_path / "a") == before
    done = tight.prune()
    assert [r["path"] for r in done.removed] == [r["path"] for r in dry.removed]
    assert tight.store.dated_files() == ["2026/08/05/181500Z.json.gz"]
    assert not (tmp_path / "a" / "2026/08/01").exists()  # emptied day folders go too


def test_previous_and_changes_use_the_archive(archive: Archive, filled: Filled) -> None:
    snapshots = list(filled(archive, 1))
    assert archive.previous(snapshots[0]) is None
    # Older than the newest, it has no job attempts (retention.jobs_days: 0).
    assert archive.previous(snapshots[2]) == thinning.without_jobs(dict(snapshots[1]))
    assert archive.changes(snapshots[3]).previous == "2026-08-03T12:15:00Z"


def test_snapshot_without_a_time_cannot_be_archived(archive: Archive) -> None:
    snapshot = build_snapshot(build_times(1)[0])
    snapshot["generated_at"] = "yesterday"
    with pytest.raises(ArchiveError, match="generated_at"):
        archive.add(snapshot)
    assert not archive.root.exists()


def test_size_budget_drops_the_oldest_and_never_the_newest(tmp_path: Path, filled: Filled) -> None:
    unlimited = Archive(
        ArchiveSettings(dir=tmp_path / "a", retention=RetentionSettings(all_days=3, max_mb=None))
    )
    list(filled(unlimited, 3))
    rows = unlimited.rows()
    assert len(rows) == 12
    budget_bytes = sum(r["size"] for r in rows[-5:])  # room for exactly the newest five
    tight = Archive(
        ArchiveSettings(
            dir=tmp_path / "a", retention=RetentionSettings(max_mb=budget_bytes / 1_000_000)
        )
    )
    result = tight.prune()
    assert [r["path"] for r in result.removed] == [r["path"] for r in rows[:7]]
    assert [r["path"] for r in tight.rows()] == [r["path"] for r in rows[-5:]]
    tiny = Archive(ArchiveSettings(dir=tmp_path / "a", retention=RetentionSettings(max_mb=1e-6)))
    tiny.prune()
    assert [r["path"] for r in tiny.rows()] == [rows[-1]["path"]]


def test_shed_drops_the_oldest_until_enough_bytes_are_gone(tmp_path: Path, filled: Filled) -> None:
    archive = Archive(
        ArchiveSettings(dir=tmp_path / "a", retention=RetentionSettings(all_days=3, max_mb=None))
    )
    snapshots = list(filled(archive, 3))
    rows = archive.rows()
    history = archive.store.history_path.read_bytes()
    wanted = sum(r["size"] for r in rows[:4]) - 1  # one byte short of the oldest four
    dropped = archive.shed(wanted)
    assert [r["path"] for r in dropped] == [r["path"] for r in rows[:4]]
    kept = archive.rows()
    assert [r["time"] for r in kept] == [r["time"] for r in rows[4:]]
    assert sorted(archive.store.dated_files()) == sorted(r["path"] for r in kept)
    # What is left still rebuilds, snapshot by snapshot; the daily history is untouched.
    for row, snapshot in zip(kept, snapshots[4:], strict=True):
        expected = thinning.without_jobs(dict(snapshot)) if row.get("thinned") else snapshot
        assert canonical_json(archive.load(row, kept)) == canonical_json(expected)
    assert archive.store.history_path.read_bytes() == history
    # Never the newest, whatever is asked.
    archive.shed(10**12)
    assert [r["time"] for r in archive.rows()] == [rows[-1]["time"]]
    assert archive.shed(10**12) == [] and archive.shed(0) == []
