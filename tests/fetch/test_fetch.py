"""Fetching from the simulator through python-gitlab: full, incremental, shards, events.

The ground-truth tests fetch a BIG organisation (once for all that only read it) with
GitLab's own GraphQL batch; the others a SMALL one, asking GraphQL in smaller batches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fetch_helpers import (
    BIG,
    BIG_FETCH,
    GRAPHQL_BATCH,
    SCHEMA,
    SELECTION_ONLY,
    SMALL,
    comparable,
    left_as_found,
    make_config,
    run_fetch,
    second,
)

from gldash_static.config import Config
from gldash_static.fetch.changes import BATCH, Answer, unchanged
from gldash_static.fetch.event import parse_event
from gldash_static.fetch.merge import merge_snapshots
from gldash_static.model import Project, Snapshot
from gldash_static.simulator import Faults, OrgSpec, Simulator
from gldash_static.simulator.serialize import ts

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def expected_projects(sim: Simulator, visibilities: tuple[str, ...]) -> dict[int, Any]:
    """Ground truth: projects under the top groups the config names, filtered as documented."""
    state = sim.state
    return {
        p.id: p
        for p in state.projects.values()
        if p.namespace_kind == "group" and p.visibility in visibilities and not p.archived
    }


def expected_pipeline_ids(sim: Simulator, project: Any, keep: int) -> list[int]:
    """The latest `keep` default-branch pipelines plus each other ref's latest in that window."""
    newest_first = sorted(sim.state.pipelines(project.id), key=lambda p: -p.id)
    defaults = [p for p in newest_first if p.ref == project.default_branch][:keep]
    start = (
        defaults[-1].id if len(defaults) == keep else min((p.id for p in newest_first), default=0)
    )
    others: dict[str, int] = {}
    for p in newest_first:
        if p.ref != project.default_branch and p.id >= start:
            others.setdefault(p.ref, p.id)
    return sorted({*(p.id for p in defaults), *others.values()}, reverse=True)


def check_against_ground_truth(sim: Simulator, snapshot: Snapshot, keep: int) -> None:
    """Every published field equals what the simulator holds."""
    state = sim.state
    (source,) = snapshot["sources"]
    expected = expected_projects(sim, ("public", "internal"))
    got = {p["id"]: p for p in source["projects"]}
    assert set(got) == set(expected)
    for pid, record in got.items():
        truth = expected[pid]
        assert record["path_with_namespace"] == truth.path_with_namespace
        assert record["name"] == truth.name
        assert record["namespace"] == truth.path_with_namespace.rpartition("/")[0]
        assert record["visibility"] == truth.visibility
        assert record["default_branch"] == truth.default_branch
        assert record["topics"] == sorted(truth.topics)
        assert record["last_activity_at"] == ts(truth.last_activity_at)
        assert record["empty_repo"] == truth.empty_repo
        assert record["star_count"] == truth.star_count
        assert record["forks_count"] == truth.forks_count
        assert record["description"] == (truth.description or None)
        assert [p["id"] for p in record["pipelines"]] == expected_pipeline_ids(sim, truth, keep)
        for pipeline in record["pipelines"]:
            live = state.pipeline(pid, pipeline["id"])
            assert live is not None
            assert pipeline["status"] == live.status
            assert pipeline["ref"] == live.ref and pipeline["short_sha"] == live.sha[:8]
            assert pipeline["updated_at"] == second(live.updated_at)
            assert pipeline["started_at"] == second(live.started_at)
            assert pipeline["finished_at"] == second(live.finished_at)
            assert pipeline["duration"] == (None if live.duration is None else float(live.duration))
            assert pipeline["source"] == live.source
            failed = (
                [j.id for j in state.jobs(pid, live.id) if j.status == "failed"]
                if live.status == "failed"
                else []
            )
            assert [j["id"] for j in pipeline["failed_jobs"]] == sorted(failed)
        if not truth.empty_repo:
            assert [b["name"] for b in record["branches"]] == sorted(
                b.name for b in state.branches(pid)
            )
        opened = sorted(m.iid for m in state.merge_requests(pid) if m.state == "opened")
        assert [m["iid"] for m in record["merge_requests"]] == opened


@dataclass(frozen=True)
class Fetched:
    """An organisation, its config and a full fetch of it."""

    sim: Simulator
    config: Config
    snapshot: Snapshot
    complete: bool


