"""The simulator clock: new and finished pipelines, updated_after, renames and deletions."""

from __future__ import annotations

from datetime import UTC, datetime

import gitlab
import pytest
from sim_helpers import client

from gldash_static.simulator import DEFAULT_NOW, OrgSpec, Simulator
from gldash_static.simulator.serialize import ts


def _all_pipelines(gl: gitlab.Gitlab, pid: int, **filters: str) -> dict[int, tuple[str, str]]:
    got = gl.projects.get(pid, lazy=True).pipelines.list(get_all=True, per_page=100, **filters)
    return {p.id: (p.status, p.updated_at) for p in got}


def test_clock_starts_at_spec_now_not_wall_clock() -> None:
    sim = Simulator(OrgSpec(projects=10))
    assert sim.clock.now == DEFAULT_NOW == datetime(2026, 11, 28, 6, tzinfo=UTC)
    assert max(p.last_activity_at for p in sim.state.projects.values()) <= DEFAULT_NOW
    with pytest.raises(ValueError):
        sim.clock.advance(hours=-1)


def test_advance_creates_and_finishes_pipelines_and_updated_after_sees_them() -> None:
    with Simulator(OrgSpec(projects=80, seed=4)) as sim:
        gl = client(sim)
        before = {pid: _all_pipelines(gl, pid) for pid in sim.state.projects}
        running = {
            pl.id
            for pid in sim.state.projects
            for pl in sim.state.pipelines(pid)
            if pl.status in ("running", "pending")
        }
        assert running, "the seed should start with running or pending pipelines"
        t0 = sim.clock.now
        sim.clock.advance(hours=6)
        new_seen = finished_seen = 0
        for pid in sim.state.projects:
            after = _all_pipelines(gl, pid)
            changed = {
                i for i, v in after.items() if before[pid].get(i) != v
            }  # new or updated since t0
            assert set(_all_pipelines(gl, pid, updated_after=ts(t0))) == changed
            new_seen += len(set(after) - set(before[pid]))
            finished_seen += sum(
                1 for i in running if i in after and after[i][0] not in ("running", "pending")
            )
            for i, (status, updated) in after.items():
                if i in before[pid] and before[pid][i] != (status, updated):
                    assert updated > before[pid][i][1]
        assert new_seen > 0 and finished_seen > 0
        active = [p for p in sim.state.projects.values() if p.last_activity_at > t0]
        got = gl.projects.list(get_all=True, last_activity_after=ts(t0))
        assert {p.id for p in got} == {p.id for p in active} and active


def test_finished_pipelines_never_change() -> None:
    with Simulator(OrgSpec(projects=40, seed=9)) as sim:
        done = {
            pl.id: (pl.status, pl.updated_at)
            for pid in sim.state.projects
            for pl in sim.state.pipelines(pid)
            if pl.status in ("success", "failed", "canceled", "skipped")
        }
        sim.clock.advance(days=2)
        for pid in sim.state.projects:
            for pl in sim.state.pipelines(pid):
                if pl.id in done:
                    assert (pl.status, pl.updated_at) == done[pl.id]


def test_branches_and_merge_requests_evolve() -> None:
    with Simulator(OrgSpec(projects=60, seed=2)) as sim:
        branches = {pid: {b.name for b in sim.state.branches(pid)} for pid in sim.state.projects}
        opened = {
            m.id for pid in sim.state.projects for m in sim.state.merge_requests(pid)
            if m.state == "opened"
        }  # fmt: skip
        for _ in range(6):
            sim.clock.advance(hours=12)
        created = deleted = merged = 0
        for pid in sim.state.projects:
            now = {b.name for b in sim.state.branches(pid)}
            created += len(now - branches[pid])
            deleted += len(branches[pid] - now)
            merged += sum(
                1 for m in sim.state.merge_requests(pid) if m.id in opened and m.state == "merged"
            )
        assert created and deleted and merged


def test_delete_and_rename(fresh_sim: Simulator) -> None:
    gl = client(fresh_sim)
    doomed, renamed = sorted(fresh_sim.state.projects)[:2]
    old_path = fresh_sim.state.projects[renamed].path_with_namespace
    fresh_sim.delete_project(doomed)
    fresh_sim.rename_project(renamed, "brand-new")
    with pytest.raises(gitlab.GitlabGetError):
        gl.projects.get(doomed)
    assert doomed not in {p.id for p in gl.projects.list(get_all=True, per_page=100)}
    p = gl.projects.get(renamed)
    assert p.path == "brand-new" and p.path_with_namespace.endswith("/brand-new")
    assert gl.projects.get(old_path).id == renamed  # the old path redirects


def test_clock_may_delete_and_rename_deterministically() -> None:
    def run() -> tuple[set[int], list[str]]:
        sim = Simulator(OrgSpec(projects=50, seed=6))
        for _ in range(10):
            sim.clock.advance(days=1)
        paths = [p.path_with_namespace for p in sim.state.projects.values()]
        return set(sim.state.deleted_projects), paths

    first = run()
    assert first == run()
    assert first[0]  # ten simulated days delete something
