"""Which groups and projects a source publishes: discovery through the API, then the filters."""

from __future__ import annotations

from typing import Any

from gldash_static.config import SourceSettings
from gldash_static.errors import FetchError
from gldash_static.fetch.convert import raw_id
from gldash_static.gitlab import ApiClient, ApiError
from gldash_static.gitlab.client import encode_path


def _get_named(api: ApiClient, source: SourceSettings, kind: str, path: str) -> dict[str, Any]:
    """A group or project the config names by full path; a 404 is the user's mistake."""
    # GET /groups/:id embeds up to 100 projects and shared projects unless told not to; the
    # projects come from GET /groups/:id/projects anyway.
    params = {"with_projects": "false"} if kind == "group" else {}
    try:
        return api.get(f"/{kind}s/{encode_path(path)}", **params)
    except ApiError as exc:
        if exc.status == 404:
            raise FetchError(
                f"{source.name}: {kind} '{path}' not found or not visible to the token "
                f"in ${source.token_env}"
            ) from None
        raise


def _id_of(raw: dict[str, Any]) -> int:
    """The id of a group or project the config names; GitLab must send one."""
    found = raw_id(raw)
    if found is None:
        raise FetchError(f"GitLab sent {raw.get('full_path') or 'a record'} without a valid id")
    return found


def list_groups(api: ApiClient, source: SourceSettings) -> list[dict[str, Any]]:
    """The configured groups and all their descendants, each once, ordered by full path."""
    found: dict[int, dict[str, Any]] = {}
    for path in source.groups:
        top = _get_named(api, source, "group", path)
        for raw in [top, *api.list_stable(f"/groups/{_id_of(top)}/descendant_groups")]:
            if (group_id := raw_id(raw)) is not None:
                found[group_id] = raw
    return sorted(found.values(), key=lambda g: str(g.get("full_path")))


def list_projects(
    api: ApiClient, source: SourceSettings, top_group_ids: list[int]
) -> list[dict[str, Any]]:
    """Every project of the configured groups (subgroups included) and the extra projects."""
    found: dict[int, dict[str, Any]] = {}
    for group_id in top_group_ids:
        params: dict[str, Any] = {
            "include_subgroups": "true",
            "with_shared": "false",
            "order_by": "id",
            "sort": "asc",
        }
        if not source.include_archived:
            params["archived"] = "false"
        # Read as a whole, again if it shifted while paged: a project skipped here would
        # silently vanish from the dashboard (and its previous data with it).
        for raw in api.list_stable(f"/groups/{group_id}/projects", **params):
            if (project_id := raw_id(raw)) is not None:
                found[project_id] = raw
    for path in source.projects:
        raw = _get_named(api, source, "project", path)
        found[_id_of(raw)] = raw
    return [found[i] for i in sorted(found)]


def allowed(raw: dict[str, Any], source: SourceSettings) -> bool:
    """Whether the config lets this project be published."""
    if raw.get("visibility") not in source.visibility:
        return False  # private projects never reach the snapshot unless opted in
    if raw.get("archived") and not source.include_archived:
        return False
    path = str(raw.get("path_with_namespace", ""))
    return not any(pattern.search(path) for pattern in source.exclude)


def in_configured_scope(path_with_namespace: str, source: SourceSettings) -> bool:
    """Whether a project path lies under a configured group or is a configured project."""
    return path_with_namespace in source.projects or covered_by_groups(path_with_namespace, source)


def covered_by_groups(path_with_namespace: str, source: SourceSettings) -> bool:
    """Whether the project's merge requests arrive through a group merge-request listing."""
    return any(path_with_namespace.startswith(group + "/") for group in source.groups)


def in_shard(project_id: int, shard: tuple[int, int] | None) -> bool:
    """Whether a project belongs to shard I of N (1-based, as CI_NODE_INDEX)."""
    if shard is None:
        return True
    index, total = shard
    return project_id % total == index - 1


def top_ids(raw_groups: list[dict[str, Any]], source: SourceSettings) -> list[int]:
    """The ids of the configured top-level groups (list_groups kept only valid ids)."""
    return [int(g["id"]) for g in raw_groups if g.get("full_path") in source.groups]
