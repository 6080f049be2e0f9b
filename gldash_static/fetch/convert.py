"""Turn GitLab API records into snapshot records: only the fields we publish, never e-mails.

Everything GitLab sends is untrusted: strings are capped, numbers must be finite and
plausible, ids must be integers, and anything else is dropped here, at the edge.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import Any, Literal, cast

from gldash_static.model import (
    FEATURES,
    SHORT_SHA,
    Branch,
    FailedJob,
    Feature,
    Group,
    Job,
    MergeRequest,
    Pipeline,
    Project,
    Visibility,
)
from gldash_static.timeutil import second_time

log = logging.getLogger("gldash.fetch")

VISIBILITIES = ("public", "internal", "private")
# GitLab's own longest limit among the fields kept (a project description) is 2,000
# characters; anything longer is not from a well-behaved GitLab and is cut.
MAX_TEXT = 2_000
MAX_LIST_ITEMS = 100  # topics, labels: GitLab shows a handful
MAX_ID = 2**63 - 1  # GitLab's ids are bigint columns
# Durations beyond ten years are not measurements; GitLab's longest job timeout is a month.
MAX_SECONDS = 10 * 365 * 86_400.0

Access = Literal["open", "members", "off"]


@dataclass(frozen=True)
class ProjectFeatures:
    """Who may see each feature in GitLab: everyone who sees the project, members, nobody."""

    pipelines: Access = "open"
    merge_requests: Access = "open"
    repository: Access = "open"
    environments: Access = "open"

    def members_only(self) -> list[Feature]:
        """The features only project members can see, in a fixed order."""
        levels = {
            "repository": self.repository,
            "pipelines": self.pipelines,
            "merge_requests": self.merge_requests,
            "environments": self.environments,
        }
        return [cast(Feature, name) for name, level in levels.items() if level == "members"]


# JSON may carry \ud800-style escapes; such lone surrogates cannot be written as UTF-8.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: str) -> str:
    if len(value) > MAX_TEXT:
        value = value[: MAX_TEXT - 1] + "\u2026"
    return _LONE_SURROGATE.sub("\ufffd", value)


def _str(value: Any) -> str:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool | int) and abs(value) <= MAX_ID:
        return str(value)
    return ""


def _opt_str(value: Any) -> str | None:
    return _text(value) if isinstance(value, str) else None


def text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """A string from GitLab, bounded to `limit` characters; None for anything else."""
    found = _opt_str(value)
    return None if found is None else found[:limit]


def _opt_num(value: Any, what: str = "number", upper: float = MAX_SECONDS) -> float | None:
    if isinstance(value, str):
        try:
            value = float(value)  # GitLab sends coverage as a string such as "87.5"
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int) and abs(value) > MAX_ID:
        value = math.inf
    number = float(value)
    if not math.isfinite(number) or not 0 <= number <= upper:
        # A value no GitLab measures (1e999, NaN, negative, centuries) would break every
        # later build that reads it; the field is left empty instead.
        log.warning("ignored an implausible %s from GitLab (%.40r)", what, value)
        return None
    return number


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value[:MAX_LIST_ITEMS] if isinstance(value, list) else []


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID:
        return value
    return default


def _opt_int(value: Any) -> int | None:
    number = _int(value, -1)
    return number if number >= 0 else None


def raw_id(raw: Any, key: str = "id") -> int | None:
    """The positive integer id of a raw API record, or None for anything else."""
    value = raw.get(key) if isinstance(raw, dict) else None
    number = _int(value)
    return number if number > 0 else None


def _visibility(value: Any) -> Visibility:
    # Unknown values are treated as the most restrictive so they are never published by mistake.
    return cast(Visibility, value) if value in VISIBILITIES else "private"


def group(raw: dict[str, Any]) -> Group:
    """A group from GET /groups/:id or /groups/:id/descendant_groups."""
    return {
        "id": _int(raw.get("id")),
        "full_path": _str(raw.get("full_path")),
        "name": _str(raw.get("name")),
        "parent_id": raw_id(raw, "parent_id"),
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
    # GitLab says `default_branch: "main"` for an empty repository (default_branch_or_main)
    # and omits it without `read_code`: only `empty_repo` tells them apart. List endpoints of
    # some GitLab versions omit empty_repo; then a default branch sent as null is the best
    # guess, while an absent one means the token may not read the code (unreadable below).
    guess = "default_branch" in raw and raw["default_branch"] is None
    empty = raw["empty_repo"] is True if "empty_repo" in raw else guess
    return {
        "id": _int(raw.get("id")),
        "path_with_namespace": path,
        "name": _str(raw.get("name")),
        "namespace": _str(namespace.get("full_path")) or path.rpartition("/")[0],
        "description": _opt_str(raw.get("description")) or None,
        "visibility": _visibility(raw.get("visibility")),
        "archived": bool(raw.get("archived")),
        "default_branch": None if empty else _opt_str(raw.get("default_branch")),
        "topics": sorted({_text(t) for t in topics[:MAX_LIST_ITEMS] if isinstance(t, str)}),
        "last_activity_at": _str(raw.get("last_activity_at")),
        "web_url": _str(raw.get("web_url")),
        "star_count": _int(raw.get("star_count")),
        "forks_count": _int(raw.get("forks_count")),
        "open_issues_count": _opt_int(raw.get("open_issues_count")),
        "empty_repo": empty,
        "fetched_at": fetched_at,
        "stale": None,
        "pipelines": [],
        "red_streak": None,
        "environments": None,
        "deployments": [],
        "branches": [],
        "merge_requests": [],
        "members_only": features(raw).members_only(),
        "withheld": [],
        "unavailable": unreadable(raw),
        "branches_omitted": 0,
        "merge_requests_omitted": 0,
        "branches_fetched_at": None,
    }


def pipeline(
    raw: dict[str, Any], failed_jobs: list[FailedJob], jobs: list[Job] | None = None
) -> Pipeline:
    """A pipeline from GET /projects/:id/pipelines/:pipeline_id, with its jobs (None: not
    fetched); its test report is read later, if at all."""
    user = _dict(raw.get("user"))
    return {
        "id": _int(raw.get("id")),
        "iid": raw_id(raw, "iid"),
        "ref": _str(raw.get("ref")),
        # The full 40-digit sha was 30 % of the gzipped snapshot (and of every archived delta),
        # and nothing shows more than GitLab's 8-digit short id, which commit links accept.
        "short_sha": _str(raw.get("sha"))[:SHORT_SHA],
        "status": _str(raw.get("status")),
        "source": _opt_str(raw.get("source")),
        "created_at": second_time(raw.get("created_at")) or "",
        "updated_at": second_time(raw.get("updated_at")) or "",
        "started_at": second_time(raw.get("started_at")),
        "finished_at": second_time(raw.get("finished_at")),
        "duration": _opt_num(raw.get("duration"), "pipeline duration"),
        "queued_duration": _opt_num(raw.get("queued_duration"), "pipeline queued duration"),
        "coverage": _opt_num(raw.get("coverage"), "coverage", upper=100.0),
        "web_url": _str(raw.get("web_url")),
        "username": _opt_str(user.get("username")),
        "failed_jobs": failed_jobs,
        "jobs": jobs,
        "test_report": None,
    }


def ref(raw: dict[str, Any]) -> str | None:
    """The ref of a pipeline answer, or None."""
    return _opt_str(raw.get("ref")) or None


def failed_job(raw: dict[str, Any]) -> FailedJob:
    """A job from GET /projects/:id/pipelines/:pipeline_id/jobs?scope[]=failed."""
    return {
        "id": _int(raw.get("id")),
        "name": _str(raw.get("name")),
        "stage": _str(raw.get("stage")),
        "failure_reason": _opt_str(raw.get("failure_reason")),
        "allow_failure": bool(raw.get("allow_failure")),
        "duration": whole_seconds(_opt_num(raw.get("duration"), "job duration")),
        "web_url": _str(raw.get("web_url")),
    }


def job(raw: dict[str, Any], retried: bool) -> Job:
    """A job attempt from a pipeline's jobs listing (REST says nothing of `retried`: the
    caller knows it from the order of attempts, see fetch.jobs)."""
    status = _str(raw.get("status"))
    queued = _opt_num(raw.get("queued_duration"), "job queued duration")
    return {
        "name": _str(raw.get("name")),
        "status": status,
        "duration": whole_seconds(_opt_num(raw.get("duration"), "job duration")),
        "queued_duration": None if queued is None else round(queued, 1),
        "retried": retried,
        "allow_failure": bool(raw.get("allow_failure")),
        "failure_reason": _opt_str(raw.get("failure_reason")) if status == "failed" else None,
    }


def whole_seconds(seconds: float | None) -> float | None:
    """A job's duration as GraphQL gives it (CiJob.duration is an Int: GitLab truncates)."""
    return None if seconds is None else float(math.floor(seconds))


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


