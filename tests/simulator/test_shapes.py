"""Bodies match GitLab's documented examples key by key and type by type; same seed, same bytes."""

from __future__ import annotations

from typing import Any

import requests
from sim_helpers import load_example

from gldash_static.simulator import OrgSpec, Simulator

# Fields GitLab sends as null in some states although the example shows a value.
NULLABLE = {
    "avatar_url", "default_branch", "file_template_project_id", "name", "started_at",
    "finished_at", "duration", "queued_duration", "coverage", "artifacts_expire_at",
    "merged_by", "merge_user", "merged_at", "merge_after", "closed_by", "closed_at",
    "assignee", "milestone", "merge_commit_sha", "failure_reason",
}  # fmt: skip


def assert_same_shape(example: Any, actual: Any, where: str = "") -> None:
    """Same keys, same JSON types; example nulls accept anything, NULLABLE keys accept null."""
    if isinstance(example, dict):
        assert isinstance(actual, dict), where
        assert set(actual) == set(example), f"{where}: {set(actual) ^ set(example)}"
        for key, value in example.items():
            sub = actual[key]
            if value is None or (sub is None and key in NULLABLE):
                continue
            assert sub is not None, f"{where}.{key} is null"
            assert_same_shape(value, sub, f"{where}.{key}")
    elif isinstance(example, list):
        assert isinstance(actual, list), where
        if example and isinstance(example[0], dict):
            for i, item in enumerate(actual):
                assert_same_shape(example[0], item, f"{where}[{i}]")
    else:
        assert type(actual) is type(example), f"{where}: {actual!r} vs {example!r}"


def get(sim: Simulator, path: str, **params: Any) -> Any:
    r = requests.get(
        f"{sim.url}/api/v4{path}", params=params, headers={"PRIVATE-TOKEN": sim.token}, timeout=10
    )
    assert r.status_code == 200, (path, r.status_code, r.text)
    return r.json()


def test_groups_shape(sim: Simulator) -> None:
    example = load_example("groups_list.json")[0]
    for g in get(sim, "/groups", per_page=100):
        assert_same_shape(example, g, f"group {g['id']}")


# The docs' list example is abridged: GitLab's project entity (lib/api/entities/project.rb)
# also sends the feature access levels, which decide what a dashboard may publish.
ACCESS_LEVELS = {
    f"{feature}_access_level": "enabled"
    for feature in (
        "issues", "repository", "merge_requests", "forking", "wiki", "builds", "snippets", "pages",
        "environments",
    )
}  # fmt: skip
# Also in Entities::Project (and ProjectIdentity) but not in the abridged example.
ENTITY_EXTRAS = {"empty_repo": False, "updated_at": "2024-01-01T00:00:00.000Z"}
# lib/api/entities/namespace_basic.rb: the old example predates these.
NAMESPACE_EXTRAS = {"full_path": "h5bp", "parent_id": None, "avatar_url": None, "web_url": "x"}


def test_projects_shape(sim: Simulator) -> None:
    example = load_example("group_projects_list.jsonc")[0] | ACCESS_LEVELS | ENTITY_EXTRAS
    example["namespace"] = example["namespace"] | NAMESPACE_EXTRAS
    top = next(g for g in sim.state.groups.values() if g.parent_id is None)
    items = get(sim, f"/groups/{top.id}/projects", include_subgroups="true", per_page=100)
    items += get(sim, "/projects", per_page=100)
    assert items
    for p in items:
        assert_same_shape(example, p, f"project {p['id']}")
    # An empty repository says "main" (default_branch_or_main) with empty_repo: true.
    assert any(
        p["default_branch"] == "main" and p["empty_repo"]
        for p in get(sim, "/projects", per_page=100)
        + [get(sim, f"/projects/{p.id}") for p in sim.state.projects.values() if p.empty_repo][:1]
    )


