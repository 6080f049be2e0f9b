"""Fetch under faults, through the CLI: retried to correct data, or exit 1 with one clear line."""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fetch_helpers import comparable, make_config, run_fetch

from gldash_static import snapshot as snapshot_file
from gldash_static.config import Config
from gldash_static.simulator import Faults, OrgSpec, Reply, Simulator
from gldash_static.simulator.server import RequestHook


def write_config(
    sim: Simulator,
    tmp_path: Path,
    extra: str = "",
    concurrency: int | None = None,
    retries: int = 1,
) -> Path:
    # One retry unless a test needs more: what is retried and when the breaker opens is
    # tested, not patience (the CLI's fetch waits up to 0.25 s before a retry, doubling).
    fetch = f"fetch:\n  max_retries: {retries}\n  circuit_breaker: 12\n"
    if concurrency is not None:
        fetch += f"  concurrency: {concurrency}\n"
    make_config(sim, tmp_path, extra + fetch)
    return tmp_path / "config.yml"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def small(tiny_sim: Simulator) -> Simulator:
    """TINY: eight published projects are enough to fail in every way."""
    return tiny_sim


def throttled_now_and_then(every: int) -> tuple[RequestHook, list[str]]:
    """A hook answering every `every`th request with a throttle's 429 whose window has ended.

    GitLab's throttle says when to come back; here it is "now" (Retry-After: 0, a reset
    this second), so the retries cost no real waiting. The routes it answered are listed.
    """
    requests = itertools.count()
    answered: list[str] = []

    def throttle(template: str, path: str, query: list[tuple[str, str]]) -> Reply | None:
        if next(requests) % every != every // 2:
            return None
        answered.append(template)
        headers = {
            "Retry-After": "0",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(int(time.time())),
        }
        return Reply(b"Retry later", status=429, headers=headers, content_type="text/plain")

    return throttle, answered


@pytest.mark.parametrize("graphql", [False, True], ids=["rest", "graphql"])
def test_errors_and_429s_still_give_correct_data(
    monkeypatch: pytest.MonkeyPatch, config_for: Callable[..., Config], graphql: bool
) -> None:
    # Pacing by real rate-limit windows is unit-tested on a fake clock (tests/gitlab); here
    # every retried answer must still end in a clean fetch's data, REST only (many requests
    # to fail) or with GraphQL (whose failures fall back to REST).
    with (
        Simulator(OrgSpec(projects=40, seed=5), faults=Faults(error_rate=0.10, seed=2)) as faulty,
        Simulator(OrgSpec(projects=40, seed=5)) as clean,
    ):
        few = f"fetch:\n  pipelines_per_project: 4\n  graphql: {str(graphql).lower()}\n"
        monkeypatch.setenv("GITLAB_TOKEN", clean.token)
        expected = run_fetch(config_for(clean, few)).snapshot
        monkeypatch.setenv("GITLAB_TOKEN", faulty.token)
        throttle, throttled = throttled_now_and_then(8)
        faulty.on_request(throttle)
        outcome = run_fetch(config_for(faulty, few))
        failed = sum(n for (_, status), n in faulty.counters.items() if status >= 500)
    assert outcome.complete
    fetch = outcome.snapshot["fetch"]
    # Every 429 and every 5xx was asked again, once, and counted as what it was.
    assert fetch["rate_limited"] == len(throttled) > (0 if graphql else 5)
    if not graphql:  # a GraphQL request fails for good after one retry: REST asks again
        assert fetch["retries"] == len(throttled) + failed and failed > 5
    got, want = comparable(outcome.snapshot), comparable(expected)
    for source in (*got["sources"], *want["sources"]):
        source.pop("url")
        for project in source["projects"]:
            for key in ("web_url",):
                project.pop(key)
            if project["red_streak"]:
                project["red_streak"].pop("web_url")
            for item in (*project["pipelines"], *project["merge_requests"]):
                item.pop("web_url")
            for env in project["environments"] or []:
                for key in ("last_success", "last_attempt"):
                    if env[key]:
                        env[key].pop("web_url")
            for deployment in project["deployments"]:
                deployment.pop("web_url")
            for pipeline in project["pipelines"]:
                for job in pipeline["failed_jobs"]:
                    job.pop("web_url")
        for group in source["groups"]:
            group.pop("web_url")
    assert got == want


