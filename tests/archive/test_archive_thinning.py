"""Archived snapshots past retention.jobs_days keep their pipelines but drop job attempts."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from archive_builds import build_snapshot, build_times

from gldash_static import thinning
from gldash_static.archive import Archive, delta, history, retention
from gldash_static.archive.store import canonical_json, encode_index
from gldash_static.config import ArchiveSettings, RetentionSettings
from gldash_static.errors import ArchiveError
from gldash_static.model import Snapshot

DAYS = 6  # four builds a day


def _archive(tmp_path: Path, jobs_days: int | None, name: str = "a") -> Archive:
    retention_settings = RetentionSettings(all_days=30, jobs_days=jobs_days)
    settings = ArchiveSettings(
        dir=tmp_path / name, carry_forward="none", retention=retention_settings
    )
    return Archive(settings, clock=lambda: datetime(2026, 9, 1, tzinfo=UTC))


def _fill(archive: Archive) -> dict[str, Snapshot]:
    added = {}
    for moment in build_times(DAYS):
        row = archive.add(build_snapshot(moment))
        added[row["time"]] = build_snapshot(moment)
    return added


def _jobs_listed(snapshot: Snapshot) -> int:
    return sum(
        p.get("jobs") is not None
        for s in snapshot["sources"]
        for project in s["projects"]
        for p in project["pipelines"]
    )


def _failed_jobs(snapshot: Snapshot) -> list[object]:
    return [
        job
        for s in snapshot["sources"]
        for project in s["projects"]
        for p in project["pipelines"]
        for job in p["failed_jobs"]
    ]


def _job_lists(value: object) -> int:
    """How many `jobs` lists (job attempts) a JSON value holds anywhere."""
    if isinstance(value, dict):
        here = isinstance(value.get("jobs"), list)
        return here + sum(_job_lists(v) for v in value.values())
    if isinstance(value, list):
        return sum(_job_lists(v) for v in value)
    return 0


def _stored_bytes(archive: Archive) -> int:
    return sum(f.stat().st_size for f in archive.root.rglob("*.json.gz"))


def test_snapshots_older_than_jobs_days_come_back_without_job_attempts_and_nothing_else_lost(
    tmp_path: Path,
) -> None:
    archive = _archive(tmp_path, jobs_days=3)
    added = _fill(archive)
    rows = archive.rows()
    newest = datetime.fromisoformat(rows[-1]["time"])
    for row in rows:
        loaded = archive.load(row, rows)
        original = added[row["time"]]
        old = newest - datetime.fromisoformat(row["time"]) >= timedelta(days=3)
        assert bool(row.get("thinned")) == old, row["time"]
        if old:
            assert _jobs_listed(loaded) == 0
            # Pipelines, failed jobs, branches, merge requests: all there, as they were.
            assert canonical_json(loaded) == canonical_json(thinning.without_jobs(dict(original)))
            assert _failed_jobs(loaded) == _failed_jobs(original) != []
        else:
            assert _jobs_listed(original) > 0
            assert canonical_json(loaded) == canonical_json(original)
    # Newest at day 5, 18:15: days 0 to 2 (up to 18:15, exactly 3 days before) are thinned.
    assert sum(bool(r.get("thinned")) for r in rows) == 4 * (DAYS - 3)


def test_thinning_makes_the_archive_smaller_and_leaves_history_json_as_it_was(
    tmp_path: Path,
) -> None:
    thin, full = _archive(tmp_path, jobs_days=1, name="thin"), _archive(tmp_path, None, "full")
    _fill(thin)
    _fill(full)
    assert not any(r.get("thinned") for r in full.rows())
    assert _stored_bytes(thin) < 0.8 * _stored_bytes(full)
    # The day's job figures (queues, failure kinds) were drawn when each snapshot was added.
    assert history.encode(thin.history()) == history.encode(full.history())


def test_jobs_days_zero_keeps_job_attempts_in_the_newest_snapshot_only(tmp_path: Path) -> None:
    archive = _archive(tmp_path, jobs_days=0)
    added = _fill(archive)
    rows = archive.rows()
    assert [bool(r.get("thinned")) for r in rows] == [True] * (len(rows) - 1) + [False]
    assert canonical_json(archive.load(rows[-1], rows)) == canonical_json(added[rows[-1]["time"]])
    newest = archive.newest()
    assert newest is not None and _jobs_listed(newest) > 0


def test_a_rebuilt_index_marks_snapshots_without_job_attempts_as_thinned(tmp_path: Path) -> None:
    archive = _archive(tmp_path, jobs_days=2)
    _fill(archive)
    before = archive.rows()
    archive.store.index_path.unlink()
    archive.rebuild()
    after = archive.rows()
    assert [r.get("thinned", False) for r in after] == [r.get("thinned", False) for r in before]
    assert [r["sha256"] for r in after] == [r["sha256"] for r in before]


def test_an_index_row_with_a_thinned_flag_that_is_not_true_or_false_is_refused(
    tmp_path: Path,
) -> None:
    archive = _archive(tmp_path, jobs_days=3)
    archive.add(build_snapshot(build_times(1)[0]))
    rows = archive.rows()
    rows[0]["thinned"] = "yes"  # type: ignore[typeddict-item]
    archive.store.index_path.write_bytes(encode_index(rows))
    with pytest.raises(ArchiveError, match="thinned"):
        archive.rows()


def test_without_jobs_copies_what_it_changes_and_passes_odd_shapes_through() -> None:
    snapshot = build_snapshot(build_times(1)[0])
    before = json.dumps(snapshot, sort_keys=True)
    thinned = thinning.without_jobs(dict(snapshot))
    assert json.dumps(snapshot, sort_keys=True) == before  # the original is untouched
    assert not thinning.has_job_attempts(thinned) and thinning.has_job_attempts(dict(snapshot))
    odd = {"sources": [None, {"projects": "x"}, {"projects": [1, {"pipelines": [2, {}]}]}]}
    assert thinning.without_jobs(odd) == odd
    assert thinning.without_jobs({"sources": "nope"}) == {"sources": "nope"}


def test_which_times_lose_job_attempts_is_reckoned_from_the_newest_not_the_clock() -> None:
    t0 = datetime(2026, 8, 1, tzinfo=UTC)
    times = [t0 + timedelta(hours=12 * n) for n in range(8)]  # 3.5 days
    rules = RetentionSettings(jobs_days=2)
    assert retention.without_jobs(times, rules) == set(times[:4])
    assert retention.without_jobs(times, RetentionSettings(jobs_days=None)) == set()
    assert retention.without_jobs(times[-1:], RetentionSettings(jobs_days=0)) == set()
    # A snapshot dated far in the future is not "now": the others keep their job attempts.
    future = [*times, datetime(2100, 1, 1, tzinfo=UTC)]
    assert retention.without_jobs(future, rules, limit=times[-1]) == set(times[:4])


def test_a_thinned_file_holds_no_job_attempts(tmp_path: Path) -> None:
    archive = _archive(tmp_path, jobs_days=0)
    _fill(archive)
    rows = archive.rows()
    newest = json.loads(gzip.decompress((archive.root / rows[-1]["path"]).read_bytes()))
    assert _job_lists(newest) > 0
    for row in rows[:-1]:  # the deltas: none carries a job attempt
        patch = json.loads(gzip.decompress((archive.root / row["path"]).read_bytes()))["patch"]
        assert _job_lists(patch) == 0, row["path"]


def test_a_rebuild_keeps_job_figures_from_history_json_and_without_it_they_are_unknown(
    tmp_path: Path,
) -> None:
    archive = _archive(tmp_path, jobs_days=0)
    _fill(archive)
    written = history.encode(archive.history())
    archive.rebuild()
    assert history.encode(archive.history()) == written
    archive.store.history_path.unlink()
    archive.rebuild()
    days = archive.history().days
    # Only the newest snapshot still has job attempts: earlier days lose their queue times.
    assert [d.total.queue_p50 is not None for d in days] == [False] * (DAYS - 1) + [True]


def test_the_delta_below_the_newest_leaves_its_job_attempts_out(tmp_path: Path) -> None:
    # The newest keeps its job attempts; the snapshot before it has none (jobs_days 0). Its
    # patch applies to the newest without them (chain.patch_base), so it does not spell out
    # `jobs: null` for every pipeline: at 5,000 projects that was 360 KB of a 460 KB delta.
    archive = _archive(tmp_path, jobs_days=0)
    older = build_snapshot(datetime(2026, 8, 30, 6, tzinfo=UTC))
    newer = json.loads(json.dumps(older))
    newer["generated_at"] = "2026-08-30T07:00:00.000Z"
    archive.add(older)
    archive.add(newer)
    rows = archive.rows()
    assert rows[0]["thinned"] and _jobs_listed(newer) > 0
    patch = json.loads(gzip.decompress((archive.root / rows[0]["path"]).read_bytes()))["patch"]
    assert '"jobs"' not in json.dumps(patch)
    assert canonical_json(archive.load(rows[0])) == canonical_json(thinning.without_jobs(older))
    # An archive written before: that delta's patch nulled every job list of the whole
    # newest. It still reads back the same, and `archive rebuild` tells the two kinds apart.
    old_style = delta.diff(dict(newer), thinning.without_jobs(older))
    assert '"jobs"' in json.dumps(old_style)
    (archive.root / rows[0]["path"]).unlink()
    written = archive.store.store_delta(rows[0], rows[1], old_style)
    archive.store.write_index([written, rows[1]])
    assert canonical_json(archive.load(written)) == canonical_json(thinning.without_jobs(older))
    (archive.root / "index.json").unlink()
    assert archive.rebuild() == 2
    assert canonical_json(archive.load(archive.rows()[0])) == canonical_json(
        thinning.without_jobs(older)
    )
