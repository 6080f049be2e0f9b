"""health.json and metrics.txt."""

from __future__ import annotations

import json
import re
from pathlib import Path

from factories import add_deployments, make_snapshot
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


def _deploying_site(tmp_path: Path) -> Path:
    """A site whose every other project deploys to production and staging."""
    snap = add_deployments(make_snapshot(projects=6), seed=3)
    projects = snap["sources"][0]["projects"]
    # one project's environments: an unknown tier guessed from the name, a hostile name
    projects[1]["environments"] = [
        {
            "id": 1,
            "name": 'live-eu"\n',
            "tier": None,
            "state": "available",
            "external_url": None,
            "last_success": None,
            "last_attempt": {**projects[0]["deployments"][0], "status": "failed"},
        },
        {
            "id": 2,
            "name": "review/x",
            "tier": "odd",
            "state": "stopped",
            "external_url": None,
            "last_success": None,
            "last_attempt": None,
        },
    ]
    render_site(snap, tmp_path / "o", SiteSettings())
    return tmp_path / "o"


def test_health_counts_environments_and_production_deployments(tmp_path: Path) -> None:
    site = _deploying_site(tmp_path)
    health = json.loads((site / "health.json").read_text(encoding="utf-8"))
    snap = add_deployments(make_snapshot(projects=6), seed=3)
    with_envs = [p for p in snap["sources"][0]["projects"] if p["environments"]]
    recent = sum(
        1
        for p in with_envs
        for d in p["deployments"]
        if d["environment"] == "production" and d["status"] == "success"
    )  # the factory's deployments all finished in the 24 hours before the snapshot
    failed = sum(
        1
        for p in with_envs
        for e in p["environments"]
        if (e["last_attempt"] or e["last_success"] or {}).get("status") == "failed"
    )
    assert health["environments"] == {
        "projects_with_environments": len(with_envs) + 1,
        "by_tier": {
            "production": len(with_envs) + 1,  # live-eu is production by its name
            "staging": len(with_envs),
            "testing": 0,
            "development": 1,  # review/x: an unknown tier is guessed from the name
            "other": 0,
        },
        "failed_last_deployment": failed + 1,
        "production_deployments_24h": recent,
    }
    assert recent > 0


def test_health_environments_are_zero_without_environments(tmp_path: Path) -> None:
    render_site(make_snapshot(projects=4, seed=2), tmp_path / "o", SiteSettings())
    health = json.loads((tmp_path / "o" / "health.json").read_text(encoding="utf-8"))
    assert health["environments"]["projects_with_environments"] == 0
    assert set(health["environments"]["by_tier"]) == {
        "production",
        "staging",
        "testing",
        "development",
        "other",
    }


def test_metrics_have_environment_series_per_tier_and_per_production_environment(
    tmp_path: Path,
) -> None:
    lines = (_deploying_site(tmp_path) / "metrics.txt").read_text(encoding="utf-8").splitlines()
    assert lines[-1] == "# EOF"
    for line in lines[:-1]:
        assert META.match(line) or SAMPLE.match(line), line
    text = "\n".join(lines)
    assert 'gldash_environments{tier="production"} 4' in text
    assert 'gldash_environments{tier="development"} 1' in text
    assert "gldash_projects_with_environments 4" in text
    assert re.search(r"^gldash_production_deployments_24h [1-9]\d*$", text, re.MULTILINE)
    failing = r'^gldash_environments_failed_last_deployment\{tier="production"\} [1-9]'
    assert re.search(failing, text, re.MULTILINE)
    last = [line for line in lines if line.startswith("gldash_deployments_last_success_")]
    assert last and all('environment="production"' in line for line in last)
    failed = [line for line in lines if line.startswith("gldash_environment_last_deployment_f")]
    # per environment for production only: staging and development have no series
    assert len(failed) == 4 and 'environment="live-eu' in text
    assert 'environment="staging"' not in text and "review/x" not in text
    families = [line.split()[2] for line in lines if line.startswith("# TYPE")]
    assert len(families) == len(set(families))
