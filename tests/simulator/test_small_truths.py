"""Small truths of GitLab the simulator keeps, each checked through HTTP."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import requests
from sim_helpers import client

from gldash_static.simulator import Simulator, history
from gldash_static.simulator.model import Pipeline, PipelinePlan, Project
from gldash_static.simulator.serialize import ts


def _get(sim: Simulator, path: str, **params: Any) -> Any:
    reply = requests.get(
        f"{sim.url}/api/v4{path}",
        params=params,
        headers={"PRIVATE-TOKEN": sim.token},
        timeout=10,
    )
    assert reply.status_code == 200, (path, reply.status_code, reply.text)
    return reply.json()


def _graphql(sim: Simulator, query: str, **variables: Any) -> Any:
    reply = requests.post(
        f"{sim.url}/api/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {sim.token}"},
        timeout=10,
    )
    return reply.json()


def test_updated_and_created_bounds_are_inclusive(sim: Simulator) -> None:
    project = next(p for p in sim.state.projects.values() if len(sim.state.pipelines(p.id)) > 3)
    target = sorted(sim.state.pipelines(project.id), key=lambda pl: pl.updated_at)[-2]
    at = ts(target.updated_at)
    both = _get(sim, f"/projects/{project.id}/pipelines", updated_after=at, updated_before=at)
    assert target.id in [p["id"] for p in both]  # `>=` and `<=`, as UpdatedAtFilterable
    after = _get(sim, f"/projects/{project.id}/pipelines", updated_after=at, per_page=100)
    assert target.id in [p["id"] for p in after]
    query = """query($path: ID!, $at: Time) { project(fullPath: $path) {
      pipelines(updatedAfter: $at, updatedBefore: $at) { nodes { id } } } }"""
    nodes = _graphql(sim, query, path=project.path_with_namespace, at=at)["data"]["project"]
    assert f"gid://gitlab/Ci::Pipeline/{target.id}" in [
        n["id"] for n in nodes["pipelines"]["nodes"]
    ]
    mr_project = next(p for p in sim.state.projects.values() if sim.state.merge_requests(p.id))
    mr = sim.state.merge_requests(mr_project.id)[0]
    path = f"/projects/{mr_project.id}/merge_requests"
    for key, value in (("updated", mr.updated_at), ("created", mr.created_at)):
        bounds = {f"{key}_after": ts(value), f"{key}_before": ts(value), "state": "all"}
        assert mr.iid in [m["iid"] for m in _get(sim, path, **bounds)], key


def _new_pipeline(sim: Simulator, project: Project, final: str, id_mod: int | None) -> Pipeline:
    """A pipeline created a minute ago that is still going (ground truth, under the lock)."""
    state = sim.state
    now = state.now
    assert project.default_branch is not None
    with state.changing():
        detail = state.detail(project.id)
        while True:
            p = history.new_pipeline(
                random.Random(1),
                state.spec.seed,
                project,
                detail,
                now - timedelta(minutes=1),
                now,
                ref=project.default_branch,
                source="web",
                user_id=project.creator_id,
                status=final,
            )
            if id_mod is None or p.id % 10 == id_mod:
                break
        started = now - timedelta(seconds=50)
        p.plan = PipelinePlan(final, started, now + timedelta(minutes=40))
        history.advance_pipeline(p, now)
        return p


def _busy_project(sim: Simulator) -> Project:
    return next(p for p in sim.state.projects.values() if not p.empty_repo and not p.archived)


def test_canceling_comes_before_canceled(fresh_sim: Simulator) -> None:
    project = _busy_project(fresh_sim)
    p = _new_pipeline(fresh_sim, project, "canceled", None)
    fresh_sim.clock.advance(minutes=39)  # inside the last minute(s) before it is canceled
    base = f"/projects/{project.id}/pipelines"
    listed = _get(fresh_sim, base, status="canceling")
    assert p.id in [x["id"] for x in listed]
    assert {x["status"] for x in listed} == {"canceling"}
    single = _get(fresh_sim, f"{base}/{p.id}")
    assert single["status"] == "canceling"
    assert single["detailed_status"]["label"] == "canceling"
    jobs = _get(fresh_sim, f"{base}/{p.id}/jobs", per_page=100)
    assert "canceling" in {j["status"] for j in jobs}
    fresh_sim.clock.advance(minutes=5)
    done = _get(fresh_sim, f"{base}/{p.id}")
    assert done["status"] == "canceled"
    assert done["updated_at"] > single["updated_at"]  # so updated_after sees the change


def test_waiting_for_callback_is_a_phase_of_running(fresh_sim: Simulator) -> None:
    project = _busy_project(fresh_sim)
    p = _new_pipeline(fresh_sim, project, "success", 7)
    seen = []
    for _ in range(9):
        fresh_sim.clock.advance(minutes=5)
        body = _get(fresh_sim, f"/projects/{project.id}/pipelines/{p.id}")
        seen.append((body["status"], body["updated_at"]))
    statuses = [s for s, _ in seen]
    assert "waiting_for_callback" in statuses
    first = statuses.index("waiting_for_callback")
    assert "running" in statuses[first:] and statuses[-1] == "success"
    assert [u for _, u in seen] == sorted(u for _, u in seen)  # each change moves updated_at
    query = """query($path: ID!) { project(fullPath: $path) {
      pipelines(status: WAITING_FOR_CALLBACK) { count } } }"""
    body = _graphql(fresh_sim, query, path=project.path_with_namespace)
    assert "errors" not in body


def test_empty_repository_reports_main_with_empty_repo(sim: Simulator) -> None:
    empty = next(p for p in sim.state.projects.values() if p.empty_repo)
    body = _get(sim, f"/projects/{empty.id}")
    assert (body["default_branch"], body["empty_repo"]) == ("main", True)  # default_branch_or_main
    simple = client(sim).http_list(
        f"/groups/{empty.namespace_id}/projects", query_data={"simple": "true"}, get_all=True
    )
    if empty.namespace_kind == "group":
        (item,) = [x for x in simple if x["id"] == empty.id]
        assert item["default_branch"] == "main" and "empty_repo" not in item
    full = next(p for p in sim.state.projects.values() if not p.empty_repo)
    body = _get(sim, f"/projects/{full.id}")
    assert (body["default_branch"], body["empty_repo"]) == (full.default_branch, False)


def test_group_detail_embeds_projects_unless_told_not_to(sim: Simulator) -> None:
    shared = next(p for p in sim.state.projects.values() if p.shared_with_group_ids)
    group_id = shared.shared_with_group_ids[0]
    detail = _get(sim, f"/groups/{group_id}")
    own = sorted(
        (
            p.id
            for p in sim.state.projects.values()
            if p.namespace_kind == "group" and p.namespace_id == group_id
        ),
        reverse=True,
    )
    assert [p["id"] for p in detail["projects"]] == own[:100]
    assert shared.id in [p["id"] for p in detail["shared_projects"]]
    if own:
        assert "empty_repo" in detail["projects"][0]  # the full project entity
    slim = _get(sim, f"/groups/{group_id}", with_projects="false")
    assert "projects" not in slim and "shared_projects" not in slim
    assert slim["id"] == detail["id"]
