"""Retried jobs: GitLab keeps every attempt, and shows the earlier ones only when asked."""

from __future__ import annotations

from typing import Any

import requests
from graphql import build_schema, parse
from sim_helpers import client

from gldash_static.gitlab import failure_reasons
from gldash_static.simulator import Simulator
from gldash_static.simulator.graphql_complexity import analyse
from gldash_static.simulator.graphql_sdl import SDL
from gldash_static.simulator.model import Job, Pipeline
from gldash_static.simulator.retries import RETRY_OFFSET
from gldash_static.simulator.serialize import ts


def _get(sim: Simulator, path: str, **params: Any) -> Any:
    reply = requests.get(
        f"{sim.url}/api/v4{path}", params=params, headers={"PRIVATE-TOKEN": sim.token}, timeout=10
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
    assert reply.status_code == 200
    return reply.json()


def _retried(sim: Simulator, *, failed_again: bool = False) -> tuple[int, Pipeline, list[Job]]:
    """(project id, pipeline, all attempts) of a pipeline with a retried job."""
    for pid in sorted(sim.state.projects):
        for pl in sim.state.pipelines(pid):
            attempts = sim.state.all_jobs(pid, pl.id)
            retried = [j for j in attempts if j.retried]
            if not retried:
                continue
            newer = {j.name: j for j in attempts if not j.retried}
            if failed_again == (newer[retried[0].name].status == "failed"):
                return pid, pl, attempts
    raise AssertionError("no pipeline with a retried job")


def test_retried_attempts_only_with_include_retried(sim: Simulator) -> None:
    pid, pl, attempts = _retried(sim)
    path = f"/projects/{pid}/pipelines/{pl.id}/jobs"
    latest = _get(sim, path)
    every = _get(sim, path, include_retried="true")
    # Ci::JobsFinder orders by id, newest first; `latest` leaves the retried attempts out.
    assert [j["id"] for j in latest] == sorted(
        (j.id for j in attempts if not j.retried), reverse=True
    )
    assert [j["id"] for j in every] == sorted((j.id for j in attempts), reverse=True)
    assert [j["id"] for j in _get(sim, path, include_retried="false")] == [j["id"] for j in latest]
    assert all("retried" not in j for j in every)  # API::Entities::Ci::Job has no such field
    for j in every:
        assert ("failure_reason" in j) == (j["status"] == "failed")
    failed = _get(sim, path, include_retried="true", **{"scope[]": "failed"})
    assert {j["id"] for j in failed} == {j.id for j in attempts if j.status == "failed"}
    bad = requests.get(
        f"{sim.url}/api/v4{path}",
        params={"include_retried": "maybe"},
        headers={"PRIVATE-TOKEN": sim.token},
        timeout=10,
    )
    assert bad.status_code == 400


def test_a_retry_is_a_newer_job_within_the_jobs_time(sim: Simulator) -> None:
    pid, pl, attempts = _retried(sim)
    assert pl.started_at is not None and pl.finished_at is not None
    for old in (j for j in attempts if j.retried):
        new = next(j for j in attempts if j.name == old.name and not j.retried)
        assert old.status == "failed" and old.failure_reason and new.id == old.id + RETRY_OFFSET
        assert new.id // 100 == old.id // 100 == pl.id  # both belong to the pipeline
        assert old.started_at and old.finished_at and new.started_at and new.finished_at
        assert pl.started_at <= old.started_at < old.finished_at <= new.created_at
        assert new.created_at <= new.started_at < new.finished_at <= pl.finished_at
        assert new.queued_duration == round((new.started_at - new.created_at).total_seconds(), 3)
    # The earlier attempt is still a job of the project: listed and found by id.
    gl = client(sim)
    one = gl.projects.get(pid, lazy=True).jobs.get(min(j.id for j in attempts if j.retried))
    assert one.status == "failed" and one.pipeline["id"] == pl.id


def test_project_jobs_list_every_attempt_newest_first(sim: Simulator) -> None:
    pid, _, _ = _retried(sim)
    listed = _get(sim, f"/projects/{pid}/jobs", per_page=100)
    ids = [j["id"] for j in listed]
    assert ids == sorted(ids, reverse=True)
    truth = [
        j.id for p in reversed(sim.state.pipelines(pid)) for j in sim.state.all_jobs(pid, p.id)
    ]
    assert ids == sorted(truth, reverse=True)[:100]


def test_retried_and_failed_again(sim: Simulator) -> None:
    _, pl, attempts = _retried(sim, failed_again=True)
    assert pl.status == "failed"
    pairs = [(j.name, j.status, j.retried) for j in attempts if j.status == "failed"]
    assert any(r for _, _, r in pairs) and any(not r for _, _, r in pairs)


def test_flaky_projects_retry_more(sim: Simulator) -> None:
    rate: dict[str, list[int]] = {"flaky": [0, 0], "healthy": [0, 0]}
    for p in sorted(sim.state.projects.values(), key=lambda p: p.id)[:150]:
        if p.health not in rate:
            continue
        for pl in sim.state.pipelines(p.id):
            for j in sim.state.all_jobs(p.id, pl.id):
                rate[p.health][0] += j.retried
                rate[p.health][1] += not j.retried
    flaky, healthy = (r[0] / r[1] for r in (rate["flaky"], rate["healthy"]))
    assert flaky > 3 * healthy > 0


JOBS = """query($path: ID!, $sha: String, $retried: Boolean) { project(fullPath: $path) {
  pipelines(sha: $sha) { nodes { id jobs(retried: $retried, first: 100) { nodes {
    id name status retried duration queuedDuration allowFailure failureMessage
    stage { name } detailedStatus { tooltip } } } } } } }"""


def _job_nodes(sim: Simulator, pid: int, pl: Pipeline, **retried: Any) -> list[dict[str, Any]]:
    path = sim.state.projects[pid].path_with_namespace
    body = _graphql(sim, JOBS, path=path, sha=pl.sha, **retried)
    nodes = body["data"]["project"]["pipelines"]["nodes"]
    mine = next(n for n in nodes if n["id"] == f"gid://gitlab/Ci::Pipeline/{pl.id}")
    return list(mine["jobs"]["nodes"])


def test_graphql_retried_argument(sim: Simulator) -> None:
    pid, pl, attempts = _retried(sim)

    def ids(**retried: Any) -> list[int]:
        return [int(n["id"].rsplit("/", 1)[1]) for n in _job_nodes(sim, pid, pl, **retried)]

    newest_first = sorted(attempts, key=lambda j: -j.id)
    # Resolvers::Ci::JobsResolver: true the retried only, false the latest only, null both.
    assert ids(retried=True) == [j.id for j in newest_first if j.retried]
    assert ids(retried=False) == [j.id for j in newest_first if not j.retried]
    assert ids() == ids(retried=None) == [j.id for j in newest_first]


def test_graphql_fields_of_a_retried_attempt(sim: Simulator) -> None:
    pid, pl, attempts = _retried(sim)
    old = next(j for j in attempts if j.retried)
    nodes = _job_nodes(sim, pid, pl, retried=True)
    node = next(n for n in nodes if n["id"] == f"gid://gitlab/Ci::Build/{old.id}")
    assert node["retried"] is True and node["status"] == "FAILED" and node["name"] == old.name
    assert node["stage"] == {"name": old.stage} and node["allowFailure"] is False
    assert node["duration"] == int(old.duration or 0)
    assert node["queuedDuration"] == old.queued_duration
    # Status::Build::Failed's tooltip, then Status::Build::Retried's suffix.
    assert node["detailedStatus"]["tooltip"].startswith("Failed - (")
    assert node["detailedStatus"]["tooltip"].endswith(") (retried)")
    # BuildPresenter#failure_message: a callout for the runner's failures, none for a script.
    assert node["failureMessage"] == failure_reasons.callout(old.failure_reason or "")
    latest = _job_nodes(sim, pid, pl, retried=False)
    assert all(n["retried"] is False for n in latest)
    assert not any(n["detailedStatus"]["tooltip"].endswith("(retried)") for n in latest)


def test_the_retried_argument_costs_nothing() -> None:
    schema = build_schema(SDL)
    query = (
        'query { project(fullPath: "a") { pipelines(first: 5) { nodes {'
        " jobs(first: 50%s) { nodes { id retried } } } } } }"
    )
    plain = analyse(schema, parse(query % ""), None, 100).complexity
    for arg in (", retried: true", ", retried: false"):
        assert analyse(schema, parse(query % arg), None, 100).complexity == plain


def test_rest_jobs_fields_do_not_change_for_the_latest(sim: Simulator) -> None:
    pid, pl, attempts = _retried(sim)
    new = next(j for j in attempts if not j.retried and j.id % 100 > RETRY_OFFSET)
    got = next(j for j in _get(sim, f"/projects/{pid}/pipelines/{pl.id}/jobs") if j["id"] == new.id)
    assert got["started_at"] == ts(new.started_at) and got["status"] == new.status
    assert got["queued_duration"] == new.queued_duration and got["duration"] == new.duration