def _busy_projects(sim: Simulator, n: int = 25) -> list[int]:
    # Projects whose pipelines include running or pending ones, plus a spread of others.
    ids = [p.id for p in sim.state.projects.values() if not p.empty_repo]
    busy = [i for i in ids if any(pl.plan for pl in sim.state.pipelines(i))]
    return busy[:10] + ids[:: max(1, len(ids) // n)]


def test_pipelines_shapes(sim: Simulator) -> None:
    slim = load_example("pipelines_list.json")[0]
    single = load_example("pipeline_single.json")
    statuses = set()
    for pid in _busy_projects(sim):
        coverage = {pl.id: pl.coverage is None for pl in sim.state.pipelines(pid)}
        detailed: set[tuple[str, bool]] = set()
        for item in get(sim, f"/projects/{pid}/pipelines", per_page=100):
            assert_same_shape(slim, item, f"pipeline {item['id']}")
            # Every listed pipeline, but one detail per kind and project: a detail's optional
            # fields follow its status (times, duration) and whether it has a coverage.
            kind = (item["status"], coverage[item["id"]])
            if kind not in detailed:
                detailed.add(kind)
                detail = get(sim, f"/projects/{pid}/pipelines/{item['id']}")
                assert_same_shape(single, detail, f"pipeline {item['id']}")
            statuses.add(item["status"])
    assert {"success", "failed", "running"} <= statuses


def test_jobs_shape(sim: Simulator) -> None:
    example = load_example("job_single.json")
    without_reason = {k: v for k, v in example.items() if k != "failure_reason"}
    seen = set()
    for pid in _busy_projects(sim, 10):
        for pl in sim.state.pipelines(pid)[-4:]:
            for job in get(sim, f"/projects/{pid}/pipelines/{pl.id}/jobs", per_page=100):
                shape = example if job["status"] == "failed" else without_reason
                assert_same_shape(shape, job, f"job {job['id']}")
                seen.add(job["status"])
            one = get(sim, f"/projects/{pid}/jobs/{job['id']}")
            assert one == job
    assert {"success", "failed"} <= seen


def test_branches_shape(sim: Simulator) -> None:
    example = load_example("branch_single.json")
    for pid in _busy_projects(sim):
        for b in get(sim, f"/projects/{pid}/repository/branches", per_page=100):
            assert_same_shape(example, b, f"branch {b['name']}")
            assert b["commit"]["author_email"].endswith("@example.com")


def test_merge_requests_shape(sim: Simulator) -> None:
    example = load_example("group_merge_requests_list.jsonc")[0]
    states = set()
    for g in sim.state.groups.values():
        if g.parent_id is None:
            for mr in get(sim, f"/groups/{g.id}/merge_requests", per_page=100, state="all"):
                assert_same_shape(example, mr, f"mr {mr['id']}")
                states.add(mr["state"])
    assert states == {"opened", "merged", "closed"}


def test_timestamps_are_gitlab_formatted(sim: Simulator) -> None:
    pid = _busy_projects(sim)[0]
    item = get(sim, f"/projects/{pid}/pipelines")[0]
    assert len(item["created_at"]) == 24 and item["created_at"].endswith("Z")
    assert item["created_at"][19] == "."


def _bodies(sim: Simulator) -> list[bytes]:
    pids = sorted(sim.state.projects)[:8]
    paths = ["/groups?per_page=100", "/projects?per_page=100", "/projects?per_page=100&page=2"]
    for pid in pids:
        paths += [
            f"/projects/{pid}",
            f"/projects/{pid}/pipelines?per_page=100",
            f"/projects/{pid}/repository/branches",
            f"/projects/{pid}/merge_requests",
        ]
        for pl in sim.state.pipelines(pid)[-2:]:
            paths += [
                f"/projects/{pid}/pipelines/{pl.id}",
                f"/projects/{pid}/pipelines/{pl.id}/jobs",
            ]
    out = []
    for path in paths:
        r = requests.get(
            f"{sim.url}/api/v4{path}", headers={"PRIVATE-TOKEN": sim.token}, timeout=10
        )
        out.append(r.content)
    return out


def test_same_seed_gives_byte_identical_responses() -> None:
    spec = OrgSpec(projects=40, seed=11, web_url="https://gitlab.example.com")
    with Simulator(spec) as a:
        first = _bodies(a)
        a.clock.advance(hours=5)
        first_later = _bodies(a)
    with Simulator(spec) as b:
        # Touch projects in another order: lazy generation must not depend on it.
        for pid in sorted(b.state.projects, reverse=True):
            b.state.pipelines(pid)
        assert _bodies(b) == first
        b.clock.advance(hours=5)
        assert _bodies(b) == first_later
    with Simulator(OrgSpec(projects=40, seed=12, web_url="https://gitlab.example.com")) as c:
        assert _bodies(c) != first


def test_counters_endpoint(sim: Simulator) -> None:
    get(sim, "/version")
    r = requests.get(f"{sim.url}/-/simulator/counters", timeout=5)
    rows = r.json()["counters"]
    assert {"route": "GET /version", "status": 200} in [
        {k: row[k] for k in ("route", "status")} for row in rows
    ]
    assert sim.counters[("GET /version", 200)] >= 1
