"""The fetch against GitLab's small truths: inclusive `updated_after`, `canceling`, empty
repositories that say "main", and group answers that would embed every project."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fetch_helpers import SELECTION_ONLY, run_fetch, second

from gldash_static.config import Config
from gldash_static.fetch import convert
from gldash_static.model import Project, Snapshot
from gldash_static.simulator import Simulator, history
from gldash_static.simulator.model import Pipeline, PipelinePlan


def test_empty_repo_decides_over_the_default_branch() -> None:
    empty = convert.project({"id": 1, "empty_repo": True, "default_branch": "main"}, "t")
    assert (empty["empty_repo"], empty["default_branch"]) == (True, None)
    code = convert.project({"id": 2, "empty_repo": False, "default_branch": "trunk"}, "t")
    assert (code["empty_repo"], code["default_branch"]) == (False, "trunk")
    no_code_access = convert.project({"id": 3, "empty_repo": False}, "t")
    assert no_code_access["empty_repo"] is False


def test_configured_groups_are_read_without_their_embedded_projects(
    tiny_sim: Simulator, config_for: Callable[..., Config]
) -> None:
    sim = tiny_sim
    asked: list[list[tuple[str, str]]] = []

    def watch(template: str, _path: str, query: list[tuple[str, str]]) -> None:
        if template == "GET /groups/:id":
            asked.append(query)

    sim.on_request(watch)
    assert run_fetch(config_for(sim, SELECTION_ONLY)).complete
    assert asked and all(("with_projects", "false") in q for q in asked)


def _project(snapshot: Snapshot, project_id: int) -> Project:
    return next(p for p in snapshot["sources"][0]["projects"] if p["id"] == project_id)


def _still_going(sim: Simulator, final: str, finish_in: timedelta) -> tuple[int, Pipeline]:
    """A pipeline on a fetched project's default branch that ends `finish_in` from now."""
    state = sim.state
    now = state.now
    project = next(
        p
        for p in state.projects.values()
        if not p.empty_repo
        and not p.archived
        and p.visibility in ("public", "internal")
        and p.default_branch
        and not p.shared_with_group_ids
    )
    assert project.default_branch is not None
    with state.changing():
        pipeline = history.new_pipeline(
            random.Random(1),
            state.spec.seed,
            project,
            state.detail(project.id),
            now - timedelta(minutes=2),
            now,
            ref=project.default_branch,
            source="web",
            user_id=project.creator_id,
            status=final,
        )
        plan = PipelinePlan(final, now - timedelta(minutes=1), now + finish_in)
        pipeline.plan = plan
        # Still going when the first fetch reads it, even if it ends before the clock moves.
        history.advance_pipeline(pipeline, min(now, plan.finished_at - timedelta(seconds=1)))
    return project.id, pipeline


def _records(snapshot: Snapshot, project_id: int, pipeline_id: int) -> list[Any]:
    return [pl for pl in _project(snapshot, project_id)["pipelines"] if pl["id"] == pipeline_id]


def test_a_pipeline_updated_exactly_at_the_watermark_is_read_again_once(
    tiny_sim: Simulator, config_for: Callable[..., Config]
) -> None:
    # No margin: the refresh asks for updated_after = the previous fetch's start, exactly
    # when this pipeline finishes (GitLab's `>=` includes it; `>` would keep it running).
    sim = tiny_sim
    config = config_for(sim, "fetch:\n  incremental_margin_s: 0\n")
    watermark = sim.state.now
    project_id, pipeline = _still_going(sim, "success", -timedelta(milliseconds=10))
    first = run_fetch(config).snapshot
    assert [pl["status"] for pl in _records(first, project_id, pipeline.id)] == ["running"]
    sim.clock.advance(hours=1)
    truth = next(p for p in sim.state.pipelines(project_id) if p.id == pipeline.id)
    assert truth.status == "success" and truth.updated_at == watermark
    refreshed = run_fetch(config, previous=first).snapshot
    (record,) = _records(refreshed, project_id, pipeline.id)  # once, not twice
    assert (record["status"], record["updated_at"]) == ("success", second(watermark))


def test_a_canceling_pipeline_is_read_again_until_canceled(
    tiny_sim: Simulator, config_for: Callable[..., Config]
) -> None:
    sim = tiny_sim
    config = config_for(sim)
    project_id, pipeline = _still_going(sim, "canceled", timedelta(seconds=30))
    first = run_fetch(config).snapshot
    assert [pl["status"] for pl in _records(first, project_id, pipeline.id)] == ["canceling"]
    sim.clock.advance(hours=1)
    refreshed = run_fetch(config, previous=first).snapshot
    (record,) = _records(refreshed, project_id, pipeline.id)
    assert record["status"] == "canceled"