def test_revoked_token_mid_run_keeps_previous_snapshot(
    small: Simulator, tmp_path: Path, run_cli: Any
) -> None:
    config = write_config(small, tmp_path)
    out = tmp_path / "snapshot.json"
    assert run_cli("fetch", "-c", str(config), "--quiet").code == 0
    before = digest(out)
    small.set_faults(Faults(revoke_after=12))  # counted from now: 12 requests into the run
    small.clock.advance(hours=2)
    result = run_cli("fetch", "-c", str(config), "--full", "--quiet")
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "GITLAB_TOKEN" in errors[0] and "401" in errors[0] and "read_api" in errors[0]
    assert "Traceback" not in result.err
    assert digest(out) == before
    assert small.token not in result.err + result.out


def test_server_down_at_start(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Simulator(OrgSpec(projects=10, seed=1)).start()
    config = write_config(server, tmp_path)
    monkeypatch.setenv("GITLAB_TOKEN", server.token)
    assert run_cli("fetch", "-c", str(config), "--quiet").code == 0
    before = digest(tmp_path / "snapshot.json")
    server.stop()
    result = run_cli("fetch", "-c", str(config), "--quiet")
    assert result.code == 1
    assert "cannot reach" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert digest(tmp_path / "snapshot.json") == before


def test_missing_token_variable(
    small: Simulator, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(small, tmp_path)
    monkeypatch.delenv("GITLAB_TOKEN")
    result = run_cli("fetch", "-c", str(config))
    assert result.code == 1
    assert "GITLAB_TOKEN is not set" in result.err and "read_api" in result.err
    assert not (tmp_path / "snapshot.json").exists()


def test_rejected_token(
    small: Simulator, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(small, tmp_path)
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-not-a-real-token-000")
    result = run_cli("fetch", "-c", str(config))
    assert result.code == 1
    assert "rejected (401 Unauthorized)" in result.err
    assert "glpat-not-a-real-token-000" not in result.err


def test_group_not_found(small: Simulator, tmp_path: Path, run_cli: Any) -> None:
    make_config(small, tmp_path, groups=["no-such-group"])
    result = run_cli("fetch", "-c", str(tmp_path / "config.yml"))
    assert result.code == 1
    assert "group 'no-such-group' not found or not visible" in result.err


# One worker with one retry gives up on six requests, then trips the breaker mid-project;
# sixteen with six retries each have every request in flight, none out of retries, when it
# opens, so each ends as a plain HTTP error. Both must report the breaker, once.
@pytest.mark.parametrize(("concurrency", "retries"), [(1, 1), (16, 6)])
def test_breaker_keeps_previous_data_marked_stale(
    small: Simulator, tmp_path: Path, run_cli: Any, concurrency: int, retries: int
) -> None:
    config = write_config(small, tmp_path, concurrency=concurrency, retries=retries)
    out = tmp_path / "snapshot.json"
    assert run_cli("fetch", "-c", str(config), "--quiet").code == 0
    first = snapshot_file.read(out)
    small.clock.advance(hours=1)
    # Listing works, then every per-project request fails (GraphQL too, so no project can be
    # found unchanged without asking it).
    down = Faults(error_rate=1.0)
    small.set_faults(Faults(routes={"GET /projects/:id/*": down, "POST /api/graphql": down}))
    result = run_cli("fetch", "-c", str(config), "--quiet")
    assert result.code == 1
    assert result.err.count("stopped asking after 12 consecutive failures") == 1
    if concurrency == 16:
        # Every project's request was in flight when the breaker opened: each ended as a
        # plain HTTP 5xx, and none may be reported as a failure of its own.
        assert not re.search(r": HTTP 5\d\d: ", result.err), result.err
    after = snapshot_file.read(out)
    before_ids = {p["id"] for p in first["sources"][0]["projects"]}
    after_projects = after["sources"][0]["projects"]
    assert {p["id"] for p in after_projects} == before_ids  # nothing silently dropped
    stale = [(p["fetched_at"], p["stale"]) for p in after_projects if p["stale"] is not None]
    assert stale and all(mark["since"] == fetched for fetched, mark in stale)
    calls = sum(after["fetch"]["api_calls"].values())
    assert calls < 200  # it stopped asking


def test_ci_progress_has_collapsible_sections(
    small: Simulator, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    config = write_config(small, tmp_path)
    result = run_cli("fetch", "-c", str(config))
    assert result.code == 0
    assert "section_start:" in result.err and "section_end:" in result.err
    assert "projects," in result.err and "API calls" in result.err
    assert result.err.strip().splitlines()[-1].startswith("fetched ")


def fetch_then_break_one(small: Simulator, config: Path, run_cli: Any, index: int) -> Any:
    """A good fetch; then every request about its `index`th project fails. The victim."""
    assert run_cli("fetch", "-c", str(config), "--quiet").code == 0
    victim = snapshot_file.read(config.parent / "snapshot.json")["sources"][0]["projects"][index]
    small.set_faults(Faults(routes={f"/api/v4/projects/{victim['id']}/*": Faults(error_rate=1.0)}))
    return victim


def test_stale_project_is_fetched_afresh_once_gitlab_answers_again(
    small: Simulator, tmp_path: Path, run_cli: Any
) -> None:
    config = write_config(small, tmp_path)
    out = tmp_path / "snapshot.json"
    victim = fetch_then_break_one(small, config, run_cli, 0)
    small.clock.advance(hours=4)
    assert run_cli("fetch", "-c", str(config), "--quiet").code == 1
    stale = {p["id"]: p for p in snapshot_file.read(out)["sources"][0]["projects"]}
    assert stale[victim["id"]]["stale"] is not None
    small.set_faults(Faults())
    small.clock.advance(hours=4)
    assert run_cli("fetch", "-c", str(config), "--quiet").code == 0
    refreshed = snapshot_file.read(out)
    (tmp_path / "full").mkdir()
    full = run_fetch(make_config(small, tmp_path / "full"), full=True).snapshot
    # Changes made while the project was stale are not lost to "updated after last time".
    assert comparable(refreshed) == comparable(full)


def test_full_fetch_keeps_what_it_cannot_refresh_marked_stale(
    small: Simulator, tmp_path: Path, run_cli: Any
) -> None:
    config = write_config(small, tmp_path)
    out = tmp_path / "snapshot.json"
    victim = fetch_then_break_one(small, config, run_cli, 1)
    assert run_cli("fetch", "-c", str(config), "--full", "--quiet").code == 1
    after = {p["id"]: p for p in snapshot_file.read(out)["sources"][0]["projects"]}
    assert after[victim["id"]]["stale"] is not None
    assert after[victim["id"]]["pipelines"] == victim["pipelines"]


def test_failed_group_merge_request_listing_keeps_project_data(
    small: Simulator, tmp_path: Path, run_cli: Any
) -> None:
    config = write_config(small, tmp_path)
    out = tmp_path / "snapshot.json"
    assert run_cli("fetch", "-c", str(config), "--quiet").code == 0
    before = snapshot_file.read(out)
    small.set_faults(Faults(routes={"GET /groups/:id/merge_requests": Faults(error_rate=1.0)}))
    small.clock.advance(hours=2)
    result = run_cli("fetch", "-c", str(config), "--quiet")
    assert result.code == 1
    assert "group merge requests" in result.err and "previous ones kept" in result.err
    after = snapshot_file.read(out)
    mrs_before = {p["id"]: p["merge_requests"] for p in before["sources"][0]["projects"]}
    for project in after["sources"][0]["projects"]:
        assert project["stale"] is None  # pipelines and branches were refreshed
        assert project["merge_requests"] == mrs_before[project["id"]]


def test_breaker_open_while_listing_is_one_clear_line(
    small: Simulator, tmp_path: Path, run_cli: Any
) -> None:
    config = write_config(small, tmp_path)
    small.set_faults(Faults(routes={"GET /groups/:id/descendant_groups": Faults(error_rate=1.0)}))
    result = run_cli("fetch", "-c", str(config), "--quiet")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "snapshot.json").exists()