@pytest.fixture(scope="module")
def _big_fetched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fetched]:
    with Simulator(BIG) as server:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("GITLAB_TOKEN", server.token)
            config = make_config(server, tmp_path_factory.mktemp("big"), BIG_FETCH)
            outcome = run_fetch(config, graphql_batch=BATCH)
        yield Fetched(server, config, outcome.snapshot, outcome.complete)


@pytest.fixture
def big(_big_fetched: Fetched, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fetched]:
    """BIG and a full fetch of it, shared by the tests that only read the organisation."""
    monkeypatch.setenv("GITLAB_TOKEN", _big_fetched.sim.token)
    with left_as_found(_big_fetched.sim):
        yield _big_fetched


def test_full_fetch_matches_ground_truth_and_schema(big: Fetched) -> None:
    assert big.complete
    jsonschema.validate(big.snapshot, SCHEMA)
    check_against_ground_truth(big.sim, big.snapshot, big.config.fetch.pipelines_per_project)
    projects = big.snapshot["sources"][0]["projects"]
    assert len(projects) > 100
    assert any(p["pipelines"] and p["pipelines"][0]["failed_jobs"] for p in projects)
    assert any(p["merge_requests"] for p in projects)
    assert big.snapshot["fetch"]["api_calls"]["GET /version"] == 1


def test_full_fetch_through_graphql_equals_rest_at_two_calls_a_project(
    big: Fetched, tmp_path: Path
) -> None:
    # The ground truth above was fetched with GraphQL (the default); REST alone must agree.
    rest_config = make_config(big.sim, tmp_path, BIG_FETCH + "  graphql: false\n")
    rest = run_fetch(rest_config, graphql_batch=BATCH).snapshot
    assert comparable(rest) == comparable(big.snapshot)
    projects = len(big.snapshot["sources"][0]["projects"])
    graphql_calls = big.snapshot["fetch"]["api_calls"]
    assert "GET /projects/:id/pipelines/:pipeline_id" not in graphql_calls
    # Environments and deployments come on top of the two calls a project (issue 17).
    environments = sum(
        n for r, n in graphql_calls.items() if "/environments" in r or "/deploy" in r
    )
    assert sum(graphql_calls.values()) - environments <= 2 * projects
    assert sum(graphql_calls.values()) * 5 < sum(rest["fetch"]["api_calls"].values())


def test_incremental_after_changes_equals_full_with_fewer_calls(
    big_sim: Simulator, config_for: Callable[..., Config]
) -> None:
    config = config_for(big_sim, BIG_FETCH)
    first = run_fetch(config, graphql_batch=BATCH).snapshot
    big_sim.clock.advance(hours=6)
    some = sorted(first["sources"][0]["projects"], key=lambda p: p["id"])
    big_sim.delete_project(some[0]["id"])
    big_sim.rename_project(
        some[1]["id"], some[1]["path_with_namespace"].split("/")[-1] + "-renamed"
    )
    incremental = run_fetch(config, previous=first, graphql_batch=BATCH)
    full = run_fetch(config, full=True, graphql_batch=BATCH)
    assert incremental.snapshot["fetch"]["mode"] == "incremental"
    assert comparable(incremental.snapshot) == comparable(full.snapshot)
    check_against_ground_truth(big_sim, incremental.snapshot, config.fetch.pipelines_per_project)
    inc_calls = sum(incremental.snapshot["fetch"]["api_calls"].values())
    full_calls = sum(full.snapshot["fetch"]["api_calls"].values())
    # GraphQL lists a full fetch's pipelines 100 projects a request, so what remains is
    # mostly one branch listing a project; a refresh reads the branches of pushed ones only.
    assert inc_calls < full_calls * 0.6, (inc_calls, full_calls)
    for fetched in (incremental, full):
        calls = fetched.snapshot["fetch"]["api_calls"]
        assert "GET /projects/:id/pipelines/:pipeline_id" not in calls  # GraphQL answered
        # Listings only to find where a red streak began: two for a new streak, none after.
        red = sum(1 for p in fetched.snapshot["sources"][0]["projects"] if p["red_streak"])
        assert calls.get("GET /projects/:id/pipelines", 0) <= 2 * red
    inc_listings = incremental.snapshot["fetch"]["api_calls"].get("GET /projects/:id/pipelines", 0)
    assert inc_listings <= 2  # the renamed project's streak, if it has one, is asked again
    print(f"500-project org, 6 h later: incremental {inc_calls} calls, full {full_calls} calls")
    by_id = {p["id"]: p for p in incremental.snapshot["sources"][0]["projects"]}
    assert some[0]["id"] not in by_id
    assert by_id[some[1]["id"]]["path_with_namespace"].endswith("-renamed")


