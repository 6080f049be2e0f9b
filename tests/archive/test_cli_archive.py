"""`gldash archive list | add | prune | rebuild` with a real config file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from archive_builds import build_snapshot, build_times

from gldash_static import snapshot as snapshot_io
from gldash_static import thinning

CONFIG = """\
sources:
  - url: https://gitlab.example.com
    groups: [acme]
archive:
  dir: arch
  carry_forward: none
  retention:
    all_days: {all_days}
    daily_days: 0
    weekly_days: 0
    monthly: false
"""


def _config(tmp_path: Path, all_days: int = 7) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(CONFIG.format(all_days=all_days))
    return path


def test_add_then_list(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    config = _config(tmp_path)
    for n, moment in enumerate(build_times(2)):
        file = tmp_path / f"s{n}.json.gz"
        snapshot_io.write(build_snapshot(moment), file)
        result = run_cli("archive", "add", str(file), "-c", str(config))
        assert result.code == 0, result.err
    assert "archived" in result.out and "2026/08/04/181500Z.json.gz" in result.out
    listing = run_cli("archive", "list", "-c", str(config))
    assert listing.code == 0
    lines = listing.out.splitlines()
    assert len(lines) == 9 and lines[0].startswith(
        "2026-08-03T00:15:00Z  2026/08/03/001500Z.delta-"
    )
    assert "2026/08/04/181500Z.json.gz " in lines[-2]  # the newest is kept whole
    assert lines[-1].startswith("8 snapshot(s)")
    assert (tmp_path / "arch" / "index.json").is_file()  # relative to the config file


def test_prune_dry_run_then_prune(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    config = _config(tmp_path)
    for n, moment in enumerate(build_times(3)):
        file = tmp_path / f"s{n}.json"
        snapshot_io.write(build_snapshot(moment), file)
        assert run_cli("archive", "add", str(file), "-c", str(config)).code == 0
    tight = _config(tmp_path, all_days=1)
    dry = run_cli("archive", "prune", "--dry-run", "-c", str(tight))
    assert dry.code == 0 and "would remove 8 file(s); 4 snapshot(s) kept" in dry.out
    assert len(list((tmp_path / "arch").rglob("*.json.gz"))) == 12
    done = run_cli("archive", "prune", "-c", str(tight))
    assert "removed 8 file(s)" in done.out
    assert len(list((tmp_path / "arch").rglob("*.json.gz"))) == 4


def test_errors_are_one_line_with_exit_status(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    config = _config(tmp_path)
    (tmp_path / "arch").mkdir()
    (tmp_path / "arch" / "index.json").write_text("{oops")
    result = run_cli("archive", "list", "-c", str(config))
    assert result.code == 1
    assert result.err.startswith("error: ") and "corrupt archive index" in result.err
    assert "Traceback" not in result.err
    missing = run_cli("archive", "add", str(tmp_path / "nope.json"), "-c", str(config))
    assert missing.code == 1 and "snapshot not found" in missing.err
    assert run_cli("archive").code == 2


def test_rebuild(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    config = _config(tmp_path)
    file = tmp_path / "s.json"
    snapshot_io.write(build_snapshot(build_times(1)[0]), file)
    run_cli("archive", "add", str(file), "-c", str(config))
    (tmp_path / "arch" / "index.json").unlink()
    assert "archive rebuild" in run_cli("archive", "list", "-c", str(config)).err
    result = run_cli("archive", "rebuild", "-c", str(config))
    assert result.code == 0 and "from 1 snapshot(s)" in result.out


def test_export_writes_an_older_snapshot_whole(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    config = _config(tmp_path)
    snapshots = []
    for n, moment in enumerate(build_times(1)):
        file = tmp_path / f"s{n}.json"
        snapshots.append(build_snapshot(moment))
        snapshot_io.write(snapshots[-1], file)
        assert run_cli("archive", "add", str(file), "-c", str(config)).code == 0
    out = tmp_path / "old.json.gz"
    result = run_cli("archive", "export", "2026-08-03T00:15:00Z", "-o", str(out), "-c", str(config))
    assert result.code == 0, result.err
    # Everything but its job attempts, which only the newest keeps (retention.jobs_days: 0).
    assert snapshot_io.read(out) == thinning.without_jobs(dict(snapshots[0]))
    missing = run_cli(
        "archive", "export", "2020-01-01T00:00:00Z", "-o", str(out), "-c", str(config)
    )
    assert missing.code == 2 and "archive list" in missing.err
