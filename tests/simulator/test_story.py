"""The organisation's stories for issue 16: re-runs, red streaks, queues; the rest unchanged."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import requests

from gldash_static.simulator import OrgSpec, Simulator
from gldash_static.simulator.org import generate_org
from gldash_static.simulator.pipelines import long_red
from gldash_static.simulator.serialize import ts
from gldash_static.simulator.state import OrgState

# The organisation before issue 16 (git 638ec4a), OrgSpec(projects=200, seed=1), hashed as
# `_unchanged` hashes it now: computed once from that commit's code and pinned.
BEFORE_ROWS, BEFORE_HASH = 3806, "2b7124a7463211333c4ef8a5aea0bfafd98985e72cafca04e33a1d1257f34175"


def _get(sim: Simulator, path: str, **params: Any) -> Any:
    reply = requests.get(
        f"{sim.url}/api/v4{path}", params=params, headers={"PRIVATE-TOKEN": sim.token}, timeout=10
    )
    assert reply.status_code == 200, (path, reply.status_code, reply.text)
    return reply.json()


def _unchanged(state: OrgState) -> tuple[int, str]:
    """What issue 16 left as it was: every pipeline the organisation had, with its commit,
    ref and source; its status, user and title unless a long red streak re-decided them; its
    id and its jobs' outcomes unless pipelines were added among the project's."""
    rows: list[Any] = []
    for pid in sorted(state.projects):
        project = state.projects[pid]
        red = long_red(state.spec.seed, project)
        added = any(pl.origin for pl in state.pipelines(pid))
        for pl in state.pipelines(pid):
            if pl.origin:
                continue
            row: list[Any] = [pid, pl.created_at.isoformat(), pl.sha, pl.before_sha, pl.ref]
            row.append(pl.source)
            if not red:
                row += [pl.status, pl.user_id, pl.commit_title]
            if not added:  # a job's outcome derives from its pipeline's id
                jobs = [
                    [j.name, j.stage, j.status, j.failure_reason] for j in state.jobs(pid, pl.id)
                ]
                row += [pl.id, sorted(jobs)]
            rows.append(row)
    return len(rows), hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def test_the_organisation_is_otherwise_unchanged() -> None:
    state = OrgState(OrgSpec(projects=200, seed=1))
    assert _unchanged(state) == (BEFORE_ROWS, BEFORE_HASH)


def test_reruns_on_the_same_commit_pass(sim: Simulator) -> None:
    reruns = 0
    for p in sim.state.projects.values():
        pipelines = sim.state.pipelines(p.id)
        ids = [pl.id for pl in pipelines]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        created = [pl.created_at for pl in pipelines]
        assert created == sorted(created)  # ids in creation order, re-runs included
        for k, pl in enumerate(pipelines):
            if pl.origin != "rerun":
                continue
            reruns += 1
            failed = next(q for q in reversed(pipelines[:k]) if q.sha == pl.sha)
            assert p.health == "flaky" and pl.source == "web" and pl.ref == p.default_branch
            assert failed.status == "failed" and failed.finished_at is not None
            assert failed.finished_at < pl.created_at
            assert pl.status in ("success", "running", "pending")
            assert pl.commit_title == failed.commit_title
    assert reruns >= 5
    # Through the API: the same sha, a failed pipeline then a passed one.
    p = next(
        p
        for p in sim.state.projects.values()
        if any(q.origin == "rerun" for q in sim.state.pipelines(p.id))
    )
    rerun = next(q for q in sim.state.pipelines(p.id) if q.origin == "rerun")
    listed = _get(sim, f"/projects/{p.id}/pipelines", sha=rerun.sha, sort="asc")
    assert [q["status"] for q in listed][-2:] == ["failed", rerun.status]
    assert listed[-1]["source"] == "web" and listed[-1]["id"] == rerun.id


def _default_pipelines(sim: Simulator, pid: int) -> list[Any]:
    p = sim.state.projects[pid]
    return [pl for pl in sim.state.pipelines(pid) if pl.ref == p.default_branch]


def _streak(pipelines: list[Any]) -> tuple[int, Any, Any]:
    """(length, last success, first failure after it) of the red streak at the end."""
    k = len(pipelines)
    while k and pipelines[k - 1].status != "success":
        k -= 1
    first = next((pl for pl in pipelines[k:] if pl.status == "failed"), None)
    return len(pipelines) - k, pipelines[k - 1] if k else None, first


def test_red_streaks_within_and_beyond_the_latest_twenty(sim: Simulator) -> None:
    long_ones, short_ones = [], []
    for p in sim.state.projects.values():
        if p.health != "broken" or p.archived:
            continue
        length, success, first = _streak(_default_pipelines(sim, p.id))
        if success is None or first is None:
            continue  # never green, or not red: no "since when"
        (long_ones if length > 20 else short_ones).append((p, length, success, first))
    assert long_ones and short_ones
    assert all(long_red(sim.state.spec.seed, p) for p, *_ in long_ones)
    # A long streak is a nightly schedule failing every night since the day it broke.
    p, length, success, first = long_ones[0]
    nightly = [pl for pl in _default_pipelines(sim, p.id) if pl.origin == "nightly"]
    assert len(nightly) >= 28 and {pl.source for pl in nightly} == {"schedule"}
    assert all(pl.status in ("failed", "canceled") for pl in nightly)
    # Findable through the API: the last success on the default branch, then the first
    # failure after it.
    path = f"/projects/{p.id}/pipelines"
    ok = _get(sim, path, ref=p.default_branch, status="success", per_page=1)
    assert ok[0]["id"] == success.id
    after = _get(sim, path, ref=p.default_branch, status="failed", sort="asc", per_page=100)
    assert min(q["id"] for q in after if q["id"] > success.id) == first.id


def test_queues_follow_the_load(sim: Simulator) -> None:
    busy, calm, rush, quiet = [], [], [], []
    for p in sim.state.projects.values():
        for pl in sim.state.pipelines(p.id):
            if pl.queued_duration is None or pl.started_at is None:
                continue
            # GitLab's queued_duration is started_at - created_at.
            assert pl.queued_duration == round((pl.started_at - pl.created_at).total_seconds())
            assert 0 <= pl.queued_duration <= 40 * 60
            recent = sim.state.now - pl.created_at < timedelta(days=7)
            if recent:
                (busy if p.bottleneck else calm).append(pl.queued_duration)
            weekday_day = pl.created_at.weekday() < 5 and 8 <= pl.created_at.hour < 18
            (rush if weekday_day else quiet).append(pl.queued_duration)
            for j in sim.state.jobs(p.id, pl.id):
                assert j.queued_duration is None or 0 <= j.queued_duration <= 40 * 60

    def median(xs: list[int]) -> float:
        return sorted(xs)[len(xs) // 2]

    assert busy and calm and median(busy) > 5 * median(calm)
    assert median(rush) > 2 * median(quiet)


def test_bottlenecks_grow_over_the_month(sim: Simulator) -> None:
    weeks: dict[int, list[int]] = {0: [], 3: []}
    for p in sim.state.projects.values():
        if not p.bottleneck:
            continue
        for pl in sim.state.pipelines(p.id):
            week = (sim.state.now - pl.created_at).days // 7
            if week in weeks and pl.queued_duration is not None:
                weeks[week].append(pl.queued_duration)
    assert sum(weeks[0]) / len(weeks[0]) > sum(weeks[3]) / len(weeks[3])
    org = generate_org(OrgSpec(projects=300, seed=7))
    groups = {p.namespace_id for p in org.projects.values() if p.bottleneck}
    tops = {org.groups[g].full_path.split("/")[:2][-1] for g in groups}
    assert 1 <= len(tops) <= 2  # one or two second-level groups and what lies below


def test_created_after_and_before_are_inclusive(sim: Simulator) -> None:
    project = next(p for p in sim.state.projects.values() if len(sim.state.pipelines(p.id)) > 5)
    pipelines = sim.state.pipelines(project.id)
    target = pipelines[len(pipelines) // 2]
    at = ts(target.created_at)
    path = f"/projects/{project.id}/pipelines"
    both = _get(sim, path, created_after=at, created_before=at)
    assert [q["id"] for q in both] == [target.id]  # CreatedAtFilterable: `>=` and `<=`
    after = _get(sim, path, created_after=at, per_page=100)
    assert {q["id"] for q in after} == {
        q.id for q in pipelines if q.created_at >= target.created_at
    }
    before = _get(sim, path, created_before=at, per_page=100)
    assert {q["id"] for q in before} == {
        q.id for q in pipelines if q.created_at <= target.created_at
    }
    bad = requests.get(
        f"{sim.url}/api/v4{path}",
        params={"created_after": "yesterday"},
        headers={"PRIVATE-TOKEN": sim.token},
        timeout=10,
    )
    assert bad.status_code == 400


def test_same_seed_same_answers() -> None:
    spec = OrgSpec(projects=40, seed=5, web_url="https://gitlab.example.com")
    answers = []
    for _ in range(2):
        with Simulator(spec) as s:
            pid = next(p.id for p in s.state.projects.values() if len(s.state.pipelines(p.id)) > 3)
            last = s.state.pipelines(pid)[-1]
            paths = [
                f"/projects/{pid}/pipelines?per_page=100",
                f"/projects/{pid}/pipelines/{last.id}",
                f"/projects/{pid}/pipelines/{last.id}/jobs?include_retried=true",
                f"/projects/{pid}/jobs?per_page=100",
                f"/projects/{pid}/pipelines/{last.id}/test_report",
                f"/projects/{pid}/pipelines/{last.id}/test_report_summary",
                f"/projects/{pid}/repository/commits/{last.sha}",
            ]
            answers.append(
                [
                    requests.get(
                        f"{s.url}/api/v4{path}", headers={"PRIVATE-TOKEN": s.token}, timeout=10
                    ).content
                    for path in paths
                ]
            )
    assert answers[0] == answers[1]
