"""Pipeline triggers and pipeline schedules of the dashboard project, through python-gitlab."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import gitlab

from gldash_static.errors import GldashError
from gldash_static.gitlab import http
from gldash_static.gitlab.errors import FAILURES, failure

TIMEOUT_S = 30.0
SCOPE_HINT = "schedules need a token with the `api` scope (read_api is not enough)"
# GitLab limits schedules per project (10 on GitLab.com); a list longer than this is a
# server that never ends it, and guessing "not there" would create a duplicate.
MAX_SCHEDULES = 10_000

T = TypeVar("T")


class PipelineApiError(GldashError):
    """Triggering a pipeline or saving a schedule failed."""


@dataclass(frozen=True)
class TriggeredPipeline:
    """The pipeline a trigger created."""

    id: int
    status: str
    web_url: str


@dataclass(frozen=True)
class ScheduleResult:
    """The schedule after `upsert_schedule`, and whether it was created or updated."""

    id: int
    action: str  # "created", "updated" or "unchanged"
    description: str
    cron: str
    cron_timezone: str
    ref: str
    active: bool
    next_run_at: str | None


def _client(url: str, token: str | None) -> gitlab.Gitlab:
    # Transient 5xx are retried: a trigger is idempotent enough (at worst one extra pipeline,
    # which the Pages job's resource_group serialises) and schedule updates are idempotent.
    return http.gitlab_client(url, token=token, timeout=TIMEOUT_S, retry_transient_errors=True)


def _guard(what: str, action: Callable[[], T], not_found: str, forbidden: str) -> T:
    """Run `action`, turning python-gitlab and requests failures into one clean line."""
    try:
        return action()
    except FAILURES as exc:
        failed = failure(exc, TIMEOUT_S)
        # 404 and 403 mean different things for a trigger and a schedule: the caller says.
        reason = {404: not_found, 403: forbidden}.get(failed.status or 0, failed.message)
        raise PipelineApiError(f"{what}: {reason}") from None  # see gitlab.errors


def trigger_pipeline(
    url: str, project: str | int, ref: str, trigger_token: str, variables: dict[str, str]
) -> TriggeredPipeline:
    """Start a pipeline on `ref` with a pipeline trigger token (no personal token involved)."""
    what = f"trigger pipeline on {ref} of project {project}"

    def call() -> Any:
        # The trigger token travels in the body: the client refuses any redirect elsewhere
        # (a 307 would resend the body).
        with _client(url, None) as gl:
            project_api = gl.projects.get(project, lazy=True)
            return project_api.trigger_pipeline(ref, trigger_token, variables)

    # GitLab answers a wrong trigger token with 404, indistinguishable from a missing project.
    pipeline = _guard(
        what,
        call,
        "GitLab refused the trigger token (404: wrong or revoked token, or no such project)",
        "the trigger's owner may not run pipelines on this ref (403)",
    )
    attrs: dict[str, Any] = pipeline.attributes
    return TriggeredPipeline(
        int(attrs.get("id") or 0), str(attrs.get("status") or ""), str(attrs.get("web_url") or "")
    )


def _result(schedule: Any, action: str) -> ScheduleResult:
    a: dict[str, Any] = schedule.attributes
    next_run = a.get("next_run_at")
    return ScheduleResult(
        id=int(a["id"]),
        action=action,
        description=str(a.get("description") or ""),
        cron=str(a.get("cron") or ""),
        cron_timezone=str(a.get("cron_timezone") or ""),
        ref=str(a.get("ref") or ""),
        active=bool(a.get("active")),
        next_run_at=str(next_run) if next_run else None,
    )


def _short_ref(ref: str) -> str:
    # GitLab stores a schedule's ref as given but newer versions expand it to refs/heads/...
    return ref.removeprefix("refs/heads/")


def upsert_schedule(
    url: str,
    token: str,
    project: str | int,
    description: str,
    cron: str,
    cron_timezone: str,
    ref: str,
) -> ScheduleResult:
    """Create the schedule named `description`, or bring the existing one in line; idempotent."""
    what = f"pipeline schedule {description!r} of project {project}"
    forbidden = (
        f"the token may not manage pipeline schedules (403): {SCOPE_HINT}, and a user who may "
        "run pipelines on the branch (Developer or above; only a schedule's owner may edit it)"
    )
    wanted = {"cron": cron, "cron_timezone": cron_timezone, "ref": _short_ref(ref), "active": True}

    def call() -> ScheduleResult:
        with _client(url, token) as gl:
            return _upsert(gl.projects.get(project, lazy=True).pipelineschedules)

    def _upsert(schedules: Any) -> ScheduleResult:
        listed = itertools.islice(schedules.list(iterator=True), MAX_SCHEDULES + 1)
        for count, existing in enumerate(listed, 1):
            if count > MAX_SCHEDULES:
                raise PipelineApiError(
                    f"{what}: GitLab listed more than {MAX_SCHEDULES:,} schedules"
                )
            if existing.attributes.get("description") != description:
                continue
            a = existing.attributes
            current = {
                "cron": a.get("cron"),
                "cron_timezone": a.get("cron_timezone"),
                "ref": _short_ref(str(a.get("ref") or "")),
                "active": a.get("active"),
            }
            if current == wanted:
                return _result(existing, "unchanged")
            for key, value in wanted.items():
                setattr(existing, key, value)
            existing.save()
            return _result(existing, "updated")
        created = schedules.create({"description": description, **wanted})
        return _result(created, "created")

    return _guard(what, call, "project not found, or the token cannot see it (404)", forbidden)
