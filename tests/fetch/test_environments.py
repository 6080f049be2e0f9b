"""Environments and deployments (issue 17) fetched from the simulator: ground truth, costs,
refreshes, privacy and hostile URLs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fetch_helpers import comparable, run_fetch

from gldash_static.config import Config
from gldash_static.fetch.environments import guess_tier
from gldash_static.model import SHORT_SHA, Project, Snapshot
from gldash_static.rules.urls import safe_url
from gldash_static.simulator import Reply, Simulator

DEPLOYMENTS = "GET /projects/:id/deployments"
LISTING = "GET /projects/:id/environments"
ENV_ROUTES = (DEPLOYMENTS, "GET /projects/:id/environments", "GET /projects/:id/environments/:id")
HOSTILE = (
    "javascript:alert(document.cookie)",
    "ftp://files.example.com/",
    'https://x.example.com/"><script>alert(1)</script>',
    "data:text/html,<script>alert(1)</script>",
    " javascript:alert(1)",
    "https://" + "a" * 2100 + ".example.com/",
) * 4
NO_LOOKUPS = "fetch:\n  red_streaks: false\n  test_reports: false\n"


def _projects(snapshot: Snapshot) -> dict[int, Project]:
    return {p["id"]: p for s in snapshot["sources"] for p in s["projects"]}


def _env_calls(snapshot: Snapshot) -> int:
    calls = snapshot["fetch"]["api_calls"]
    return sum(n for route, n in calls.items() if "environments" in route or "deployments" in route)


def _record_deployment_calls(sim: Simulator) -> list[int]:
    """The project ids of every deployments listing from now on."""
    seen: list[int] = []

    def hook(template: str, path: str, query: Any) -> Reply | None:
        if template == DEPLOYMENTS:
            seen.append(int(path.split("/projects/")[1].split("/")[0]))
        return None

    sim.on_request(hook)
    return seen


def _check_against_truth(
    sim: Simulator, record: Project, keep: int = 50, details: bool = True
) -> None:
    """The record's environments and deployments are the simulator's newest, field by field;
    with `details` (the environments listing) every available environment, its tier and state."""
    where = record["path_with_namespace"]
    truth = sim.state.deploy_state(record["id"])
    envs = {e.id: e for e in truth.environments}
    newest = sorted(truth.deployments, key=lambda d: d.id, reverse=True)[:keep]
    assert [d["id"] for d in record["deployments"]] == [d.id for d in newest], where
    for got, want in zip(record["deployments"], newest, strict=True):
        env = envs[want.environment_id]
        assert got["environment"] == env.name, where
        assert (got["status"], got["ref"], got["iid"]) == (want.status, want.ref, want.iid)
        assert got["short_sha"] == want.sha[:SHORT_SHA]
        assert got["username"] == sim.state.users[want.user_id].username
        assert (got["job_id"], got["pipeline_id"]) == (want.job_id, want.pipeline_id), where
        if want.job_id is not None:
            assert got["job_name"] and got["commit_title"] and got["committed_at"], where
            assert got["web_url"] and got["web_url"].startswith("http")
        else:
            assert got["job_name"] is None and got["commit_title"] is None
        assert "@" not in repr(got)  # no e-mail address of the deployable's commit
    named = {d.environment_id for d in newest}
    if details:  # every available one, deployed among the kept or not
        assert sum(e.state == "available" for e in envs.values()) < 100  # one page: complete
        named |= {e.id for e in envs.values() if e.state == "available"}
    assert sorted(e["id"] for e in record["environments"] or []) == sorted(named), where
    for env_record in record["environments"] or []:
        env = envs[env_record["id"]]
        assert env_record["name"] == env.name
        if details:  # GitLab's own tier; stopping or stopped: not available
            assert env_record["tier"] == env.tier, where
            assert env_record["state"] == ("available" if env.state == "available" else "stopped")
        else:
            assert env_record["tier"] == guess_tier(env.name)
            assert env_record["state"] == "unknown"
        assert env_record["external_url"] == safe_url(env.external_url)
        mine = [d for d in record["deployments"] if d["environment"] == env.name]
        success = next((d for d in mine if d["status"] == "success"), None)
        assert env_record["last_success"] == success
        assert env_record["last_attempt"] == (None if not mine or mine[0] is success else mine[0])


def _visible(record: Project) -> bool:
    """Environments the fetch may read and publish."""
    return not ({"environments"} & {*record["withheld"], *record["unavailable"]})


def _on(sim: Simulator, record: Project) -> bool:
    """Environments switched on (GitLab: with CI/CD and a repository), readable, published."""
    access = sim.state.projects[record["id"]].access
    off = any(access.get(f) == "disabled" for f in ("environments", "builds", "repository"))
    return _visible(record) and not off


@pytest.fixture
def first(sim: Simulator, config_for: Callable[..., Config]) -> tuple[Config, Snapshot, list[int]]:
    config = config_for(sim, NO_LOOKUPS)
    asked = _record_deployment_calls(sim)
    snapshot = run_fetch(config).snapshot
    sim.on_request(None)
    return config, snapshot, list(asked)


def test_full_fetch_matches_ground_truth_at_one_call_a_deploying_project(
    sim: Simulator, first: tuple[Config, Snapshot, list[int]]
) -> None:
    _, snapshot, asked = first
    projects = _projects(snapshot)
    deploying = {
        pid
        for pid, record in projects.items()
        if sim.state.deploy_state(pid).environments and _on(sim, record)
    }
    assert len(deploying) >= 10
    # One listing of deployments and one of environments for each project GraphQL saw an
    # environment in, none else.
    assert sorted(asked) == sorted(deploying)
    assert snapshot["fetch"]["api_calls"][DEPLOYMENTS] == len(deploying)
    assert snapshot["fetch"]["api_calls"][LISTING] == len(deploying)
    assert _env_calls(snapshot) == 2 * len(deploying)
    for pid, record in projects.items():
        if pid in deploying:
            _check_against_truth(sim, record)
        else:
            assert record["environments"] == [] and record["deployments"] == []
    envs = [e for pid in deploying for e in projects[pid]["environments"] or []]
    assert {"production", "development"} <= {e["tier"] for e in envs}
    # The organisation shows what only the environments listing says.
    assert any(e["tier"] != guess_tier(e["name"]) for e in envs), "a tier set by a pipeline"
    assert any(e["state"] == "stopped" for e in envs), "a stopped review app"


def test_without_details_one_call_guessed_tiers_unknown_states(
    sim: Simulator, config_for: Callable[..., Config]
) -> None:
    config = config_for(sim, NO_LOOKUPS + "  environment_details: false\n")
    snapshot = run_fetch(config).snapshot
    calls = snapshot["fetch"]["api_calls"]
    assert LISTING not in calls and calls[DEPLOYMENTS] > 10
    records = [p for p in _projects(snapshot).values() if p["deployments"]]
    for record in records:
        _check_against_truth(sim, record, details=False)


def test_past_one_page_of_environments_the_rest_stay_unknown(
    sim: Simulator, config_for: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gldash_static.fetch import environments

    monkeypatch.setattr(environments, "LISTING_PAGE", 1)  # as a project with 101 review apps
    snapshot = run_fetch(config_for(sim, NO_LOOKUPS)).snapshot
    many = [
        p
        for p in _projects(snapshot).values()
        if p["deployments"]
        and sum(e.state == "available" for e in sim.state.deploy_state(p["id"]).environments) > 1
    ]
    assert many
    for record in many:
        states = sorted(e["state"] for e in record["environments"] or [])
        # One available from the page; stopped cannot be told from "past the page".
        assert states.count("available") == 1 and set(states) == {"available", "unknown"}


def test_hostile_external_urls_are_dropped(
    sim: Simulator, config_for: Callable[..., Config]
) -> None:
    deploying = [
        pid for pid in sorted(sim.state.projects) if sim.state.deploy_state(pid).environments
    ]
    for pid, url in zip(deploying, HOSTILE, strict=False):
        sim.state.deploy_state(pid).environments[0].external_url = url
    snapshot = run_fetch(config_for(sim, NO_LOOKUPS)).snapshot
    urls = {
        e["id"]: e["external_url"]
        for p in _projects(snapshot).values()
        for e in p["environments"] or []
    }
    hostile = [
        e
        for pid in _projects(snapshot)
        for e in sim.state.deploy_state(pid).environments
        if e.external_url and safe_url(e.external_url) is None and e.id in urls
    ]
    assert hostile, "the organisation has a hostile URL to drop"
    assert all(urls[e.id] is None for e in hostile)
    assert all(u is None or safe_url(u) == u for u in urls.values())
    assert any(u for u in urls.values())


def test_rest_only_fetch_asks_each_project_with_environments_on(
    sim: Simulator, first: tuple[Config, Snapshot, list[int]], config_for: Callable[..., Config]
) -> None:
    _, graphql, _ = first
    rest = run_fetch(config_for(sim, NO_LOOKUPS + "  graphql: false\n")).snapshot
    assert comparable(rest)["sources"] == comparable(graphql)["sources"]
    on = [p for p in _projects(rest).values() if _on(sim, p) and not p["empty_repo"]]
    # No free sign over REST: one call per project whose environments are on.
    assert (
        rest["fetch"]["api_calls"][DEPLOYMENTS]
        == len(on)
        > len([p for p in on if p["environments"]])
    )


def test_no_change_refresh_asks_nothing_of_environments(
    sim: Simulator, first: tuple[Config, Snapshot, list[int]]
) -> None:
    config, snapshot, _ = first
    again = run_fetch(config, previous=snapshot).snapshot
    assert _env_calls(again) == 0
    assert comparable(again) == comparable(snapshot)


def test_a_new_deployment_an_hour_later_costs_one_call_of_its_project(
    sim: Simulator, first: tuple[Config, Snapshot, list[int]]
) -> None:
    config, snapshot, _ = first
    before = {
        pid: {d.id: (d.status, d.updated_at) for d in sim.state.deploy_state(pid).deployments}
        for pid in _projects(snapshot)
    }
    sim.clock.advance(hours=1)
    moved = {
        pid
        for pid, old in before.items()
        if {d.id: (d.status, d.updated_at) for d in sim.state.deploy_state(pid).deployments} != old
        and _on(sim, _projects(snapshot)[pid])
    }
    asked = _record_deployment_calls(sim)
    again = run_fetch(config, previous=snapshot).snapshot
    projects = _projects(again)
    assert moved, "some project deployed within the hour"
    # Each project asked once at most, only those whose pipelines changed.
    assert len(asked) == len(set(asked)) == again["fetch"]["api_calls"].get(DEPLOYMENTS, 0)
    assert set(asked) < set(projects) and len(asked) < len(projects) // 3
    assert moved <= set(asked) | {
        pid for pid in moved if all(d.job_id is None for d in _new(sim, before[pid], pid))
    }
    for pid in set(asked):
        _check_against_truth(sim, projects[pid])
    for pid in set(projects) - set(asked) - moved:
        old = _projects(snapshot)[pid]
        assert projects[pid]["deployments"] == old["deployments"]
        assert projects[pid]["environments"] == old["environments"]


def _new(sim: Simulator, before: dict[int, Any], pid: int) -> list[Any]:
    return [d for d in sim.state.deploy_state(pid).deployments if d.id not in before]


@pytest.mark.parametrize("route", [DEPLOYMENTS, LISTING])
def test_a_403_marks_environments_unavailable_and_keeps_the_rest(
    sim: Simulator, first: tuple[Config, Snapshot, list[int]], route: str
) -> None:
    config, snapshot, asked = first
    pid = asked[0]
    forbidden = Reply({"message": "403 Forbidden"}, status=403)
    sim.on_request(
        lambda template, path, query: (
            forbidden if template == route and f"/projects/{pid}/" in path else None
        )
    )
    outcome = run_fetch(config)
    record = _projects(outcome.snapshot)[pid]
    assert outcome.complete and record["stale"] is None
    assert "environments" in record["unavailable"]
    assert record["environments"] == [] and record["deployments"] == []
    assert record["pipelines"] == _projects(snapshot)[pid]["pipelines"]


@pytest.mark.parametrize("level", [{"environments": "private"}, {"builds": "private"}])
def test_members_only_environments_are_not_published_nor_asked(
    sim: Simulator,
    first: tuple[Config, Snapshot, list[int]],
    level: dict[str, str],
) -> None:
    config, snapshot, asked = first
    pid = asked[0]
    sim.set_feature_access(pid, **level)
    seen = _record_deployment_calls(sim)
    again = run_fetch(config, previous=snapshot).snapshot
    record = _projects(again)[pid]
    assert "environments" in record["withheld"]
    assert record["environments"] == [] and record["deployments"] == []
    assert pid not in seen


def test_environments_off_costs_nothing(sim: Simulator, config_for: Callable[..., Config]) -> None:
    snapshot = run_fetch(config_for(sim, NO_LOOKUPS + "  environments: false\n")).snapshot
    assert _env_calls(snapshot) == 0
    assert all(p["environments"] is None for p in _projects(snapshot).values())
    assert all(p["deployments"] == [] for p in _projects(snapshot).values())


def test_max_deployments_caps_the_one_call(
    sim: Simulator, config_for: Callable[..., Config]
) -> None:
    config = config_for(sim, NO_LOOKUPS + "  max_deployments: 3\n")
    snapshot = run_fetch(config).snapshot
    records = [p for p in _projects(snapshot).values() if p["deployments"]]
    assert records
    for record in records:
        _check_against_truth(sim, record, keep=3)


def test_a_hostile_environments_listing_keeps_only_what_gitlab_would_send(
    sim: Simulator, first: tuple[Config, Snapshot, list[int]]
) -> None:
    config, _, asked = first
    pid = asked[0]
    hostile = [
        {
            "id": 7,
            "name": "x",
            "tier": "<script>",
            "state": "available",
            "external_url": HOSTILE[0],
        },
        "not an object",
        {"id": None, "name": "no id", "state": "available"},
        {"id": 8, "name": "", "state": "available"},
        {"id": 9, "name": "stopped one", "state": "stopped", "tier": "production"},
    ]
    sim.on_request(
        lambda template, path, query: (
            Reply(hostile) if template == LISTING and f"/projects/{pid}/" in path else None
        )
    )
    record = _projects(run_fetch(config).snapshot)[pid]
    by_name = {e["name"]: e for e in record["environments"] or []}
    assert by_name["x"]["tier"] == "other" and by_name["x"]["external_url"] is None
    assert by_name["x"]["state"] == "available" and by_name["x"]["last_success"] is None
    assert "stopped one" not in by_name and "no id" not in by_name
    # The listing said these are not available: the ones the deployments name are stopped.
    assert {e["state"] for n, e in by_name.items() if n != "x"} == {"stopped"}


def test_an_environments_listing_longer_than_asked_keeps_one_page(
    sim: Simulator, first: tuple[Config, Snapshot, list[int]]
) -> None:
    config, _, asked = first
    pid = asked[0]
    flood = [{"id": n, "name": f"flood-{n:04d}", "state": "available"} for n in range(1, 5001)]
    sim.on_request(
        lambda template, path, query: (
            Reply(flood) if template == LISTING and f"/projects/{pid}/" in path else None
        )
    )
    record = _projects(run_fetch(config).snapshot)[pid]
    envs = record["environments"] or []
    flooded = [e for e in envs if e["name"].startswith("flood-")]
    assert len(flooded) == 100  # one page, whatever the server sent
    # A full page says nothing of the rest: the environments the deployments name stay unknown.
    assert {e["state"] for e in envs if e not in flooded} <= {"unknown"}
    assert any(e not in flooded for e in envs)
