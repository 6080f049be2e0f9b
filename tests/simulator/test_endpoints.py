"""Every endpoint the fetcher uses, driven through python-gitlab and checked against the state."""

from __future__ import annotations

from datetime import timedelta

import gitlab
from sim_helpers import client

from gldash_static.simulator import Simulator
from gldash_static.simulator.serialize import ts


def _pick_project(sim: Simulator, min_pipelines: int = 10) -> int:
    for p in sim.state.projects.values():
        if not p.empty_repo and len(sim.state.pipelines(p.id)) >= min_pipelines:
            return p.id
    raise AssertionError("no project with enough pipelines")


def test_version_and_user(gl: gitlab.Gitlab) -> None:
    assert gl.version()[0] == "17.6.0"
    gl.auth()
    assert gl.user is not None and gl.user.username == "root"


def test_groups_list_all_pages(sim: Simulator, gl: gitlab.Gitlab) -> None:
    groups = gl.groups.list(get_all=True, per_page=7)
    assert sorted(g.id for g in groups) == sorted(sim.state.groups)
    top = gl.groups.list(get_all=True, top_level_only=True)
    assert {g.id for g in top} == {g.id for g in sim.state.groups.values() if g.parent_id is None}
    assert max(g.depth for g in sim.state.groups.values()) == 2  # three levels


def test_group_by_path_subgroups_and_descendants(sim: Simulator, gl: gitlab.Gitlab) -> None:
    deep = next(g for g in sim.state.groups.values() if g.depth == 2)
    assert gl.groups.get(deep.full_path, with_projects=False).id == deep.id
    parent = sim.state.groups[deep.parent_id or 0]
    top = sim.state.groups[parent.parent_id or 0]
    subs = gl.groups.get(top.id, lazy=True).subgroups.list(get_all=True)
    assert parent.id in {g.id for g in subs}
    assert deep.id not in {g.id for g in subs}
    desc = gl.groups.get(top.id, lazy=True).descendant_groups.list(get_all=True)
    assert {g.id for g in desc} == set(sim.state.subtree(top.id)[1:])


def test_group_projects_with_subgroups_across_pages(sim: Simulator, gl: gitlab.Gitlab) -> None:
    top = max(
        (g for g in sim.state.groups.values() if g.parent_id is None),
        key=lambda g: len(sim.state.subtree(g.id)),
    )
    subtree = set(sim.state.subtree(top.id))
    group = gl.groups.get(top.id, lazy=True)
    got = group.projects.list(get_all=True, include_subgroups=True, with_shared=False, per_page=5)
    expected = {
        p.id
        for p in sim.state.projects.values()
        if p.namespace_kind == "group" and p.namespace_id in subtree
    }
    assert [p.id for p in got] and {p.id for p in got} == expected
    assert len(got) == len(expected)  # no duplicates across pages
    own = group.projects.list(get_all=True, with_shared=False)
    assert {p.id for p in own} == {
        p for p in expected if sim.state.projects[p].namespace_id == top.id
    }
    shared = group.projects.list(get_all=True, include_subgroups=True)
    assert {p.id for p in shared} >= expected
    archived = group.projects.list(get_all=True, include_subgroups=True, archived=True)
    assert all(p.archived for p in archived)
    simple = group.projects.list(include_subgroups=True, simple=True, per_page=3, get_all=False)
    assert "visibility" not in simple[0].attributes and "namespace" in simple[0].attributes


def test_project_by_id_and_path(sim: Simulator, gl: gitlab.Gitlab) -> None:
    p = next(iter(sim.state.projects.values()))
    assert gl.projects.get(p.id).path_with_namespace == p.path_with_namespace
    assert gl.projects.get(p.path_with_namespace).id == p.id