def _access(level: Any, enabled_flag: Any) -> Access:
    """One feature's audience from its `*_access_level` (or the older `*_enabled` flag).

    The level is the project's setting; the flag answers "may the token use it" (GitLab's
    feature_available? for the asking user), so it decides only when the level is missing.
    """
    if level == "disabled" or (level is None and enabled_flag is False):
        return "off"
    if level in ("enabled", "public"):
        return "open"
    # "private" means project members only; a level GitLab did not send (or one we do not
    # know) is treated the same, so that nothing is published on a guess.
    return "members"


def features(raw: dict[str, Any]) -> ProjectFeatures:
    """Who may see the project's CI/CD, merge requests, repository and environments."""
    pipelines = _access(raw.get("builds_access_level"), raw.get("jobs_enabled"))
    if pipelines == "open" and raw.get("public_jobs") is False:
        pipelines = "members"  # pipelines and jobs hidden from non-members
    # GitLab before 15.8 has no environments_access_level: CI/CD's audience decided.
    level = raw.get("environments_access_level")
    return ProjectFeatures(
        environments=pipelines if level is None else _access(level, None),
        pipelines=pipelines,
        merge_requests=_access(
            raw.get("merge_requests_access_level"), raw.get("merge_requests_enabled")
        ),
        repository=_access(raw.get("repository_access_level"), None),
    )


def unreadable(raw: dict[str, Any]) -> list[Feature]:
    """The features the project answer shows the token may not read (its role is too low).

    GitLab computes the answer for the asking user: `default_branch` is sent only with
    `read_code`, which merge requests need too, and the old `*_enabled` flags say whether the
    user may use a feature whose level is not "disabled". What this misses, a 403 tells.
    """
    found: set[Feature] = set()
    if "default_branch" not in raw:
        found |= {"repository", "merge_requests"}
        # Without read_code (a Guest of a private project) ProjectPolicy grants no
        # read_environment either (GraphQL would only show no environment at all), unless
        # environments are off anyway: off themselves, or with CI/CD or the repository.
        levels = ("environments_access_level", "builds_access_level", "repository_access_level")
        if all(raw.get(level) != "disabled" for level in levels):
            found.add("environments")
    flags: dict[Feature, tuple[str, str]] = {
        "pipelines": ("jobs_enabled", "builds_access_level"),
        "merge_requests": ("merge_requests_enabled", "merge_requests_access_level"),
    }
    for feature, (flag, level) in flags.items():
        if raw.get(flag) is False and raw.get(level) not in (None, "disabled"):
            found.add(feature)
    return [feature for feature in FEATURES if feature in found]
