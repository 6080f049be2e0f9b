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
from typing import Any

from gldash_static.errors import FetchError
from gldash_static.gitlab import ApiClient, ApiError

BATCH = 100  # GitLab's GraphQL max page size; a bigger batch would come back paginated
# By GitLab's complexity rules (base_field.rb) the query below costs 28 whatever the batch:
# far below the 200/250 limits, so more fields per project stay affordable.

# `latest` guards against GitLab's way of saying "no access": where the token may no longer
# read a project's pipelines, GraphQL returns an empty list (REST would say 403), which
# must not pass for "nothing changed".
QUERY = """
query gldashChangedPipelines($ids: [ID!], $since: Time, $after: String) {
  projects(ids: $ids, first: 100, after: $after) {
    nodes {
      id
      changed: pipelines(updatedAfter: $since, first: 1) { nodes { id } }
      latest: pipelines(first: 1) { nodes { id } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PROJECT_GID = "gid://gitlab/Project/"
PIPELINE_GID = "gid://gitlab/Ci::Pipeline/"


@dataclass(frozen=True)
class Answer:
    """What GraphQL said about one project."""

    changed: bool  # a pipeline was updated after `since`
    latest: int | None  # the id of the newest pipeline it can see


def unchanged(answer: Answer | None, previous_ids: Sequence[int]) -> bool:
    """Whether a project's pipelines can be taken from the previous snapshot unasked.

    Only when GraphQL answered for it, saw no pipeline updated since the last fetch, and
    its newest pipeline is the newest one stored (the newest is always kept), so a lost
    access or a deleted pipeline sends the project to REST, which can tell them apart.
    """
    if answer is None or answer.changed:
        return False
    return answer.latest == max(previous_ids, default=None)


def probe(
    api: ApiClient,
    project_ids: Sequence[int],
    since: str,
    pool: Executor,
    note: Callable[[str], None],
    batch: int = BATCH,
) -> dict[int, Answer] | None:
    """Ask GraphQL about `project_ids`, `batch` at a time; None (after one note) when it cannot.

    The caller then asks each project over REST, as it would without GraphQL. Projects
    GraphQL leaves out (deleted, hidden) have no answer and are asked over REST too.
    A smaller `batch` lets tests with small organisations still send several batches.
    """
    if not 1 <= batch <= BATCH:
        raise ValueError(f"GraphQL batch size must be 1..{BATCH}, not {batch}")
    batches = [list(project_ids[i : i + batch]) for i in range(0, len(project_ids), batch)]
    futures = [pool.submit(_batch, api, batch, since) for batch in batches]
    answers: dict[int, Answer] = {}
    failure: str | None = None
    for future in futures:
        try:
            answers.update(future.result())
        except (ApiError, FetchError) as exc:
            failure = failure or str(exc)
    if failure is not None:
        note(f"GraphQL could not say which projects changed ({failure}); asking each project")
        return None
    return answers


def _batch(api: ApiClient, project_ids: list[int], since: str) -> dict[int, Answer]:
    """One batch; follows pagination in case the server pages below 100."""
    variables: dict[str, object] = {
        "ids": [f"{PROJECT_GID}{i}" for i in project_ids],
        "since": since,
        "after": None,
    }
    answers: dict[int, Answer] = {}
    for _ in range(len(project_ids) + 1):  # each page holds at least one project
        data = api.graphql(QUERY, variables)
        projects = _mapping(data.get("projects"))
        nodes = projects.get("nodes")
        if not isinstance(nodes, list):
            raise _malformed()
        for node in nodes:
            answer = _answer(_mapping(node))
            if answer is not None:
                answers[answer[0]] = answer[1]
        page = _mapping(projects.get("pageInfo"))
        cursor = page.get("endCursor")
        if page.get("hasNextPage") is not True or not isinstance(cursor, str):
            return answers
        variables["after"] = cursor
    raise _malformed()  # more pages than projects: a cursor that does not move


def _answer(node: dict[str, Any]) -> tuple[int, Answer] | None:
    project_id = _number(node.get("id"), PROJECT_GID)
    changed, latest = node.get("changed"), node.get("latest")
    if project_id is None or not isinstance(changed, dict) or not isinstance(latest, dict):
        return None  # nothing usable for this project: REST decides
    changed_nodes, latest_nodes = changed.get("nodes"), latest.get("nodes")
    if not isinstance(changed_nodes, list) or not isinstance(latest_nodes, list):
        return None
    newest = _number(_mapping(latest_nodes[0]).get("id"), PIPELINE_GID) if latest_nodes else None
    if latest_nodes and newest is None:
        return None
    return project_id, Answer(changed=bool(changed_nodes), latest=newest)


def _mapping(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _malformed()
    return value


def _malformed() -> ApiError:
    return ApiError(None, "GraphQL answer in an unexpected shape", "/api/graphql")


def _number(gid: object, prefix: str) -> int | None:
    if not isinstance(gid, str) or not gid.startswith(prefix):
        return None
    number = gid[len(prefix) :]
    return int(number) if number.isdigit() else None
