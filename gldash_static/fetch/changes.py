"""Which projects have pipelines updated since the last fetch, asked 100 projects at a time.

A refresh must learn, for every known project, whether any pipeline changed. Over REST that
is one `GET /projects/:id/pipelines?updated_after=` per project, about 5 % of a full fetch.
GitLab's GraphQL API answers the same question for 100 projects in one request (the
connection page size), sharing the REST rate-limit bucket.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

from gldash_static.errors import FetchError
from gldash_static.gitlab import ApiClient, ApiError

BATCH = 100  # GitLab's GraphQL max page size; a bigger batch would come back paginated

QUERY = """
query gldashChangedPipelines($ids: [ID!], $since: Time, $after: String) {
  projects(ids: $ids, first: 100, after: $after) {
    nodes {
      id
      pipelines(updatedAfter: $since, first: 1) { nodes { id } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PROJECT_GID = "gid://gitlab/Project/"


@dataclass
class Changes:
    """What the probe learnt: projects with changed pipelines, and projects it could answer for."""

    changed: set[int]
    answered: set[int]

    def unchanged(self, project_id: int) -> bool:
        """True only when GitLab said this project has no pipeline updated since the mark."""
        return project_id in self.answered and project_id not in self.changed


def probe(
    api: ApiClient,
    project_ids: Sequence[int],
    since: str,
    pool: Executor,
    warn: Callable[[str], None],
) -> Changes | None:
    """Ask GraphQL which of `project_ids` have pipelines updated after `since`.

    Returns None (after one warning) when GraphQL cannot answer: the caller then asks each
    project over REST, as it would without GraphQL. Projects GraphQL leaves out (deleted,
    hidden, CI/CD unavailable) are simply not `answered`.
    """
    batches = [list(project_ids[i : i + BATCH]) for i in range(0, len(project_ids), BATCH)]
    futures = [pool.submit(_batch, api, batch, since) for batch in batches]
    result = Changes(set(), set())
    failure: str | None = None
    for future in futures:
        try:
            part = future.result()
        except (ApiError, FetchError) as exc:
            failure = failure or str(exc)
            continue
        result.changed |= part.changed
        result.answered |= part.answered
    if failure is not None:
        warn(f"GraphQL could not say which projects changed ({failure}); asking each project")
        return None
    return result


def _batch(api: ApiClient, project_ids: list[int], since: str) -> Changes:
    """One batch; follows pagination in case the server pages below 100."""
    variables: dict[str, object] = {
        "ids": [f"{PROJECT_GID}{i}" for i in project_ids],
        "since": since,
        "after": None,
    }
    found = Changes(set(), set())
    for _ in range(len(project_ids) + 1):  # each page holds at least one project
        data = api.graphql(QUERY, variables)
        projects = data.get("projects") or {}
        for node in projects.get("nodes") or []:
            project_id = _project_id(node)
            pipelines = node.get("pipelines") if isinstance(node, dict) else None
            if project_id is None or not isinstance(pipelines, dict):
                continue  # no CI/CD access or an odd node: REST decides for this project
            found.answered.add(project_id)
            if pipelines.get("nodes"):
                found.changed.add(project_id)
        page = projects.get("pageInfo") or {}
        if not page.get("hasNextPage") or not page.get("endCursor"):
            break
        variables["after"] = page["endCursor"]
    return found


def _project_id(node: object) -> int | None:
    gid = node.get("id") if isinstance(node, dict) else None
    if not isinstance(gid, str) or not gid.startswith(PROJECT_GID):
        return None
    number = gid[len(PROJECT_GID) :]
    return int(number) if number.isdigit() else None
