"""What a source may publish of a project: scope, members-only features and list caps.

Every fetch mode (full, incremental, shard, event) passes each project through `publishable`
last, also projects carried over from the previous snapshot, so that a narrower config or a
feature closed to non-members takes effect on the next build of any kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from gldash_static.config import FetchSettings, SourceSettings
from gldash_static.fetch import environments, scope
from gldash_static.model import (
    FEATURES,
    Branch,
    Deployment,
    Environment,
    Feature,
    Group,
    MergeRequest,
    Project,
    Source,
    Visibility,
)
from gldash_static.timeutil import parse_time

T = TypeVar("T")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def withheld(members_only: Iterable[Feature], visibility: Sequence[str]) -> list[Feature]:
    """The members-only features a dashboard leaves out.

    A dashboard that publishes private projects sits behind Pages access control for people
    who may see them all, so it leaves nothing out. Otherwise its audience includes people
    who are not members, and everything only members may see stays out. Pipelines and merge
    requests show the repository's branches and commits, so a members-only repository takes
    them along (GitLab itself never lets them be more open than the repository); environments
    go with members-only CI/CD (ProjectPolicy: `read_environment` needs both open).
    """
    if "private" in visibility:
        return []
    hidden = set(members_only)
    if "repository" in hidden:
        hidden |= {"pipelines", "merge_requests"}
    if "pipelines" in hidden:
        hidden.add("environments")
    return [feature for feature in FEATURES if feature in hidden]


def cap(items: Sequence[T], limit: int, newest: Callable[[T], tuple[datetime, str]]) -> list[T]:
    """The `limit` newest items (by `newest`), in their original order."""
    if len(items) <= limit:
        return list(items)
    chosen = {id(item) for item in sorted(items, key=newest, reverse=True)[:limit]}
    return [item for item in items if id(item) in chosen]


def _branch_age(branch: Branch) -> tuple[datetime, str]:
    return parse_time(branch["committed_date"]) or _EPOCH, branch["name"]


def _mr_age(mr: MergeRequest) -> tuple[datetime, str]:
    return parse_time(mr["updated_at"]) or _EPOCH, f"{mr['iid']:020d}"


def publishable(
    project: Project, source: SourceSettings, settings: FetchSettings
) -> Project | None:
    """The project as the source may publish it, or None when it may not appear at all."""
    as_raw = cast(dict[str, Any], project)
    path = project["path_with_namespace"]
    if not scope.allowed(as_raw, source) or not scope.in_configured_scope(path, source):
        return None  # the config no longer admits it (visibility, archived, exclude, scope)
    out = cast(Project, dict(project))
    out["withheld"] = withheld(project["members_only"], source.visibility)
    # A feature the dashboard withholds anyway is not also reported as unreadable.
    out["unavailable"] = [f for f in project["unavailable"] if f not in out["withheld"]]
    empty = {*out["withheld"], *out["unavailable"]}
    if "repository" in empty:
        out["branches"], out["branches_omitted"], out["branches_fetched_at"] = [], 0, None
        streak = out.get("red_streak")
        if streak is not None:  # a commit's title and author are the repository's content
            out["red_streak"] = {**streak, "commit_title": None, "author_name": None}
    if "pipelines" in empty:
        out["pipelines"], out["red_streak"] = [], None
    if "merge_requests" in empty:
        out["merge_requests"], out["merge_requests_omitted"] = [], 0
    if "environments" in empty:  # withheld or unreadable: none (None stays "not fetched")
        out["deployments"] = []
        out["environments"] = None if out["environments"] is None else []
    out["deployments"] = _deployments_published(
        out["deployments"][: settings.max_deployments], empty
    )
    if out["environments"] is not None:
        names = {d["environment"] for d in out["deployments"]}
        # An environment stays while a kept deployment names it, or GitLab listed it as
        # available (fetch.environment_details: one not deployed lately).
        out["environments"] = [
            _environment_published(e, empty)
            for e in out["environments"]
            if e["name"] in names or e["state"] == environments.AVAILABLE
        ]
    branches = cap(out["branches"], settings.max_branches, _branch_age)
    out["branches_omitted"] += len(out["branches"]) - len(branches)
    out["branches"] = branches
    mrs = cap(out["merge_requests"], settings.max_merge_requests, _mr_age)
    out["merge_requests_omitted"] += len(out["merge_requests"]) - len(mrs)
    out["merge_requests"] = mrs
    return out


def _deployment_published(deployment: Deployment, empty: set[Feature]) -> Deployment:
    """A deployment without what a withheld or unreadable repository or CI/CD would show."""
    out = cast(Deployment, dict(deployment))
    if "repository" in empty:
        out["commit_title"], out["committed_at"] = None, None
    if "pipelines" in empty:
        out["job_name"], out["job_id"], out["pipeline_id"], out["web_url"] = (None,) * 4
    return out


def _deployments_published(items: list[Deployment], empty: set[Feature]) -> list[Deployment]:
    return [_deployment_published(d, empty) for d in items]


def _environment_published(env: Environment, empty: set[Feature]) -> Environment:
    out = cast(Environment, dict(env))
    success, attempt = env["last_success"], env["last_attempt"]
    out["last_success"] = None if success is None else _deployment_published(success, empty)
    out["last_attempt"] = None if attempt is None else _deployment_published(attempt, empty)
    return out


def group_publishable(group: Group | dict[str, Any], source: SourceSettings) -> bool:
    """Whether the source may publish a group: a visibility it admits, inside its scope."""
    path = str(group.get("full_path") or "")
    in_scope = path in source.groups or any(path.startswith(g + "/") for g in source.groups)
    return group.get("visibility") in source.visibility and in_scope


def source_publishable(record: Source, source: SourceSettings, settings: FetchSettings) -> Source:
    """A whole source record as the config may publish it now (also one carried over as is)."""
    projects = [
        published
        for project in record["projects"]
        if (published := publishable(project, source, settings)) is not None
    ]
    groups = [g for g in record["groups"] if group_publishable(g, source)]
    visibility = [cast(Visibility, v) for v in source.visibility]
    return {**record, "visibility": visibility, "groups": groups, "projects": projects}
