"""View models: status roll-ups, aggregations and sort orders."""

from __future__ import annotations

from typing import Any

import pytest
from factories import make_snapshot

from gldash_static.errors import RenderError
from gldash_static.model import Pipeline, Snapshot
from gldash_static.render import records, views


def pipeline(pid: int, status: str, ref: str = "main", hour: int = 5, **extra: Any) -> Pipeline:
    """A pipeline created at 2026-11-28 `hour`:00 UTC (newest first is the caller's job)."""
    base: Pipeline = {
        "id": pid,
        "iid": pid,
        "ref": ref,
        "sha": "0" * 40,
        "status": status,
        "source": "push",
        "created_at": f"2026-11-28T{hour:02d}:00:00.000Z",
        "updated_at": f"2026-11-28T{hour:02d}:00:00.000Z",
        "started_at": None,
        "finished_at": None,
        "duration": 60.0,
        "queued_duration": None,
        "coverage": None,
        "web_url": f"https://gitlab.example.com/-/pipelines/{pid}",
        "username": "alice",
        "failed_jobs": [],
    }
    base.update(extra)  # type: ignore[typeddict-item]
    return base


def three_projects() -> Snapshot:
    snap = make_snapshot(projects=3)
    for project in snap["sources"][0]["projects"]:
        project["default_branch"] = "main"
    return snap


def test_state_of_maps_gitlab_statuses() -> None:
    assert views.state_of("success") == "success"
    assert views.state_of("pending") == "running"
    assert views.state_of("waiting_for_resource") == "running"
    assert views.state_of("manual") == "manual"
    assert views.state_of("something_new") == "none"
    # Not finished yet (Ci::HasStatus): shown as running, labelled as GitLab labels them.
    assert views.state_of("canceling") == "running"
    assert views.state_of("waiting_for_callback") == "running"
    assert records.status_label("canceling") == "canceling"
    assert records.status_label("waiting_for_callback") == "waiting for callback"


def test_project_state_comes_from_newest_default_branch_pipeline() -> None:
    snap = three_projects()
    p = snap["sources"][0]["projects"][0]
    p["pipelines"] = [
        pipeline(3, "failed", ref="feature", hour=5),
        pipeline(2, "success", hour=4),
        pipeline(1, "failed", hour=3),
    ]
    view = views.build(snap).by_key["100"]
    assert view.state == "success"
    assert not view.failing
    assert view.last is not None and view.last.id == 3
    assert view.head is not None and view.head.id == 2
    assert view.success_rate == 0.3333  # rules.facts.success_rate: to 0.01 %, as the archive


def test_running_pipeline_does_not_hide_a_failing_default_branch() -> None:
    snap = three_projects()
    p = snap["sources"][0]["projects"][0]
    p["pipelines"] = [pipeline(3, "running", hour=5), pipeline(2, "failed", hour=4)]
    view = views.build(snap).by_key["100"]
    assert view.state == "running"
    assert view.failing
    assert view.broken_by is not None and view.broken_by.id == 2


def test_no_pipelines_means_none_and_no_rate() -> None:
    snap = three_projects()
    snap["sources"][0]["projects"][0]["pipelines"] = []
    view = views.build(snap).by_key["100"]
    assert (view.state, view.success_rate, view.median_duration) == ("none", None, None)


def test_branch_hygiene_flags() -> None:
    snap = three_projects()
    p = snap["sources"][0]["projects"][0]
    p["branches"][0]["protected"] = False
    p["branches"][1].update(merged=False, committed_date="2026-01-01T00:00:00Z")
    view = views.build(snap, stale_days=30).by_key["100"]
    assert view.unprotected_default
    assert view.stale_branches == 1
    assert views.build(snap, stale_days=400).by_key["100"].stale_branches == 0


def test_merged_branches_are_not_stale() -> None:
    snap = three_projects()
    p = snap["sources"][0]["projects"][0]
    p["branches"][1].update(merged=True, committed_date="2026-01-01T00:00:00Z")
    view = views.build(snap).by_key["100"]
    assert (view.stale_branches, view.merged_branches) == (0, 1)


def test_groups_roll_up_over_subgroups() -> None:
    snap = make_snapshot(projects=9)
    site = views.build(snap)
    top = next(g for g in site.groups if g.path == "acme")
    assert len(top.projects) == 9
    assert {c.path for c in top.children} == {"acme/platform", "acme/payments", "acme/web"}
    assert top.failing == sum(c.failing for c in top.children)
    assert top.open_mrs == sum(len(p.merge_requests) for p in site.projects)
    if top.failing:
        assert top.state == "failed"


def test_group_projects_are_failing_first() -> None:
    site = views.build(make_snapshot(projects=30))
    for group in site.groups:
        keys = [views.urgency(p) for p in group.projects]
        assert keys == sorted(keys)


def test_lists_are_sorted_by_stable_keys() -> None:
    site = views.build(make_snapshot(projects=40, seed=3))
    paths = [p.path.lower() for p in site.projects]
    assert paths == sorted(paths)
    created = [pl.created for _, pl in site.recent_failures]
    assert created == sorted(created, reverse=True)  # type: ignore[type-var]
    mr_created = [m.created for _, m in site.merge_requests]
    assert mr_created == sorted(mr_created)  # type: ignore[type-var]
    failed_at = [p.broken_by.created for p in site.broken if p.broken_by]
    assert failed_at == sorted(failed_at, reverse=True)  # type: ignore[type-var]
    assert [p.failing for p in site.urgent] == sorted(
        (p.failing for p in site.urgent), reverse=True
    )


def test_tiles_count_window_and_failures() -> None:
    snap = three_projects()
    for n, p in enumerate(snap["sources"][0]["projects"]):
        p["pipelines"] = [pipeline(n * 10 + 1, "failed" if n == 0 else "success")]
    tiles = {t.label: t for t in views.build(snap).tiles}
    assert tiles["Projects"].value == "3"
    assert tiles["Pipelines"].value == "3"
    assert tiles["Failing"].value == "1" and tiles["Failing"].alert
    assert tiles["Success rate"].value == "67%"


def test_page_paths_come_from_ids_only() -> None:
    snap = make_snapshot(projects=2)
    second = make_snapshot(projects=1)["sources"][0]
    snap["sources"].append(second)
    site = views.build(snap)
    assert sorted(p.page for p in site.projects) == ["p/100.html", "p/101.html", "p/s1-100.html"]


@pytest.mark.parametrize("bad", ["../../etc/passwd", -1, 1.5, True, None])
def test_invalid_project_id_is_an_error(bad: object) -> None:
    snap = make_snapshot(projects=1)
    snap["sources"][0]["projects"][0]["id"] = bad  # type: ignore[typeddict-item]
    with pytest.raises(RenderError, match="invalid id"):
        views.build(snap)


def test_missing_generated_at_is_an_error() -> None:
    snap = make_snapshot(projects=1)
    snap["generated_at"] = "soon"
    with pytest.raises(RenderError, match="generated_at"):
        views.build(snap)
