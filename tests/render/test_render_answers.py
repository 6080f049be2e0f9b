"""The answers' view models: per project and across the organisation, from stored records."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from factories import GENERATED_AT, make_snapshot

from gldash_static.render import answers, views
from gldash_static.rules import limits


def _job(
    name: str, status: str, duration: float, queued: float, retried: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "status": status,
        "duration": duration,
        "queued_duration": queued,
        "retried": retried,
        "allow_failure": False,
        "failure_reason": "runner_system_failure" if status == "failed" else None,
    }


def _snapshot() -> Any:
    snap = make_snapshot(projects=3, seed=4)
    project = snap["sources"][0]["projects"][0]
    base = copy.deepcopy(project["pipelines"][0]) if project["pipelines"] else None
    assert base is not None
    pipelines = []
    for n in range(6):
        created = GENERATED_AT - timedelta(hours=n + 1)
        attempts = [_job("build", "success", 100.0 + 10 * n, 2.0 + n)]
        if n == 0:  # the newest: the slow job failed once, then passed
            attempts = [_job("build", "failed", 50.0, 60.0, retried=True), *attempts]
        pipelines.append(
            {
                **base,
                "id": 9000 - n,
                "ref": project["default_branch"],
                "status": "success",
                "short_sha": f"{n:08x}",
                "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "jobs": attempts,
                "test_report": None,
            }
        )
    project["pipelines"] = pipelines
    project["red_streak"] = None
    return snap, project


def test_job_percentiles_queues_and_flakes_of_one_project() -> None:
    _, raw = _snapshot()
    found = answers.for_project(raw, None)
    (build,) = found.jobs
    # Latest attempts' durations 100..150 (nearest rank); every attempt's queue, retried too.
    assert (build.runs, build.p50, build.p95) == (6, 120.0, 150.0)
    assert (build.queue_p50, build.queue_p95) == (5.0, 60.0)  # 2..7 and 60
    assert build.failed == 0 and build.flakes == 1
    (flaky,) = found.flaky
    assert (flaky.name, flaky.flakes, flaky.runs) == ("build", 1, 6)
    assert flaky.evidence[0].pipeline_id == 9000 and flaky.evidence[0].other_id is None
    assert found.streak is None and found.tests is None


def test_the_organisation_ranks_slow_jobs_queues_flakes_and_reasons() -> None:
    snap, raw = _snapshot()
    site = views.build(snap)
    assert site.answers is not None
    a = site.answers
    assert a.slow_jobs == sorted(a.slow_jobs, key=lambda item: -(item[1].p95 or 0))
    assert all(stat.runs >= limits.MIN_JOB_RUNS for _, stat in a.slow_jobs)
    assert any(p.id == raw["id"] and f.name == "build" for p, f in a.flaky)
    assert len(a.slow_jobs) <= limits.SLOW_JOBS and len(a.flaky) <= limits.FLAKY_JOBS
    # The retried failure of the last hours counts among the reasons, by its kind.
    assert dict(a.categories)["infrastructure"] >= 1
    assert sum(n for _, n in a.categories) == sum(r.count for r in a.reasons)


def test_a_streak_record_reaches_back_beyond_the_kept_pipelines() -> None:
    snap = make_snapshot(projects=20, seed=1)
    site = views.build(snap)
    red = [p for p in site.projects if p.failing]
    assert red
    raw = next(p for p in snap["sources"][0]["projects"] if p["id"] == red[0].id)
    raw["red_streak"] = {
        **raw["red_streak"],
        "started_at": "2026-01-01T00:00:00Z",
        "failed_pipelines": 99,
        "exact": False,
    }
    again = next(p for p in views.build(snap).projects if p.id == red[0].id)
    assert (
        again.red_since is not None and again.red_since.year == 2026 and again.red_since.month == 1
    )
    assert again.red_pipelines == 99 and not again.red_exact
    assert again.answers.streak is not None and again.answers.streak.commit_title
    longest = views.build(snap).broken_longest
    assert longest[0].id == red[0].id  # red longest: first in that order
