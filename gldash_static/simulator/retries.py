"""Retried jobs: the attempts GitLab keeps when a job is run again.

Ci::RetryJobService clones a job into a new one, with a new and higher id, and marks the old
attempt `retried`; both stay in the pipeline. Here a finished pipeline's job that passed
sometimes failed first (more often in a flaky project's test stage), and a failed
pipeline's failed job was sometimes retried and failed again. The earlier attempt keeps the
job's id (pipeline id * 100 + n), its retry gets pipeline id * 100 + RETRY_OFFSET + n.
Both attempts share the time the job had, so the pipeline's times stay as they were, and
the decisions come from draws of their own (seed, "retry", pipeline id, job name).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from gldash_static.simulator import names
from gldash_static.simulator.model import FINISHED_STATUSES, Job, Pipeline, Project

RETRY_OFFSET = 50  # above every job number of a pipeline: a retry is the newest job
PRONE_STAGES = frozenset({"test", "check"})  # where flaky tests live
# Why a first attempt that a retry fixed had failed: mostly a flaky test, else the runner.
FIRST_FAILURES = ("script_failure", "runner_system_failure", "stuck_or_timeout_failure")
FIRST_FAILURE_WEIGHTS = (7, 2, 1)


def _chance(project: Project, job: Job, failed_again: bool) -> float:
    flaky = project.health == "flaky"
    if failed_again:
        return 0.3 if flaky else 0.1
    if flaky:
        return 0.2 if job.stage in PRONE_STAGES else 0.05
    return 0.02


def _split(seed: int, p: Pipeline, job: Job, project: Project) -> tuple[Job, Job] | None:
    """(earlier attempt, retry) of a finished job, or None if it ran once."""
    if job.allow_failure or job.started_at is None or job.finished_at is None:
        return None
    if job.duration is None:
        return None
    failed_again = job.status == "failed" and p.status == "failed"
    if job.status != "success" and not failed_again:
        return None
    if names.unit(seed, "retry", p.id, job.name) >= _chance(project, job, failed_again):
        return None
    r = names.rng(seed, "retry", p.id, job.name)
    reason = job.failure_reason if failed_again else None
    if reason is None:
        reason = r.choices(FIRST_FAILURES, FIRST_FAILURE_WEIGHTS)[0]
    # The first attempt fails part-way; the retry is created at once (`retry:` or a click)
    # and finishes when the job did.
    first = round(job.duration * r.uniform(0.25, 0.55), 3)
    gap = round(job.duration * r.uniform(0.02, 0.1), 3)
    first_end = job.started_at + timedelta(seconds=first)
    retry_start = first_end + timedelta(seconds=gap)
    earlier = replace(
        job,
        status="failed",
        failure_reason=reason,
        finished_at=first_end,
        duration=first,
        coverage=None,
        retried=True,
        artifacts_expire_at=first_end + timedelta(days=30),
    )
    retry = replace(
        job,
        id=job.id + RETRY_OFFSET,
        created_at=first_end,
        started_at=retry_start,
        queued_duration=gap,
        duration=round((job.finished_at - retry_start).total_seconds(), 3),
    )
    return earlier, retry


def attempts(seed: int, project: Project, p: Pipeline, latest: list[Job]) -> list[Job]:
    """Every attempt of the pipeline's jobs, ascending id, given their latest attempts."""
    if p.plan is not None or p.status not in FINISHED_STATUSES:
        return latest  # retries of a pipeline still at work are not modelled
    out: list[Job] = []
    for job in latest:
        pair = _split(seed, p, job, project)
        out.extend(pair if pair is not None else (job,))
    return sorted(out, key=lambda j: j.id)
