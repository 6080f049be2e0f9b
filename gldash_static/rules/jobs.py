"""Facts about job attempts: which failures count, and when a job is flaky.

A job is flaky when it failed and then passed on retry in the same pipeline (GitLab keeps
the retried attempt), or when it failed in one pipeline and passed in another on the same
commit (someone ran the pipeline again). A failure allowed to fail counts for neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gldash_static.model import Job, Pipeline

FINISHED = frozenset({"success", "failed"})


def attempts(pipeline: Pipeline) -> list[Job]:
    """Every job attempt of a pipeline, oldest first ([] when its jobs were not fetched)."""
    jobs = pipeline.get("jobs")
    return [j for j in jobs if isinstance(j, dict)] if isinstance(jobs, list) else []


def counted_failure(job: Job) -> bool:
    """A failed attempt that was not allowed to fail."""
    return job.get("status") == "failed" and not job.get("allow_failure")


def latest(pipeline: Pipeline) -> dict[str, Job]:
    """The latest attempt of each job of a pipeline, by name."""
    return {str(j.get("name")): j for j in attempts(pipeline) if not j.get("retried")}


def passed_on_retry(pipeline: Pipeline) -> list[str]:
    """Names of the pipeline's jobs that failed, were retried and then passed."""
    failed_before = {
        str(j.get("name")) for j in attempts(pipeline) if j.get("retried") and counted_failure(j)
    }
    return sorted(
        name
        for name, job in latest(pipeline).items()
        if name in failed_before and job.get("status") == "success"
    )


@dataclass(frozen=True)
class Flip:
    """A job that failed in one pipeline and passed in another on the same commit."""

    name: str
    short_sha: str
    failed: int  # pipeline ids
    passed: int


def commit_flips(pipelines: Iterable[Pipeline]) -> list[Flip]:
    """Every job whose latest attempts disagree across pipelines of the same commit."""
    outcomes: dict[tuple[str, str], dict[str, int]] = {}
    for pipeline in sorted(pipelines, key=lambda p: int(p.get("id") or 0)):
        sha = str(pipeline.get("short_sha") or "")
        if not sha:
            continue
        for name, job in latest(pipeline).items():
            status = job.get("status")
            if status == "success" or counted_failure(job):
                # The first pipeline of each outcome is the evidence.
                outcomes.setdefault((name, sha), {}).setdefault(str(status), int(pipeline["id"]))
    return [
        Flip(name, sha, seen["failed"], seen["success"])
        for (name, sha), seen in sorted(outcomes.items())
        if "failed" in seen and "success" in seen
    ]


def finished_runs(pipelines: Sequence[Pipeline], name: str) -> int:
    """In how many of `pipelines` the job `name` ran to an outcome (passed or failed)."""
    found = (latest(p).get(name) for p in pipelines)
    return sum(1 for job in found if job is not None and job.get("status") in FINISHED)
