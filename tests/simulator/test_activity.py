"""last_activity_at as GitLab moves it: through events only, at most once an hour per project."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import gitlab
from sim_helpers import client

from gldash_static.simulator import OrgSpec, Simulator
from gldash_static.simulator.activity import RESET_PROJECT_ACTIVITY_INTERVAL
from gldash_static.simulator.serialize import ts

ORG = OrgSpec(projects=80, seed=5)
HOUR = RESET_PROJECT_ACTIVITY_INTERVAL


def _listed_activity(gl: gitlab.Gitlab) -> dict[int, str]:
    return {p.id: p.last_activity_at for p in gl.projects.list(get_all=True, per_page=100)}


def _quiet_project(sim: Simulator) -> int:
    """A project with commits and no activity of its own, last active over an hour ago."""
    pid = next(
        p.id
        for p in sorted(sim.state.projects.values(), key=lambda p: p.id)
        if not p.empty_repo and not p.archived and p.last_activity_at < sim.clock.now - HOUR
    )
    sim.state.projects[pid].activity = 0.0
    return pid


def test_last_activity_moves_at_most_once_an_hour_and_only_through_events() -> None:
    sim = Simulator(ORG)
    history: dict[int, list[datetime]] = {p: [] for p in sim.state.projects}
    pushes_hidden = 0
    for _ in range(72):  # three days in 20-minute steps
        before = {p.id: p.last_activity_at for p in sim.state.projects.values()}
        heads = {pid: {b.name: b.commit_sha for b in sim.state.branches(pid)} for pid in before}
        sim.clock.advance(minutes=20)
        for pid, old in before.items():
            if pid not in sim.state.projects:
                continue
            new = sim.state.projects[pid].last_activity_at
            if new != old:
                assert new - old >= HOUR, (pid, old, new)
                history[pid].append(new)
            pushed = any(
                heads[pid].get(b.name) not in (None, b.commit_sha) for b in sim.state.branches(pid)
            )
            pushes_hidden += pushed and new == old
    assert sum(map(len, history.values())) > 20  # activity does move it
    assert pushes_hidden > 0  # and some pushes land within the hour of the last move


def test_pipelines_without_events_leave_last_activity_alone() -> None:
    with Simulator(ORG) as sim:
        gl = client(sim)
        pid = _quiet_project(sim)
        before = _listed_activity(gl)
        ref = sim.state.projects[pid].default_branch
        assert ref is not None
        sim.state.trigger_pipeline(pid, ref, {}, source="api")
        sim.state.trigger_pipeline(pid, ref, {}, source="trigger")
        assert _listed_activity(gl)[pid] == before[pid]
        # Nightly schedules run on every fifth project and create no event either.
        scheduled = [p for p in sim.state.projects.values() if p.id % 5 == 0 and not p.archived]
        for p in scheduled:
            p.activity = 0.0
        start = sim.clock.now
        sim.clock.advance(days=2)
        runs = [
            pl
            for p in scheduled
            if p.id in sim.state.projects
            for pl in sim.state.pipelines(p.id)
            if pl.source == "schedule" and pl.created_at > start
        ]
        assert runs
        after = _listed_activity(gl)
        assert all(after[p.id] == before[p.id] for p in scheduled if p.id in after)


def test_a_push_within_the_hour_leaves_last_activity_with_or_without_pipeline() -> None:
    sim = Simulator(ORG)
    pid = _quiet_project(sim)
    project = sim.state.projects[pid]
    ref = project.default_branch
    assert ref is not None
    first = sim.state.pipelines(pid)[-1].id if sim.state.pipelines(pid) else 0
    sim.state.push(pid, ref)  # over an hour since the last event: moves it
    moved = project.last_activity_at
    assert moved == sim.clock.now
    sim.clock.advance(minutes=20)
    head = sim.state.push(pid, "feature/quiet-work", pipeline=False)
    assert [pl.ref for pl in sim.state.pipelines(pid) if pl.id > first] == [ref]
    assert head.committed_at == sim.clock.now and "feature/quiet-work" in {
        b.name for b in sim.state.branches(pid)
    }
    sim.clock.advance(minutes=39)
    sim.state.push(pid, ref, pipeline=False)  # [skip ci]
    assert next(b for b in sim.state.branches(pid) if b.default).commit_title.endswith("[skip ci]")
    assert project.last_activity_at == moved  # 59 minutes: still "updated recently"
    sim.clock.advance(minutes=1)
    sim.state.push(pid, ref)
    assert project.last_activity_at == sim.clock.now == moved + HOUR


def test_the_kind_behaviour_is_selectable() -> None:
    sim = Simulator(replace(ORG, throttle_activity=False))
    pid = _quiet_project(sim)
    sim.state.push(pid, "main-ish")
    sim.clock.advance(minutes=5)
    sim.state.push(pid, "main-ish", pipeline=False)
    assert sim.state.projects[pid].last_activity_at == sim.clock.now


def test_same_seed_and_steps_give_the_same_activity() -> None:
    def run() -> list[tuple[int, str, list[tuple[str, str]], int]]:
        sim = Simulator(ORG)
        for hours in (0.3, 0.5, 2, 7, 0.1, 24):
            sim.clock.advance(hours=hours)
        return [
            (
                p.id,
                ts(p.last_activity_at),
                [(b.name, b.commit_sha) for b in sim.state.branches(p.id)],
                len(sim.state.pipelines(p.id)),
            )
            for p in sorted(sim.state.projects.values(), key=lambda p: p.id)
        ]

    assert run() == run()


def test_ties_in_updated_at_come_in_a_different_order_on_each_page() -> None:
    """Ci::PipelinesFinder orders by the one column asked for: ties have no stable order."""
    with Simulator(ORG, max_per_page=4) as sim:
        gl = client(sim)
        pid = _quiet_project(sim)
        ref = sim.state.projects[pid].default_branch
        assert ref is not None
        tied = {sim.state.trigger_pipeline(pid, ref, {}, source="api").id for _ in range(10)}
        project = gl.projects.get(pid, lazy=True)
        since = ts(sim.clock.now - timedelta(seconds=1))
        by_time = project.pipelines.list(
            get_all=True, updated_after=since, order_by="updated_at", sort="desc"
        )
        seen = [p.id for p in by_time]
        assert len(seen) == 10 and set(seen) != tied  # some repeated, some never shown
        by_id = project.pipelines.list(get_all=True, updated_after=since, order_by="id")
        assert [p.id for p in by_id] == sorted(tied, reverse=True)
