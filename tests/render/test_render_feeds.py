"""health.json and metrics.txt."""

from __future__ import annotations

import json
import re
from pathlib import Path

from factories import make_snapshot
from render_support import XSS

from gldash_static.config.settings import SiteSettings
from gldash_static.render import render_site

# OpenMetrics text: metadata lines, samples `name{labels} value`, and a final # EOF.
SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]+="([^"\\\n]|\\["\\n])*",?)*\})? \S+$')
META = re.compile(r"^# (TYPE|HELP|UNIT) [a-zA-Z_:][a-zA-Z0-9_:]* .+$")


def test_health_reports_freshness_errors_and_stale_projects(tmp_path: Path) -> None:
    snap = make_snapshot(projects=4)
    snap["fetch"]["errors"] = ["acme/web/x: 503 Service Unavailable"]
    snap["sources"][0]["projects"][1]["stale"] = {
        "reason": "timeout",
        "since": "2026-11-27T06:00:00Z",
    }
    render_site(snap, tmp_path / "o", SiteSettings(freshness_warning_hours=3))
    health = json.loads((tmp_path / "o" / "health.json").read_text(encoding="utf-8"))
    assert health["generated_at"] == "2026-11-28T06:00:00Z"
    assert health["status"] == "degraded"
    assert health["freshness_warning_hours"] == 3
    assert health["projects"] == 4
    assert health["fetch"]["errors"] == ["acme/web/x: 503 Service Unavailable"]
    assert health["stale_projects"] == [
        {
            "id": 101,
            "path": "acme/payments/service-00001",
            "reason": "timeout",
            "since": "2026-11-27T06:00:00Z",
        }
    ]


def test_health_ok_when_clean(site_dir: Path) -> None:
    health = json.loads((site_dir / "health.json").read_text(encoding="utf-8"))
    assert health["status"] == "ok"
    assert health["stale_projects"] == []


def test_metrics_are_valid_openmetrics_text(site_dir: Path) -> None:
    lines = (site_dir / "metrics.txt").read_text(encoding="utf-8").splitlines()
    assert lines[-1] == "# EOF"
    for line in lines[:-1]:
        assert META.match(line) or SAMPLE.match(line), line
    text = "\n".join(lines)
    assert 'gldash_project_default_branch_info{project="acme/payments/service-00001"' in text
    assert "gldash_snapshot_generated_timestamp_seconds 1795845600" in text
    families = [line.split()[2] for line in lines if line.startswith("# TYPE")]
    assert len(families) == len(set(families))


def test_metrics_escape_hostile_label_values(hostile_dir: Path) -> None:
    lines = (hostile_dir / "metrics.txt").read_text(encoding="utf-8").splitlines()
    for line in lines[:-1]:
        assert META.match(line) or SAMPLE.match(line), line
    assert any(XSS.replace('"', '\\"')[:20] in line for line in lines)
