"""history.json keeps format 1: the rows gldash wrote before stay what it writes now, with
the columns added since (queue times, failures by kind) after them, and old files still read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import make_snapshot

from gldash_static import snapshot as snapshot_file
from gldash_static.archive import history

CONFIG = (
    "sources:\n  - url: https://gitlab.example.com\n    groups: [acme]\n"
    "archive:\n  dir: archive\n  carry_forward: none\n  retention:\n    daily_days: 1\n"
)
# Written by gldash before history rows became named records (commit 30ac98f).
EXPECTED = (
    b'{"format":1,"fields":["pipelines","success","failed","p50","p95","failing"],'
    b'"groups":["acme","acme/payments","acme/platform","acme/web"],'
    b'"projects":["acme/payments/service-00001","acme/platform/service-00000"],"days":['
    b'{"date":"2026-10-01","updated":"2026-10-01T12:00:00Z","total":[2,1,1,226.2,257.8,0],'
    b'"groups":[[0,2,1,1,226.2,257.8,0],[1,1,1,0,226.2,226.2,0],[2,1,0,1,257.8,257.8,0],'
    b'[3,0,0,0,null,null,0]],"projects":[]},'
    b'{"date":"2026-10-02","updated":"2026-10-02T08:00:00Z","total":[2,1,1,128.9,257.8,0],'
    b'"groups":[[0,2,1,1,128.9,257.8,0],[1,1,1,0,128.9,128.9,0],[2,1,0,1,257.8,257.8,0],'
    b'[3,0,0,0,null,null,0]],"projects":[[0,1,1,0,128.9,128.9,0],[1,1,0,1,257.8,257.8,0]]},'
    b'{"date":"2026-10-03","updated":"2026-10-03T04:00:00Z","total":[1,1,0,238.9,238.9,0],'
    b'"groups":[[0,1,1,0,238.9,238.9,0],[1,0,0,0,null,null,0],[2,1,1,0,238.9,238.9,0],'
    b'[3,0,0,0,null,null,0]],"projects":[[1,1,1,0,238.9,238.9,0]]}]}\n'
)


def test_archive_add_writes_history_format_1(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yml").write_text(CONFIG, encoding="utf-8")
    start = datetime(2026, 10, 1, 12, tzinfo=UTC)
    for n in range(3):
        path = tmp_path / f"s{n}.json"
        snapshot_file.write(
            make_snapshot(projects=2, seed=4, now=start + timedelta(hours=20 * n)), path
        )
        result = run_cli("archive", "add", str(path), "-c", "config.yml")
        assert result.code == 0, result.err
    written = json.loads((tmp_path / "archive" / "history.json").read_bytes())
    old = json.loads(EXPECTED)
    assert written["fields"][: len(old["fields"])] == old["fields"]
    assert written["fields"] == history.FIELDS and len(history.FIELDS) == 18
    width = len(old["fields"])
    assert [d["date"] for d in written["days"]] == [d["date"] for d in old["days"]]
    for new, was in zip(written["days"], old["days"], strict=True):
        assert new["total"][:width] == was["total"]
        assert [r[: width + 1] for r in new["groups"]] == was["groups"]
        assert [r[: width + 1] for r in new["projects"]] == was["projects"]
        assert new["total"][width:][2:] and all(
            isinstance(v, int) for v in new["total"][width + 2 : 12]
        )
        # The factory's projects have no environments fetched: delivery figures unknown,
        # left out of the row as trailing nulls are, and read back as unknown.
        assert len(new["total"]) == 12
    again = history.decode((tmp_path / "archive" / "history.json").read_bytes(), "new")
    assert all(d.total[12:] == (None,) * 6 for d in again.days)
    # A file written before the new columns reads, and keeps its rows.
    read = history.decode(EXPECTED, "old")
    assert [list(d.total[:width]) for d in read.days] == [d["total"] for d in old["days"]]
