"""Turn GitLab GraphQL nodes into the same snapshot records REST answers become.

GraphQL names and shapes differ from REST (global IDs, `iid` as a string, upper-case
statuses, relative paths, no `failure_reason` on a job), so each node is mapped onto the
REST field names and then goes through `convert`, the one place where GitLab's values are
checked and bounded. A node that is not what GitLab sends gives None: its project is then
asked over REST, which can tell "none" from "not allowed".
"""

from __future__ import annotations

from typing import Any

from gldash_static.fetch import convert
from gldash_static.fetch.jobs import Attempt
from gldash_static.gitlab import failure_reasons
from gldash_static.model import FailedJob, Job, Pipeline

PIPELINE_GID = "gid://gitlab/Ci::Pipeline/"
PROJECT_GID = "gid://gitlab/Project/"
# JobID's model is CommitStatus; a build's global ID names its class (Ci::Build).
JOB_GIDS = ("gid://gitlab/Ci::Build/", "gid://gitlab/CommitStatus/")


def _digits(text: str) -> bool:
    """ASCII digits that fit a bigint (str.isdigit alone admits "²", which int() refuses)."""
    return text.isascii() and text.isdigit() and len(text) <= 19


def number(gid: object, *prefixes: str) -> int | None:
    """The positive integer of a global ID with one of `prefixes`, or None."""
    if not isinstance(gid, str):
        return None
    for prefix in prefixes:
        if gid.startswith(prefix):
            digits = gid[len(prefix) :]
            if _digits(digits):
                return convert.raw_id({"id": int(digits)})
    return None


def pipeline(
    node: object, project_url: str, failed_jobs: list[FailedJob], jobs: list[Job] | None
) -> Pipeline | None:
    """A pipeline record from a `Pipeline` node; `project_url` is the project's web_url.

    Links are built from the project's web_url as REST writes them (GraphQL gives paths
    relative to an origin it does not name).
    """
    if not isinstance(node, dict):
        return None
    pid = number(node.get("id"), PIPELINE_GID)
    iid = node.get("iid")
    status = node.get("status")
    if pid is None or not isinstance(status, str) or not isinstance(iid, str | None):
        return None
    user = node.get("user")
    raw = {
        "id": pid,
        "iid": int(iid) if isinstance(iid, str) and _digits(iid) else None,
        "ref": node.get("ref"),
        "sha": node.get("sha"),
        "status": status.lower(),
        "source": node.get("source"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "started_at": node.get("startedAt"),
        "finished_at": node.get("finishedAt"),
        "duration": node.get("duration"),
        "queued_duration": node.get("queuedDuration"),
        "coverage": node.get("coverage"),
        "web_url": f"{project_url}/-/pipelines/{pid}",
        "user": user if isinstance(user, dict) else None,
    }
    return convert.pipeline(raw, failed_jobs, jobs)


def attempt(node: object, project_url: str) -> Attempt | None:
    """A job attempt from a `CiJob` node, in REST's field names; its failure reason is read
    from the status tooltip (CiJob has no failureReason)."""
    if not isinstance(node, dict):
        return None
    job_id = number(node.get("id"), *JOB_GIDS)
    status = node.get("status")
    if job_id is None or not isinstance(status, str):
        return None
    stage = node.get("stage")
    detailed = node.get("detailedStatus")
    failed = status.upper() == "FAILED"
    raw = {
        "id": job_id,
        "name": node.get("name"),
        "stage": stage.get("name") if isinstance(stage, dict) else None,
        "status": status.lower(),
        "failure_reason": failure_reasons.reason_of(
            detailed.get("tooltip") if isinstance(detailed, dict) else None,
            node.get("failureMessage"),
        )
        if failed
        else None,
        "allow_failure": node.get("allowFailure") is True,
        "duration": node.get("duration"),
        "queued_duration": node.get("queuedDuration"),
        "web_url": f"{project_url}/-/jobs/{job_id}",
    }
    retried = node.get("retried")
    return Attempt(job_id, retried if isinstance(retried, bool) else None, raw)


def connection(value: object) -> tuple[list[Any], str | None] | None:
    """A connection's nodes and the cursor of its next page (None: last page); None if
    the value is not a connection."""
    if not isinstance(value, dict):
        return None
    nodes, page = value.get("nodes"), value.get("pageInfo")
    if not isinstance(nodes, list) or not isinstance(page, dict):
        return None
    cursor = page.get("endCursor")
    more = page.get("hasNextPage") is True
    if more and (not isinstance(cursor, str) or not cursor or len(cursor) > 1000):
        return None  # "there is more" with no way to ask for it
    return nodes, cursor if more else None
