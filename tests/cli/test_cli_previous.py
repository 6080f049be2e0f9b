"""`fetch` and `build` pick the previous snapshot by one rule, with the same errors and warnings."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from factories import make_snapshot

from gldash_static import pipeline
from gldash_static.archive import Archive
from gldash_static.cli.main import _Prefixed
from gldash_static.config import parse_config
from gldash_static.errors import SnapshotError

CONFIG = "sources:\n  - url: http://127.0.0.1:9\n    groups: [g]\narchive:\n  dir: archive\n"


@pytest.fixture
def dash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("GITLAB_CI", "CI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-not-used-000000")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("command", ["fetch", "build"])
@pytest.mark.parametrize("full", [(), ("--full",)])
def test_a_named_previous_snapshot_must_exist(
    dash: Path, run_cli: Any, command: str, full: tuple[str, ...]
) -> None:
    result = run_cli(command, "--previous", "missing.json", "--quiet", *full)
    assert result.code == 1
    assert result.err.splitlines() == ["error: missing.json: previous snapshot not found"]
    assert sorted(p.name for p in dash.iterdir()) == ["config.yml"]


def test_full_fetch_passes_over_a_corrupt_previous_snapshot(
    dash: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = dash / "snapshot.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(SnapshotError, match="corrupt snapshot"):
        pipeline.previous_snapshot(broken, None, full=False)
    with caplog.at_level(logging.WARNING):
        assert pipeline.previous_snapshot(broken, None, full=True) is None
    [message] = [r.getMessage() for r in caplog.records]
    assert message.endswith("; fetching without it") and "corrupt snapshot" in message


def test_without_a_snapshot_file_a_build_refreshes_the_newest_archived(dash: Path) -> None:
    config = parse_config(CONFIG, dash / "config.yml")
    archive = Archive(config.archive, clock=lambda: datetime(2026, 11, 3, tzinfo=UTC))
    for day in (1, 2):
        archive.add(make_snapshot(projects=2, now=datetime(2026, 11, day, 10, tzinfo=UTC)))
    found = pipeline.previous_snapshot(dash / "snapshot.json", archive, full=False)
    assert found is not None and found["generated_at"].startswith("2026-11-02T10:00")
    # `gldash fetch` passes no archive: it refreshes only the snapshot it names.
    assert pipeline.previous_snapshot(dash / "snapshot.json", None, full=False) is None


def test_log_warnings_get_the_one_prefix() -> None:
    def line(level: int, text: str) -> str:
        return _Prefixed().format(logging.LogRecord("gldash", level, "", 0, text, None, None))

    assert line(logging.INFO, "archive: added x") == "archive: added x"
    assert line(logging.WARNING, "snapshot dated 2100") == "warning: snapshot dated 2100"
    assert line(logging.ERROR, "boom") == "error: boom"
