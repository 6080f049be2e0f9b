"""`gldash demo` shows the delivery metrics: its simulated days deploy to production."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def test_demo_history_has_deployments_on_several_days(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLDASH_DEMO_TOKEN", "")  # restored afterwards; the demo sets its own
    work = tmp_path / "demo"
    result = run_cli("demo", "--projects", "60", "--days", "3", "--no-serve", "--dir", str(work))
    assert result.code == 0, result.err
    history = json.loads((work / "archive" / "history.json").read_text(encoding="utf-8"))
    deploys = history["fields"].index("deploys")
    days = [d["total"][deploys] for d in history["days"] if len(d["total"]) > deploys]
    assert sum(1 for n in days if n) >= 3, history["days"]
    page = (work / "public" / "trends.html").read_text(encoding="utf-8")
    assert 'id="chart-deploys"' in page and 'id="chart-change_failure"' in page
