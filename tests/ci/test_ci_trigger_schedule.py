"""`gldash trigger` and `gldash schedule` against the simulator's trigger and schedule API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ci_jobs import dashboard_project

from gldash_static.simulator import Faults, OrgSpec, Simulator

Cli = Callable[..., Any]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A small organisation whose project stands in for the dashboard repository."""
    with Simulator(OrgSpec(projects=20, seed=5)) as server:
        yield server


@pytest.fixture
def in_ci(sim: Simulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> int:
    """CI_SERVER_URL and CI_PROJECT_ID as a job sees them; returns the project id."""
    pid = dashboard_project(sim)
    monkeypatch.setenv("CI_SERVER_URL", sim.url)
    monkeypatch.setenv("CI_PROJECT_ID", str(pid))
    monkeypatch.chdir(tmp_path)  # no config.yml here: everything comes from the CI variables
    return pid


def test_trigger_starts_a_pipeline_with_variables(
    sim: Simulator, in_ci: int, run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = sim.create_trigger(in_ci)
    monkeypatch.setenv("GLDASH_TRIGGER_TOKEN", token)
    before = len(sim.state.pipelines(in_ci))
    result = run_cli("trigger", "--full", "--var", "REASON=manual refresh")
    assert result.code == 0, result.err
    newest = sim.state.pipelines(in_ci)[-1]
    assert len(sim.state.pipelines(in_ci)) == before + 1
    assert newest.source == "trigger" and newest.ref == "main"
    assert newest.variables == {"GLDASH_FULL": "1", "REASON": "manual refresh"}
    assert result.out.strip().endswith(f"/-/pipelines/{newest.id}")
    assert token not in result.out + result.err


def test_trigger_by_path_with_explicit_options(
    sim: Simulator, run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = dashboard_project(sim)
    monkeypatch.setenv("MY_TRIGGER", sim.create_trigger(pid))
    path = sim.state.projects[pid].path_with_namespace
    result = run_cli(
        "trigger", "--url", sim.url, "--project", path, "--ref", "main", "--token-env", "MY_TRIGGER"
    )
    assert result.code == 0, result.err
    assert "/-/pipelines/" in result.out


def test_bad_trigger_token_is_one_clear_line(
    in_ci: int, run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLDASH_TRIGGER_TOKEN", "glptt-not-a-real-token")
    result = run_cli("trigger")
    assert result.code == 1
    assert result.err.count("\n") == 1 and "refused the trigger token" in result.err
    assert "glptt-not-a-real-token" not in result.err
    assert "Traceback" not in result.err


def test_missing_trigger_token_or_project_is_a_usage_error(
    sim: Simulator, run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_cli("trigger", "--url", sim.url, "--project", "1")
    assert result.code == 2 and "GLDASH_TRIGGER_TOKEN is not set" in result.err
    monkeypatch.setenv("GLDASH_TRIGGER_TOKEN", "x")
    result = run_cli("trigger", "--url", sim.url)
    assert result.code == 2 and "--project" in result.err
    assert run_cli("trigger", "--url", sim.url, "--project", "1", "--var", "novalue").code == 2


def test_schedule_creates_then_updates_then_leaves_alone(
    sim: Simulator, in_ci: int, run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", sim.token)
    created = run_cli("schedule")
    assert created.code == 0, created.err
    assert " created: " in created.out and "'0 * * * *' (UTC) on main" in created.out
    [schedule] = sim.state.detail(in_ci).schedules
    assert (schedule.cron, schedule.cron_timezone, schedule.ref) == ("0 * * * *", "UTC", "main")

    updated = run_cli("schedule", "--cron", "15 6 * * *", "--timezone", "Europe/Berlin")
    assert updated.code == 0 and " updated: " in updated.out
    assert f"schedule {schedule.id} " in updated.out
    [same] = sim.state.detail(in_ci).schedules
    assert (same.cron, same.cron_timezone) == ("15 6 * * *", "Europe/Berlin")

    again = run_cli("schedule", "--cron", "15 6 * * *", "--timezone", "Europe/Berlin")
    assert again.code == 0 and " unchanged: " in again.out
    other = run_cli("schedule", "--description", "nightly full refetch", "--cron", "0 3 * * *")
    assert other.code == 0 and " created: " in other.out
    assert len(sim.state.detail(in_ci).schedules) == 2


def test_schedule_errors_name_the_api_scope(
    sim: Simulator, in_ci: int, run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_cli("schedule")
    assert result.code == 2 and "`api` scope" in result.err
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-wrong-value")
    result = run_cli("schedule")
    assert result.code == 1 and "refused the token (401)" in result.err
    assert "glpat-wrong-value" not in result.err
    assert run_cli("schedule", "--cron", "hourly").code == 2


def test_forbidden_schedule_names_the_api_scope(
    sim: Simulator, in_ci: int, run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GitLab answers a read_api token's write with 403 insufficient_scope.
    monkeypatch.setenv("GITLAB_TOKEN", sim.token)
    forbidden = Faults(error_rate=1.0, error_statuses=(403,))
    sim.set_faults(Faults(routes={"POST /projects/:id/pipeline_schedules": forbidden}))
    result = run_cli("schedule")
    assert result.code == 1
    assert "(403)" in result.err and "`api` scope" in result.err and "Developer" in result.err