def moment(stamp: str | None) -> datetime:
    """A snapshot timestamp as a datetime."""
    assert stamp is not None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def unfinished_pipelines(snapshot: Snapshot, ids: set[int] | None = None) -> int:
    """Pipelines a refresh must read again (of the projects `ids`): they can still change."""
    return sum(
        1
        for p in snapshot["sources"][0]["projects"]
        if ids is None or p["id"] in ids
        for pl in p["pipelines"]
        if pl["status"] not in ("success", "failed", "canceled", "skipped")
    )


def test_no_change_refresh_asks_graphql_which_projects_changed(big: Fetched) -> None:
    first = big.snapshot
    again = run_fetch(big.config, previous=first, graphql_batch=BATCH).snapshot
    assert comparable(again) == comparable(first)
    calls = again["fetch"]["api_calls"]
    projects = first["sources"][0]["projects"]
    # One GraphQL request per 100 projects replaces one REST query per project; the projects
    # with a pipeline updated inside the safety margin are listed again, 100 a request too.
    since = moment(first["sources"][0]["watermark"]) - timedelta(seconds=600)
    recent = [p for p in projects if any(moment(pl["updated_at"]) > since for pl in p["pipelines"])]
    assert 0 < len(recent) < len(projects) // 10
    probes = -(-len(projects) // BATCH)
    assert calls["POST /api/graphql"] == probes + -(-len(recent) // BATCH) and probes > 1
    assert "GET /projects/:id/pipelines" not in calls
    # Unchanged projects keep their pipelines; only their unfinished ones are read again.
    unchanged_ids = {p["id"] for p in projects} - {p["id"] for p in recent}
    assert calls.get("GET /projects/:id/pipelines/:pipeline_id", 0) == unfinished_pipelines(
        first, unchanged_ids
    )
    assert "GET /projects/:id/repository/branches" not in calls


def test_no_change_refresh_over_rest_only(
    sim: Simulator, config_for: Callable[..., Config]
) -> None:
    config = config_for(sim, "fetch:\n  graphql: false\n")
    first = run_fetch(config).snapshot
    again = run_fetch(config, previous=first).snapshot
    assert comparable(again) == comparable(first)
    calls = again["fetch"]["api_calls"]
    with_commits = sum(1 for p in first["sources"][0]["projects"] if not p["empty_repo"])
    assert with_commits < len(first["sources"][0]["projects"])  # the org has empty repos
    # Nothing finished is fetched twice: no pipeline details, jobs or branches at all, one
    # "what changed" pipeline query per project with commits, and the fixed listing calls.
    assert "POST /api/graphql" not in calls
    assert calls["GET /projects/:id/pipelines"] == with_commits
    assert calls.get("GET /projects/:id/pipelines/:pipeline_id", 0) == unfinished_pipelines(first)
    assert "GET /projects/:id/repository/branches" not in calls


@dataclass(frozen=True)
class Later:
    """A fetch, then a full fetch of the state two hours later: what a refresh must equal."""

    sim: Simulator
    config: Config
    first: Snapshot
    later: Snapshot

    def asked(self) -> int:
        """Projects a refresh asks GraphQL about: those with commits."""
        return sum(1 for p in self.first["sources"][0]["projects"] if not p["empty_repo"])


@pytest.fixture(scope="module")
def _two_hours_later(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Later]:
    with Simulator(SMALL) as server:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("GITLAB_TOKEN", server.token)
            # Default retries and a breaker lower than the probe's attempts: GraphQL failing
            # must neither trip the fetch's breaker nor lose anything.
            config = make_config(
                server, tmp_path_factory.mktemp("later"), "fetch:\n  circuit_breaker: 4\n"
            )
            first = run_fetch(config).snapshot
            server.clock.advance(hours=2)
            later = run_fetch(config, full=True).snapshot
        yield Later(server, config, first, later)


@pytest.fixture
def two_hours_later(_two_hours_later: Later, monkeypatch: pytest.MonkeyPatch) -> Iterator[Later]:
    """SMALL fetched, then fetched in full two hours later; tests refresh the first fetch."""
    monkeypatch.setenv("GITLAB_TOKEN", _two_hours_later.sim.token)
    with left_as_found(_two_hours_later.sim):
        yield _two_hours_later


def graphql_down(status: int) -> Callable[[Simulator], None]:
    """GraphQL answers every request with `status`."""
    broken = Faults(error_rate=1.0, error_statuses=(status,))
    return lambda sim: sim.set_faults(Faults(routes={"POST /api/graphql": broken}))


def graphql_refuses_the_query(sim: Simulator) -> None:
    """HTTP 200 with an `errors` list: "Query has complexity of ..., which exceeds ..."."""
    sim.graphql_limits.max_complexity = 5


@pytest.mark.parametrize(
    "break_graphql",
    [graphql_down(404), graphql_down(500), graphql_refuses_the_query],
    ids=["404", "500", "errors-in-200"],
)
def test_refresh_without_working_graphql_asks_each_project(
    two_hours_later: Later, break_graphql: Callable[[Simulator], None]
) -> None:
    case = two_hours_later
    assert comparable(case.later) != comparable(case.first)  # a refresh has work to do
    break_graphql(case.sim)
    refreshed = run_fetch(case.config, previous=case.first)
    assert refreshed.complete, refreshed.snapshot["fetch"]["errors"]
    assert comparable(refreshed.snapshot) == comparable(case.later)
    calls = refreshed.snapshot["fetch"]["api_calls"]
    with_commits = sum(1 for p in case.later["sources"][0]["projects"] if not p["empty_repo"])
    assert calls["GET /projects/:id/pipelines"] >= with_commits
    batches = -(-case.asked() // GRAPHQL_BATCH)
    assert batches > 1
    assert 1 <= calls["POST /api/graphql"] <= 2 * batches  # at most two attempts each


def test_graphql_pages_smaller_than_a_batch_are_followed(two_hours_later: Later) -> None:
    case = two_hours_later
    assert comparable(case.later) != comparable(case.first)  # a refresh has work to do
    case.sim.graphql_limits.page_size = 5
    refreshed = run_fetch(case.config, previous=case.first).snapshot
    assert comparable(refreshed) == comparable(case.later)
    asked = case.asked()
    calls = refreshed["fetch"]["api_calls"]
    batches = [min(GRAPHQL_BATCH, asked - start) for start in range(0, asked, GRAPHQL_BATCH)]
    assert len(batches) > 1
    # The probe alone pages through every batch five projects at a time; then the changed
    # projects' pipelines are listed in pages of five too.
    probe_pages = sum(-(-size // 5) for size in batches)
    assert probe_pages > 2 * len(batches)
    assert calls["POST /api/graphql"] > probe_pages
    assert calls.get("GET /projects/:id/pipelines", 0) < asked // 2  # the answers were used


def test_a_project_graphql_leaves_out_is_asked_over_rest(
    tiny_sim: Simulator, config_for: Callable[..., Config]
) -> None:
    sim = tiny_sim  # one project matters: eight suffice
    config = config_for(sim)
    first = run_fetch(config).snapshot
    quiet = [p for p in first["sources"][0]["projects"] if not p["empty_repo"]]
    victim = quiet[len(quiet) // 2]
    asked: list[str] = []

    def delete_when_graphql_is_asked(template: str, path: str, query: Any) -> None:
        asked.append(template)
        if template == "POST /api/graphql" and victim["id"] in sim.state.projects:
            sim.delete_project(victim["id"])  # listed a moment ago, gone for GraphQL

    sim.on_request(delete_when_graphql_is_asked)
    refreshed = run_fetch(config, previous=first)
    sim.on_request(None)
    ids = [p["id"] for p in refreshed.snapshot["sources"][0]["projects"]]
    assert victim["id"] not in ids and len(ids) == len(first["sources"][0]["projects"]) - 1
    errors = refreshed.snapshot["fetch"]["errors"]
    assert any(f"{victim['path_with_namespace']}: deleted" in e for e in errors), errors
    assert comparable(refreshed.snapshot) == comparable(run_fetch(config, full=True).snapshot)


@pytest.mark.parametrize(
    ("answer", "stored", "skip"),
    [
        (Answer(changed=False, latest=9), [9, 4], True),
        (Answer(changed=False, latest=None), [], True),  # never had a pipeline
        (Answer(changed=True, latest=9), [9, 4], False),
        (Answer(changed=False, latest=None), [9, 4], False),  # access lost: GitLab says []
        (Answer(changed=False, latest=4), [9, 4], False),  # newest pipeline deleted
        (None, [9, 4], False),  # GraphQL left the project out
    ],
)
def test_only_a_confirmed_unchanged_project_skips_rest(
    answer: Answer | None, stored: list[int], skip: bool
) -> None:
    assert unchanged(answer, stored) is skip


def test_four_shards_merged_equal_the_unsharded_fetch(
    shared_sim: Simulator, config_for: Callable[..., Config]
) -> None:
    config = config_for(shared_sim, "fetch:\n  pipelines_per_project: 3\n")  # fewer to merge
    whole = run_fetch(config, full=True).snapshot
    parts = [run_fetch(config, shard=(i, 4)).snapshot for i in range(1, 5)]
    sizes = [len(p["sources"][0]["projects"]) for p in parts]
    assert all(size > 0 for size in sizes) and sum(sizes) == len(whole["sources"][0]["projects"])
    merged = merge_snapshots(parts, [f"part{i}" for i in range(1, 5)])
    jsonschema.validate(merged, SCHEMA)
    assert comparable(merged) == comparable(whole)


def newest_pipeline(sim: Simulator, project_id: int) -> int:
    """The id of the project's newest pipeline in the simulator, 0 if none."""
    return max((p.id for p in sim.state.pipelines(project_id)), default=0)


def max_pipeline_id(project: Project) -> int:
    """The id of the newest pipeline a snapshot holds for the project, 0 if none."""
    return max((p["id"] for p in project["pipelines"]), default=0)


def test_event_refreshes_only_its_project(
    tiny_sim: Simulator, config_for: Callable[..., Config]
) -> None:
    sim = tiny_sim  # one project matters: eight suffice
    config = config_for(sim)
    first = run_fetch(config).snapshot
    sim.clock.advance(hours=3)
    projects = first["sources"][0]["projects"]
    # The event is about a project with a new pipeline; another changed too, unasked.
    target = next(p for p in projects if newest_pipeline(sim, p["id"]) > max_pipeline_id(p))
    moved = [
        p
        for p in projects
        if ts(sim.state.projects[p["id"]].last_activity_at) != p["last_activity_at"]
    ]
    assert len(moved) > 1
    payload = {
        "object_kind": "pipeline",
        "object_attributes": {"id": 1, "status": "failed"},
        "project": {"id": target["id"], "web_url": target["web_url"]},
    }
    outcome = run_fetch(config, previous=first, event=parse_event(payload))
    after = outcome.snapshot
    assert after["fetch"]["mode"] == "event"
    calls = sum(after["fetch"]["api_calls"].values())
    assert calls <= 12 + len(target["pipelines"]), after["fetch"]["api_calls"]
    before_by_id = {p["id"]: p for p in first["sources"][0]["projects"]}
    changed = [p["id"] for p in after["sources"][0]["projects"] if p != before_by_id.get(p["id"])]
    assert changed == [target["id"]]
    refreshed = next(p for p in after["sources"][0]["projects"] if p["id"] == target["id"])
    full = run_fetch(config, full=True).snapshot
    fresh = next(p for p in full["sources"][0]["projects"] if p["id"] == target["id"])
    refreshed_cmp: dict[str, Any] = {**refreshed, "fetched_at": None}
    assert refreshed_cmp == {**fresh, "fetched_at": None}
    assert after["sources"][0]["watermark"] == first["sources"][0]["watermark"]


PRIVATE_TOO = "    visibility: [public, internal, private]\n"


def test_private_projects_absent_unless_opted_in(
    shared_sim: Simulator, config_for: Callable[..., Config]
) -> None:
    default = run_fetch(config_for(shared_sim, SELECTION_ONLY)).snapshot
    assert all(p["visibility"] != "private" for p in default["sources"][0]["projects"])
    assert all(g["visibility"] != "private" for g in default["sources"][0]["groups"])
    opted = run_fetch(config_for(shared_sim, PRIVATE_TOO + SELECTION_ONLY)).snapshot
    assert any(p["visibility"] == "private" for p in opted["sources"][0]["projects"])
    assert any(g["visibility"] == "private" for g in opted["sources"][0]["groups"])


def test_exclude_and_archived(shared_sim: Simulator, config_for: Callable[..., Config]) -> None:
    base = run_fetch(config_for(shared_sim, SELECTION_ONLY)).snapshot["sources"][0]["projects"]
    victim = base[0]["path_with_namespace"]
    exclude = f"    exclude: [{json.dumps('^' + re.escape(victim) + '$')}]\n"
    excluded = run_fetch(config_for(shared_sim, exclude + SELECTION_ONLY)).snapshot
    paths = {p["path_with_namespace"] for p in excluded["sources"][0]["projects"]}
    assert victim not in paths and len(paths) == len(base) - 1
    everything = "    include_archived: true\n" + PRIVATE_TOO + SELECTION_ONLY
    with_archived = run_fetch(config_for(shared_sim, everything)).snapshot["sources"][0]["projects"]
    archived = {
        p.id
        for p in shared_sim.state.projects.values()
        if p.archived and p.namespace_kind == "group"
    }
    assert archived
    assert {p["id"] for p in with_archived if p["archived"]} == archived


def test_no_email_and_no_token_in_snapshot(big: Fetched) -> None:
    text = json.dumps(big.snapshot)
    assert big.sim.token not in text
    assert not EMAIL.findall(text)


def test_member_token_sees_only_its_groups(
    monkeypatch: pytest.MonkeyPatch, config_for: Callable[..., Config]
) -> None:
    with Simulator(OrgSpec(projects=60, seed=3)) as server:
        state = server.state
        user = next(u for u in state.users.values() if not u.is_admin and state.member_groups(u.id))
        monkeypatch.setenv("GITLAB_TOKEN", server.user_token(user.username))
        visible = [
            g.full_path
            for g in state.groups.values()
            if g.parent_id is None and state.can_see_group(user, g)
        ]
        outcome = run_fetch(config_for(server, groups=visible))
        seen = {p["id"] for p in outcome.snapshot["sources"][0]["projects"]}
        for pid in seen:
            assert state.can_see_project(user, state.projects[pid])


def _pipeline_count(project: Project) -> int:
    return len(project["pipelines"])


def _pipeline_event(project: Project, finished: datetime) -> dict[str, Any]:
    stamp = finished.strftime("%Y-%m-%d %H:%M:%S UTC")  # as GitLab writes webhook times
    return {
        "object_kind": "pipeline",
        "object_attributes": {
            "id": 1,
            "status": "success",
            "created_at": stamp,
            "finished_at": stamp,
        },
        "project": {"id": project["id"], "web_url": project["web_url"]},
    }


def test_events_already_covered_are_coalesced_without_api_calls(
    tiny_sim: Simulator, config_for: Callable[..., Config]
) -> None:
    sim = tiny_sim  # one project matters: eight suffice
    config = config_for(sim)
    before_fetch = sim.clock.now - timedelta(minutes=5)
    first = run_fetch(config).snapshot
    target = first["sources"][0]["projects"][2]
    # A burst: events that happened before the snapshot was fetched change nothing.
    for _ in range(3):
        stale_event = parse_event(_pipeline_event(target, before_fetch))
        outcome = run_fetch(config, previous=first, event=stale_event)
        assert outcome.snapshot["fetch"]["api_calls"] == {}
        assert comparable(outcome.snapshot) == comparable(first)
        assert "already covered" in outcome.summary
    # An event from after the fetch is fetched.
    sim.clock.advance(hours=1)
    fresh_event = parse_event(_pipeline_event(target, sim.clock.now))
    fresh = run_fetch(config, previous=first, event=fresh_event).snapshot
    assert sum(fresh["fetch"]["api_calls"].values()) > 0


def test_event_times_are_read_from_server_side_fields_only() -> None:
    pipeline = parse_event(
        {
            "object_kind": "pipeline",
            "object_attributes": {"created_at": "2026-11-28 06:00:00 UTC", "finished_at": None},
            "project": {"id": 5},
        }
    )
    assert pipeline.occurred_at == datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
    merge = parse_event(
        {
            "object_kind": "merge_request",
            "object_attributes": {"updated_at": "2026-11-28T07:30:00Z"},
            "project": {"id": 5},
        }
    )
    assert merge.occurred_at == datetime(2026, 11, 28, 7, 30, tzinfo=UTC)
    job = parse_event(
        {"object_kind": "build", "build_finished_at": "2026-11-28 08:00:00 UTC", "project_id": 5}
    )
    assert job.occurred_at == datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    push = parse_event(
        {
            "object_kind": "push",
            "commits": [{"timestamp": "2026-11-28T09:00:00+02:00"}],
            "project": {"id": 5},
        }
    )
    assert push.occurred_at is None  # commit times come from authors' clocks
