"""One listing of groups, projects and group merge requests, shared by a run's shard jobs.

Without it every shard lists every group and project only to keep its share, and lists the
groups' merge requests again: four shards cost four listings. `gldash fetch --list-only`
lists once and writes this file; each `gldash fetch --shard I/N --listing FILE` fetches only
its share's projects from it. The file holds GitLab's raw answers: a shard converts and
checks them exactly as it would live ones, and it is read as untrusted as any stored file.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gldash_static import atomic, bounded
from gldash_static.errors import SnapshotError
from gldash_static.fetch.convert import raw_id
from gldash_static.timeutil import parse_time

# Only what a shard reads of each answer (convert, scope, publish, group_mrs) goes into the
# file, which is a CI artifact: no tokens GitLab shows maintainers (a project's
# runners_token), no e-mail addresses, nothing the dashboard does not publish. A key GitLab
# did not send stays absent: its absence means something (convert.unreadable).
PROJECT_KEYS = frozenset(
    {
        "id", "path_with_namespace", "name", "description", "visibility", "archived",
        "default_branch", "topics", "tag_list", "last_activity_at", "web_url", "star_count",
        "forks_count", "open_issues_count", "empty_repo", "builds_access_level",
        "jobs_enabled", "public_jobs", "merge_requests_access_level", "merge_requests_enabled",
        "repository_access_level", "environments_access_level",
    }
)  # fmt: skip
GROUP_KEYS = frozenset(
    {"id", "full_path", "name", "parent_id", "web_url", "visibility", "description"}
)
MERGE_REQUEST_KEYS = frozenset(
    {
        "project_id", "iid", "state", "title", "draft", "work_in_progress", "created_at",
        "updated_at", "source_branch", "target_branch", "detailed_merge_status",
        "has_conflicts", "labels", "web_url",
    }
)  # fmt: skip

KIND = "gldash-listing"
VERSION = 1
MAX_BYTES = bounded.SNAPSHOT_BYTES  # raw listings of 40,000 projects


@dataclass(frozen=True)
class SourceListing:
    """What one source's listing found."""

    url: str
    version: str | None
    started: str  # the server's time when the listing began: every shard's watermark
    since: str | None  # "updated after" of the merge-request listing (None: a full one)
    groups: list[dict[str, Any]]  # GitLab's group answers
    projects: list[dict[str, Any]]  # GitLab's project answers the config admits
    merge_requests: list[dict[str, Any]] | None  # the groups' listing; None: not listed
    merge_requests_error: str | None = None  # why the group listing failed, when it did
    api_calls: dict[str, int] | None = None  # what the listing cost, by endpoint


def _slim(raw: dict[str, Any], keys: frozenset[str], nested: str, field: str) -> dict[str, Any]:
    out = {k: v for k, v in raw.items() if k in keys}
    inner = raw.get(nested)
    if isinstance(inner, dict):
        out[nested] = {field: inner.get(field)}
    return out


def slim_project(raw: dict[str, Any]) -> dict[str, Any]:
    """The fields of a project answer a shard reads (its namespace's full path among them)."""
    return _slim(raw, PROJECT_KEYS, "namespace", "full_path")


def slim_group(raw: dict[str, Any]) -> dict[str, Any]:
    """The fields of a group answer a shard reads."""
    return {k: v for k, v in raw.items() if k in GROUP_KEYS}


def slim_merge_request(raw: dict[str, Any]) -> dict[str, Any]:
    """The fields of a merge-request answer a shard reads (its author's username among them)."""
    return _slim(raw, MERGE_REQUEST_KEYS, "author", "username")


def write(listings: list[SourceListing], path: Path) -> None:
    """Write the listing file atomically."""
    body = {"kind": KIND, "version": VERSION, "sources": [asdict(x) for x in listings]}
    atomic.write_bytes(path, json.dumps(body, separators=(",", ":")).encode())


def read(path: Path) -> list[SourceListing]:
    """The listings in a file `write` wrote; SnapshotError naming the file for anything else."""
    try:
        data = json.loads(bounded.read(path, MAX_BYTES, "listing", SnapshotError))
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read the listing ({exc.strerror})") from None
    except (ValueError, RecursionError):
        raise SnapshotError(f"{path}: not a gldash listing (invalid JSON)") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise SnapshotError(f"{path}: not a gldash listing (written by gldash fetch --list-only)")
    if data.get("version") != VERSION:
        raise SnapshotError(
            f"{path}: listing version {data.get('version')!r}; this gldash reads {VERSION}"
        )
    sources = data.get("sources")
    if not isinstance(sources, list):
        raise SnapshotError(f"{path}: listing without sources")
    return [_source(item, path) for item in sources]


def _records(value: object) -> list[dict[str, Any]]:
    """Answers with a positive integer id (what the listing kept): anything else is dropped."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict) and raw_id(item) is not None]


def _source(item: object, path: Path) -> SourceListing:
    if not isinstance(item, dict) or not isinstance(item.get("url"), str):
        raise SnapshotError(f"{path}: a listed source without a url")
    started = item.get("started")
    if not isinstance(started, str) or parse_time(started) is None:
        raise SnapshotError(f"{path}: {item['url']}: listing without a valid start time")
    since = item.get("since")
    mrs = item.get("merge_requests")
    calls = item.get("api_calls")
    return SourceListing(
        url=item["url"],
        version=item["version"][:100] if isinstance(item.get("version"), str) else None,
        started=started,
        since=since if isinstance(since, str) else None,
        groups=[slim_group(g) for g in _records(item.get("groups"))],
        projects=[slim_project(p) for p in _records(item.get("projects"))],
        merge_requests=[
            slim_merge_request(m)
            for m in mrs
            if isinstance(m, dict)
            and raw_id(m, "project_id") is not None
            and raw_id(m, "iid") is not None
        ]
        if isinstance(mrs, list)
        else None,
        merge_requests_error=(
            str(item["merge_requests_error"])[:500] if item.get("merge_requests_error") else None
        ),
        api_calls=(
            {str(k): v for k, v in calls.items() if isinstance(v, int) and v >= 0}
            if isinstance(calls, dict)
            else None
        ),
    )