def test_pipelines_and_each_filter(sim: Simulator, gl: gitlab.Gitlab) -> None:
    pid = _pick_project(sim)
    truth = sim.state.pipelines(pid)
    project = gl.projects.get(pid, lazy=True)
    listed = project.pipelines.list(get_all=True, per_page=4)
    assert [p.id for p in listed] == sorted((p.id for p in truth), reverse=True)
    assert "duration" not in listed[0].attributes
    default = sim.state.projects[pid].default_branch
    assert {p.id for p in project.pipelines.list(get_all=True, ref=default)} == {
        p.id for p in truth if p.ref == default
    }
    for status in ("success", "failed"):
        got = project.pipelines.list(get_all=True, status=status)
        assert {p.id for p in got} == {p.id for p in truth if p.status == status}
    got = project.pipelines.list(get_all=True, source="push")
    assert {p.id for p in got} == {p.id for p in truth if p.source == "push"}
    middle = sorted(p.updated_at for p in truth)[len(truth) // 2]
    got = project.pipelines.list(get_all=True, updated_after=ts(middle))
    assert {p.id for p in got} == {p.id for p in truth if p.updated_at >= middle}  # inclusive
    got = project.pipelines.list(get_all=True, order_by="updated_at", sort="asc")
    assert [p.updated_at for p in got] == sorted(p.updated_at for p in got)
    finished = project.pipelines.list(get_all=True, scope="finished")
    assert all(p.status in ("success", "failed", "canceled") for p in finished)


def test_pipeline_details(sim: Simulator, gl: gitlab.Gitlab) -> None:
    pid = _pick_project(sim)
    truth = next(p for p in sim.state.pipelines(pid) if p.status == "success" or p.duration)
    got = gl.projects.get(pid, lazy=True).pipelines.get(truth.id)
    assert got.duration == truth.duration and got.queued_duration == truth.queued_duration
    assert got.user["username"] == sim.state.users[truth.user_id].username
    assert got.started_at == ts(truth.started_at) and got.detailed_status["group"] == truth.status


def test_failed_jobs_of_failed_pipelines(sim: Simulator, gl: gitlab.Gitlab) -> None:
    checked = 0
    for p in sim.state.projects.values():
        failed = [pl for pl in sim.state.pipelines(p.id) if pl.status == "failed"]
        if not failed:
            continue
        pipeline = gl.projects.get(p.id, lazy=True).pipelines.get(failed[-1].id, lazy=True)
        jobs = pipeline.jobs.list(get_all=True, scope=["failed"])
        truth = [j for j in sim.state.jobs(p.id, failed[-1].id) if j.status == "failed"]
        # Ci::JobsFinder: latest attempts, newest first.
        assert [j.id for j in jobs] == [j.id for j in reversed(truth)] and jobs
        assert all(j.failure_reason and j.stage for j in jobs)
        checked += 1
        if checked == 5:
            break
    assert checked == 5


def test_single_job_and_project_jobs(sim: Simulator, gl: gitlab.Gitlab) -> None:
    pid = _pick_project(sim)
    last = sim.state.pipelines(pid)[-1]
    job = sim.state.jobs(pid, last.id)[0]
    got = gl.projects.get(pid, lazy=True).jobs.get(job.id)
    assert got.name == job.name and got.pipeline["id"] == last.id
    listed = gl.projects.get(pid, lazy=True).jobs.list(per_page=5, get_all=False)
    assert listed[0].id == sim.state.jobs(pid, last.id)[-1].id


def test_branches(sim: Simulator, gl: gitlab.Gitlab) -> None:
    p = max(sim.state.projects.values(), key=lambda p: len(sim.state.branches(p.id)))
    truth = sim.state.branches(p.id)
    got = gl.projects.get(p.id, lazy=True).branches.list(get_all=True, per_page=3)
    assert [b.name for b in got] == [b.name for b in truth]
    assert [b.name for b in got if b.default] == [p.default_branch]
    slashed = next(b for b in truth if "/" in b.name)
    one = gl.projects.get(p.id, lazy=True).branches.get(slashed.name)
    assert one.commit["id"] == slashed.commit_sha
    assert any(
        not b.name.isascii() for p2 in list(sim.state.projects)[:80] for b in sim.state.branches(p2)
    )


def test_merge_requests_project_and_group(sim: Simulator, gl: gitlab.Gitlab) -> None:
    top = next(g for g in sim.state.groups.values() if g.parent_id is None)
    subtree = set(sim.state.subtree(top.id))
    truth = [
        m
        for p in sim.state.projects.values()
        if p.namespace_kind == "group" and p.namespace_id in subtree and not p.archived
        for m in sim.state.merge_requests(p.id)
    ]
    group = gl.groups.get(top.id, lazy=True)
    got = group.mergerequests.list(get_all=True, state="opened", per_page=10)
    assert {m.id for m in got} == {m.id for m in truth if m.state == "opened"}
    everything = group.mergerequests.list(get_all=True, state="all")
    assert {m.id for m in everything} == {m.id for m in truth}
    when = sim.state.now - timedelta(days=10)
    recent = group.mergerequests.list(get_all=True, updated_after=ts(when))
    assert {m.id for m in recent} == {m.id for m in truth if m.updated_at > when}
    every = [m for p in sim.state.projects for m in sim.state.merge_requests(p)]
    assert any(m.draft for m in every) and any(m.has_conflicts for m in every)
    assert {m.detailed_merge_status for m in every} >= {"mergeable", "not_open", "conflict"}
    pid = truth[0].project_id
    mine = gl.projects.get(pid, lazy=True).mergerequests.list(get_all=True)
    assert {m.iid for m in mine} == {m.iid for m in sim.state.merge_requests(pid)}


def test_user_clients_are_separate(sim: Simulator) -> None:
    user = sim.state.users[2]
    gl = client(sim, sim.user_token(user.username))
    gl.auth()
    assert gl.user is not None and gl.user.username == user.username
