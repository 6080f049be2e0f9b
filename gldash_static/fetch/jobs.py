"""A pipeline's job attempts, from a REST listing or GraphQL nodes, as the snapshot keeps them.

A finished pipeline's listing gives both records it keeps (an unfinished one keeps no jobs
yet: they are read once it has finished): `jobs`, every attempt of every build job
(retried ones included: the answers about slow, queued and flaky jobs need them), and
`failed_jobs`, the failed latest attempts of a failed pipeline with their links.

REST's job entity has no `retried` field. GitLab's retry creates a new job with a higher id
and marks the old one retried (Ci::RetryJobService), and job names are unique within a
pipeline, so of the attempts sharing a name every one but the newest is retried. GraphQL's
CiJob says `retried` itself; where it does not (null), the same rule decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gldash_static.fetch import convert
from gldash_static.gitlab import ApiClient
from gldash_static.model import FINISHED_STATUSES, FailedJob, Job

# GitLab's highest job count in one pipeline is its ci_jobs_per_pipeline plan limit (no limit
# by default); a listing cut here still keeps the newest attempts, which are what pages show.
MAX_ATTEMPTS = 2_000


@dataclass(frozen=True)
class Attempt:
    """One job attempt as listed: its id, whether GitLab said it was retried, its record."""

    id: int
    retried: bool | None  # None: not said (REST), decided by the newer attempt's id
    raw: dict[str, Any]  # REST field names (see graphql_convert.job_fields)


def _superseded(attempts: Sequence[Attempt]) -> set[int]:
    """Ids of attempts a newer attempt of the same job replaced."""
    newest: dict[str, int] = {}
    for attempt in attempts:
        name = str(attempt.raw.get("name"))
        newest[name] = max(newest.get(name, 0), attempt.id)
    return {a.id for a in attempts if a.id != newest[str(a.raw.get("name"))]}


def records(attempts: Sequence[Attempt], failed: bool) -> tuple[list[Job], list[FailedJob]]:
    """`jobs` (oldest attempt first) and `failed_jobs` (of a failed pipeline only)."""
    ordered = sorted({a.id: a for a in attempts}.values(), key=lambda a: a.id)[-MAX_ATTEMPTS:]
    replaced = _superseded(ordered)
    jobs: list[Job] = []
    failed_jobs: list[FailedJob] = []
    for attempt in ordered:
        retried = attempt.retried if attempt.retried is not None else attempt.id in replaced
        job = convert.job(attempt.raw, retried)
        jobs.append(job)
        # As before jobs were kept: a passed pipeline's failed jobs were allowed to fail.
        if failed and not retried and job["status"] == "failed":
            failed_jobs.append(convert.failed_job({**attempt.raw, "id": attempt.id}))
    return jobs, failed_jobs


def from_rest(items: Sequence[dict[str, Any]], failed: bool) -> tuple[list[Job], list[FailedJob]]:
    """Both records from GET /projects/:id/pipelines/:pipeline_id/jobs?include_retried=true."""
    attempts = [
        Attempt(job_id, None, item)
        for item in items
        if (job_id := convert.raw_id(item)) is not None
    ]
    return records(attempts, failed)


def rest_jobs(
    api: ApiClient, path: str, status: str, *, failed_jobs: bool, all_jobs: bool
) -> tuple[list[Job] | None, list[FailedJob]]:
    """A pipeline's job attempts (None unless `all_jobs`) and its failed jobs (of a failed
    pipeline), from its REST jobs listing at `path`; nothing is asked when neither is wanted."""
    failed = failed_jobs and status == "failed"
    if status not in FINISHED_STATUSES:
        # Jobs are kept once their pipeline finished: a running one's change by the minute, and
        # asking for them at every refresh until it ends would make refreshes dearer.
        return ([] if all_jobs else None), []
    if all_jobs:
        every, found = from_rest(list(api.iterate(path, include_retried="true")), failed)
        return every, found
    if not failed:
        return None, []
    _, found = from_rest(list(api.iterate(path, **{"scope[]": "failed"})), True)
    return None, found
