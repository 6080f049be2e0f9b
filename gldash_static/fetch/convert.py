"""Turn GitLab API records into snapshot records: only the fields we publish, never e-mails."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast

from gldash_static.model import (
    Branch,
    FailedJob,
    Group,
    MergeRequest,
    Pipeline,
    Project,
    Visibility,
)

VISIBILITIES = ("public", "internal", "private")


@dataclass(frozen=True)
class ProjectFeatures:
    """Project features that decide which requests can succeed (GitLab answers 403 otherwise)."""

    pipelines: bool = True
    merge_requests: bool = True
    repository: bool = True


# JSON may carry \ud800-style escapes; such lone surrogates cannot be written as UTF-8.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", value)


def _str(value: Any) -> str:
    return _text(value) if isinstance(value, str) else ("" if value is None else str(value))


def _opt_str(value: Any) -> str | None:
    return _text(value) if isinstance(value, str) else None


def _opt_num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        if isinstance(value, str):
            try:
                return float(value)  # GitLab sends coverage as a string such as "87.5"
            except ValueError:
                return None
        return None
    return float(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _visibility(value: Any) -> Visibility:
    # Unknown values are treated as the most restrictive so they are never published by mistake.
    return cast(Visibility, value) if value in VISIBILITIES else "private"


def group(raw: dict[str, Any]) -> Group:
    """A group from GET /groups/:id or /groups/:id/descendant_groups."""
    return {
        "id": _int(raw.get("id")),
        "full_path": _str(raw.get("full_path")),
        "name": _str(raw.get("name")),
        "parent_id": raw.get("parent_id") if isinstance(raw.get("parent_id"), int) else None,
        "web_url": _str(raw.get("web_url")),
        "visibility": _visibility(raw.get("visibility")),
        "description": _opt_str(raw.get("description")) or None,
    }


def project(raw: dict[str, Any], fetched_at: str) -> Project:
    """A project's own fields; pipelines, branches and merge requests are filled in later."""
    namespace = _dict(raw.get("namespace"))
    path = _str(raw.get("path_with_namespace"))
    topics = raw.get("topics")
    if not isinstance(topics, list):
        topics = _list(raw.get("tag_list"))
    return {
        "id": _int(raw.get("id")),
        "path_with_namespace": path,
        "name": _str(raw.get("name")),
        "namespace": _str(namespace.get("full_path")) or path.rpartition("/")[0],
        "description": _opt_str(raw.get("description")) or None,
        "visibility": _visibility(raw.get("visibility")),
        "archived": bool(raw.get("archived")),
        "default_branch": _opt_str(raw.get("default_branch")),
        "topics": sorted({_text(t) for t in topics if isinstance(t, str)}),
        "last_activity_at": _str(raw.get("last_activity_at")),
        "web_url": _str(raw.get("web_url")),
        "star_count": _int(raw.get("star_count")),
        "forks_count": _int(raw.get("forks_count")),
        "open_issues_count": raw.get("open_issues_count")
        if isinstance(raw.get("open_issues_count"), int)
        else None,
        # List endpoints of some GitLab versions omit empty_repo; an empty repository is
        # the one kind of project without a default branch.
        "empty_repo": bool(raw.get("empty_repo", raw.get("default_branch") is None)),
        "fetched_at": fetched_at,
        "stale": None,
        "pipelines": [],
        "branches": [],
        "merge_requests": [],
    }


def pipeline(raw: dict[str, Any], failed_jobs: list[FailedJob]) -> Pipeline:
    """A pipeline from GET /projects/:id/pipelines/:pipeline_id."""
    user = _dict(raw.get("user"))
    return {
        "id": _int(raw.get("id")),
        "iid": raw.get("iid") if isinstance(raw.get("iid"), int) else None,
        "ref": _str(raw.get("ref")),
        "sha": _str(raw.get("sha")),
        "status": _str(raw.get("status")),
        "source": _opt_str(raw.get("source")),
        "created_at": _str(raw.get("created_at")),
        "updated_at": _str(raw.get("updated_at")),
        "started_at": _opt_str(raw.get("started_at")),
        "finished_at": _opt_str(raw.get("finished_at")),
        "duration": _opt_num(raw.get("duration")),
        "queued_duration": _opt_num(raw.get("queued_duration")),
        "coverage": _opt_num(raw.get("coverage")),
        "web_url": _str(raw.get("web_url")),
        "username": _opt_str(user.get("username")),
        "failed_jobs": failed_jobs,
    }


def failed_job(raw: dict[str, Any]) -> FailedJob:
    """A job from GET /projects/:id/pipelines/:pipeline_id/jobs?scope[]=failed."""
    return {
        "id": _int(raw.get("id")),
        "name": _str(raw.get("name")),
        "stage": _str(raw.get("stage")),
        "failure_reason": _opt_str(raw.get("failure_reason")),
        "allow_failure": bool(raw.get("allow_failure")),
        "duration": _opt_num(raw.get("duration")),
        "web_url": _str(raw.get("web_url")),
    }


def branch(raw: dict[str, Any]) -> Branch:
    """A branch from GET /projects/:id/repository/branches (the commit's e-mails are dropped)."""
    commit = _dict(raw.get("commit"))
    return {
        "name": _str(raw.get("name")),
        "default": bool(raw.get("default")),
        "protected": bool(raw.get("protected")),
        "merged": bool(raw.get("merged")),
        "commit_short_id": _str(commit.get("short_id")),
        "commit_title": _str(commit.get("title")),
        "committed_date": _opt_str(commit.get("committed_date")),
        "author_name": _opt_str(commit.get("author_name")),
    }


def merge_request(raw: dict[str, Any]) -> MergeRequest:
    """An open merge request from GET /groups/:id/merge_requests or the project endpoint."""
    author = _dict(raw.get("author"))
    labels = _list(raw.get("labels"))
    return {
        "iid": _int(raw.get("iid")),
        "title": _str(raw.get("title")),
        "draft": bool(raw.get("draft", raw.get("work_in_progress"))),
        "author_username": _opt_str(author.get("username")),
        "created_at": _str(raw.get("created_at")),
        "updated_at": _str(raw.get("updated_at")),
        "source_branch": _str(raw.get("source_branch")),
        "target_branch": _str(raw.get("target_branch")),
        "detailed_merge_status": _opt_str(raw.get("detailed_merge_status")),
        "has_conflicts": bool(raw.get("has_conflicts")),
        "labels": [_text(label) for label in labels if isinstance(label, str)],
        "web_url": _str(raw.get("web_url")),
    }


def features(raw: dict[str, Any]) -> ProjectFeatures:
    """Which of CI/CD, merge requests and the repository the project has switched on."""

    def enabled(level_key: str, flag_key: str) -> bool:
        # Newer GitLab reports *_access_level; older versions only the *_enabled flags.
        return raw.get(level_key) != "disabled" and raw.get(flag_key) is not False

    return ProjectFeatures(
        pipelines=enabled("builds_access_level", "jobs_enabled"),
        merge_requests=enabled("merge_requests_access_level", "merge_requests_enabled"),
        repository=raw.get("repository_access_level") != "disabled",
    )
