"""The archive as a chain: newest whole, older ones deltas; every snapshot comes back exactly."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from archive_builds import build_snapshot

from gldash_static import outdir, thinning
from gldash_static.archive import Archive, history
from gldash_static.archive.store import (
    canonical_json,
    delta_path,
    encode_delta,
    encode_index,
    encode_snapshot,
    row_for,
)
from gldash_static.config import ArchiveSettings, RetentionSettings
from gldash_static.errors import ArchiveError
from gldash_static.model import Snapshot


def _evolve(snapshot: Snapshot, moment: datetime, n: int) -> Snapshot:
    """`snapshot` an hour later: one project gains a pipeline (what hourly builds look like)."""
    later = json.loads(json.dumps(snapshot))
    later["generated_at"] = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    project = later["sources"][0]["projects"][n % len(later["sources"][0]["projects"])]
    project["pipelines"].insert(0, {**project["pipelines"][0], "id": 900000 + n})
    return later


def _hourly(hours: int, start: datetime) -> list[Snapshot]:
    snaps = [build_snapshot(start)]
    for n in range(1, hours):
        snaps.append(_evolve(snaps[-1], start + timedelta(hours=n), n))
    return snaps


def _kept_equal(archive: Archive, added: dict[str, Snapshot]) -> None:
    """Every kept row rebuilds what was added (without job attempts once thinned: which rows
    are is test_archive_thinning.py's concern)."""
    rows = archive.rows()
    for row in rows:
        expected = added[row["time"]]
        if row.get("thinned"):
            expected = cast(Snapshot, thinning.without_jobs(dict(expected)))
        assert canonical_json(archive.load(row, rows)) == canonical_json(expected)


T0 = datetime(2026, 11, 1, 0, 30, tzinfo=UTC)


def test_only_the_newest_is_whole_and_each_older_row_is_a_delta_from_the_next(
    archive: Archive,
) -> None:
    snaps = _hourly(6, T0)
    for snap in snaps:
        archive.add(snap)
    rows = archive.rows()
    assert "base" not in rows[-1] and rows[-1]["path"] == "2026/11/01/053000Z.json.gz"
    assert [r.get("base") for r in rows[:-1]] == [r["time"] for r in rows[1:]]
    assert all(r["size"] < rows[-1]["size"] / 4 for r in rows[:-1])  # a pipeline, not a copy
    _kept_equal(archive, {r["time"]: s for r, s in zip(rows, snaps, strict=True)})
    files = sorted(p.name for p in archive.root.rglob("*.json.gz"))
    assert len(files) == 6  # the whole file the second newest was is gone


def test_pruning_a_middle_snapshot_rewrites_its_older_neighbour_and_loses_nothing_kept(
    tmp_path: Path,
) -> None:
    settings = ArchiveSettings(
        dir=tmp_path / "a", carry_forward="none", retention=RetentionSettings(all_days=1)
    )
    archive = Archive(settings, clock=lambda: T0 + timedelta(days=10))
    added = {}
    for day in range(4):  # four builds a day; beyond a day only the day's last is kept
        for snap in _hourly(4, T0 + timedelta(days=day)):
            row = archive.add(snap)
            added[row["time"]] = snap
    rows = archive.rows()
    assert len(rows) == 3 + 4
    _kept_equal(archive, added)
    listed = {r["path"] for r in rows}
    on_disk = {p.relative_to(archive.root).as_posix() for p in archive.root.rglob("*.json.gz")}
    assert on_disk == listed


def test_prune_after_every_build_gives_the_same_files_as_adding_only_what_is_kept(
    tmp_path: Path,
) -> None:
    # bench/site_budget.py relies on this: it archives only the builds retention keeps.
    snaps = [s for day in range(3) for s in _hourly(5, T0 + timedelta(days=day))]
    rules = RetentionSettings(all_days=1)
    every = Archive(ArchiveSettings(dir=tmp_path / "every", retention=rules), clock=lambda: T0)
    for snap in snaps:
        every.add(snap)
    kept = {r["time"] for r in every.rows()}
    only = Archive(ArchiveSettings(dir=tmp_path / "only", retention=rules), clock=lambda: T0)
    for snap in snaps:
        if row_for(snap, 0)["time"] in kept:
            only.add(snap)
    tree = {p.relative_to(every.root).as_posix(): p.read_bytes() for p in every.root.rglob("*.gz")}
    assert tree == {
        p.relative_to(only.root).as_posix(): p.read_bytes() for p in only.root.rglob("*.gz")
    }


def test_adding_an_older_snapshot_slots_it_into_the_chain(archive: Archive) -> None:
    snaps = _hourly(5, T0)
    for snap in snaps[:2] + snaps[3:]:
        archive.add(snap)
    archive.add(snaps[2])
    rows = archive.rows()
    assert len(rows) == 5 and "base" not in rows[-1]
    _kept_equal(archive, {r["time"]: s for r, s in zip(rows, snaps, strict=True)})


def test_an_archive_of_whole_snapshots_from_format_1_becomes_a_chain_on_the_next_build(
    archive: Archive,
) -> None:
    snaps = _hourly(4, T0)
    archive.root.mkdir(parents=True)
    (archive.root / outdir.MARKER).write_bytes(outdir.marker_bytes("archive"))
    rows = []
    for snap in snaps[:3]:
        data = encode_snapshot(snap)
        row = row_for(snap, len(data))
        (archive.root / row["path"]).parent.mkdir(parents=True, exist_ok=True)
        (archive.root / row["path"]).write_bytes(data)
        rows.append(row)
    (archive.root / "index.json").write_bytes(
        encode_index(rows).replace(b'"format": 2', b'"format": 1')
    )
    (archive.root / "history.json").write_bytes(history.encode(history.History()))
    assert [archive.load(r).get("generated_at") for r in archive.rows()] == [
        s["generated_at"] for s in snaps[:3]
    ]
    archive.add(snaps[3])
    rows = archive.rows()
    assert [("base" in r) for r in rows] == [True, True, True, False]
    _kept_equal(archive, {r["time"]: s for r, s in zip(rows, snaps, strict=True)})


def test_a_corrupt_delta_fails_loading_the_older_snapshots_not_the_newest(
    archive: Archive,
) -> None:
    for snap in _hourly(4, T0):
        archive.add(snap)
    rows = archive.rows()
    (archive.root / rows[1]["path"]).write_bytes(gzip.compress(b'{"gldash_delta": 1}'))
    assert archive.newest() is not None
    assert archive.load(rows[2], rows) is not None
    for row in rows[:2]:
        with pytest.raises(ArchiveError, match="delta"):
            archive.load(row, rows)


def test_a_delta_that_rebuilds_something_else_is_caught_by_its_hash(archive: Archive) -> None:
    snaps = _hourly(3, T0)
    for snap in snaps:
        archive.add(snap)
    rows = archive.rows()
    path = archive.root / rows[0]["path"]
    body = json.loads(gzip.decompress(path.read_bytes()))
    body["patch"] = {"{": {"generator": {"=": "tampered"}}}
    path.write_bytes(gzip.compress(json.dumps(body).encode()))
    with pytest.raises(ArchiveError, match="does not rebuild"):
        archive.load(rows[0], rows)


def test_a_build_interrupted_before_its_index_leaves_the_archive_as_it_was(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    snaps = _hourly(4, T0)
    for snap in snaps[:3]:
        archive.add(snap)
    before = archive.rows()

    def crash(rows: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(archive.store, "write_index", crash)
    with pytest.raises(OSError):
        archive.add(snaps[3])
    monkeypatch.undo()
    assert archive.rows() == before
    _kept_equal(archive, {r["time"]: s for r, s in zip(before, snaps, strict=False)})
    archive.add(snaps[3])  # and the next build goes on from there
    _kept_equal(archive, {r["time"]: s for r, s in zip(archive.rows(), snaps, strict=True)})
    assert archive.prune().orphans == []


def test_rebuild_recovers_the_index_from_whole_and_delta_files(archive: Archive) -> None:
    snaps = _hourly(5, T0)
    for snap in snaps:
        archive.add(snap)
    rows = archive.rows()
    (archive.root / "index.json").unlink()
    # a leftover of an interrupted build: a second delta for one time, from another base
    stray = encode_delta(rows[1]["time"], "2099-01-01T00:00:00Z", "0" * 64, {"{": {}})
    stray_path = archive.root / delta_path(T0 + timedelta(hours=1), stray)
    stray_path.write_bytes(stray)
    assert archive.rebuild() == 5
    assert [(r["path"], r.get("base"), r.get("sha256")) for r in archive.rows()] == [
        (r["path"], r.get("base"), r.get("sha256")) for r in rows
    ]
    _kept_equal(archive, {r["time"]: s for r, s in zip(rows, snaps, strict=True)})
