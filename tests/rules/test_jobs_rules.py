"""Job attempt rules: flaky on retry or across re-runs of a commit, failure kinds, percentiles."""

from __future__ import annotations

from typing import Any, cast

import pytest

from gldash_static.model import Job, Pipeline
from gldash_static.rules import failures, jobs
from gldash_static.rules.stats import percentile


def job(name: str, status: str, retried: bool = False, allow: bool = False) -> Job:
    """A job attempt."""
    return cast(
        Job,
        {
            "name": name,
            "status": status,
            "duration": 10.0,
            "queued_duration": 1.0,
            "retried": retried,
            "allow_failure": allow,
            "failure_reason": "script_failure" if status == "failed" else None,
        },
    )


def pipeline(pid: int, sha: str, *attempts: Job, **extra: Any) -> Pipeline:
    """A pipeline with its attempts, oldest first."""
    return cast(Pipeline, {"id": pid, "short_sha": sha, "jobs": list(attempts), **extra})


def test_a_job_that_failed_then_passed_on_retry_is_flaky() -> None:
    p = pipeline(
        1, "a", job("unit", "failed", retried=True), job("lint", "success"), job("unit", "success")
    )
    assert jobs.passed_on_retry(p) == ["unit"]


@pytest.mark.parametrize(
    "attempts",
    [
        [job("unit", "failed", retried=True), job("unit", "failed")],  # retried, failed again
        [job("unit", "failed", retried=True, allow=True), job("unit", "success")],  # allowed
        [job("unit", "canceled", retried=True), job("unit", "success")],  # canceled, not failed
        [job("unit", "success")],
    ],
)
def test_not_flaky_on_retry(attempts: list[Job]) -> None:
    assert jobs.passed_on_retry(pipeline(1, "a", *attempts)) == []


def test_a_job_that_failed_and_passed_on_the_same_commit_flipped() -> None:
    runs = [
        pipeline(3, "abc", job("unit", "success"), job("lint", "failed")),
        pipeline(2, "abc", job("unit", "failed"), job("lint", "failed")),
        pipeline(1, "def", job("unit", "success")),
        pipeline(4, "", job("unit", "failed")),  # no commit known: never a flip
    ]
    assert jobs.commit_flips(runs) == [jobs.Flip("unit", "abc", failed=2, passed=3)]


def test_an_allowed_failure_never_flips_and_jobs_not_fetched_are_empty() -> None:
    runs = [
        pipeline(2, "abc", job("unit", "failed", allow=True)),
        pipeline(3, "abc", job("unit", "success")),
        cast(Pipeline, {"id": 4, "short_sha": "abc", "jobs": None}),
    ]
    assert jobs.commit_flips(runs) == []
    assert jobs.attempts(runs[2]) == []
    assert jobs.finished_runs(runs, "unit") == 2


def test_failure_kinds() -> None:
    assert failures.category("script_failure") == "code"
    assert failures.category("runner_system_failure") == "infrastructure"
    assert failures.category("job_execution_timeout") == "timeout"
    assert failures.category("stuck_or_timeout_failure") == "timeout"
    assert failures.category("missing_dependency_failure") == "other"
    assert failures.category(None) == "other" and failures.category("<b>") == "other"
    assert set(failures.LABELS) == set(failures.CATEGORIES)


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert percentile([float(n) for n in range(1, 101)], 0.95) == 95.0
    assert percentile([7.26], 0.95) == 7.3
