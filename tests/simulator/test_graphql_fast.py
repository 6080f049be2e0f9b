"""The simulator's fast GraphQL path answers exactly as graphql-core does, or leaves it to it."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from gldash_static.fetch import bulk, changes
from gldash_static.simulator import Simulator, graphql_fast

ENVIRONMENTS = """query($path: ID!) { project(fullPath: $path) { fullPath
  environments(first: 3) { nodes { name tier state
    lastDeployment(status: SUCCESS) { iid status ref sha createdAt finishedAt
      job { name webPath pipeline { id } } commit { shortId title authoredDate } } }
    pageInfo { hasNextPage endCursor } } } }"""

PLAIN = """query($ids: [ID!]) { projects(ids: $ids) { count
  nodes { id name fullPath webUrl visibility lastActivityAt
    first: pipelines(first: 2) { nodes { id status } }
    failed: pipelines(status: FAILED, first: 3) { count nodes { id ref user { name } } } } } }"""

# Valid queries the fast path leaves to graphql-core, which must still answer them.
LEFT_TO_GRAPHQL_CORE = [
    "query($ids: [ID!]) { projects(ids: $ids) { nodes { ...p } } } fragment p on Project { id }",
    "query($ids: [ID!]) { projects(ids: $ids) { nodes { ... on Project { id } } } }",
    "query($ids: [ID!]) { projects(ids: $ids) { __typename nodes { id } } }",
    "query($ids: [ID!], $no: Boolean!) { projects(ids: $ids) { nodes { id @include(if: $no) } } }",
    "query($ids: [ID!]) { projects(ids: $ids) { nodes { id id } } }",
]


def _post(sim: Simulator, query: str, token: str, variables: dict[str, Any]) -> Any:
    reply = requests.post(
        f"{sim.url}/api/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    return reply.status_code, reply.json()


def _both(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch, query: str, token: str, **variables: Any
) -> tuple[Any, Any, int]:
    """The answer with the fast path, without it, and how often the fast path answered."""
    answered = []
    fast = graphql_fast.execute

    def counting(*args: Any) -> Any:
        data = fast(*args)
        answered.append(data is not None)
        return data

    with monkeypatch.context() as patch:
        patch.setattr(graphql_fast, "execute", counting)
        quick = _post(sim, query, token, variables)
    with monkeypatch.context() as patch:
        patch.setattr(graphql_fast, "execute", lambda *args: None)
        slow = _post(sim, query, token, variables)
    return quick, slow, sum(answered)


def _ids(sim: Simulator, n: int) -> list[str]:
    return [f"gid://gitlab/Project/{i}" for i in sorted(sim.state.projects)[:n]]


def _since(sim: Simulator) -> str:
    times = sorted(pl.updated_at for p in sim.state.projects for pl in sim.state.pipelines(p))
    return times[len(times) // 2].isoformat().replace("+00:00", "Z")


def test_the_fetch_queries_come_back_the_same(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, since = _ids(sim, 25), _since(sim)
    cases: list[tuple[str, dict[str, Any]]] = [
        (bulk.QUERY, {"ids": ids, "projects": 25, "first": 50, "jobs": 100}),
        (bulk.QUERY, {"ids": ids, "projects": 25, "first": 5, "since": since, "retried": False}),
        (bulk.QUERY, {"ids": ids, "projects": 3, "first": 2, "ref": "main", "jobs": 1}),
        (bulk.QUERY, {"ids": ids, "projects": 9, "jobStatuses": ["FAILED"], "jobs": 10}),
        (changes.QUERY, {"ids": ids, "since": since}),
        (PLAIN, {"ids": ids}),
    ]
    for query, variables in cases:
        quick, slow, answered = _both(sim, monkeypatch, query, sim.token, **variables)
        assert quick == slow and quick[0] == 200 and "errors" not in quick[1]
        assert answered == 1, variables
    # A later page, by the cursor of the first.
    first = _post(sim, bulk.QUERY, sim.token, {"ids": ids, "projects": 10})[1]
    after = first["data"]["projects"]["pageInfo"]["endCursor"]
    quick, slow, answered = _both(
        sim, monkeypatch, bulk.QUERY, sim.token, ids=ids, projects=10, projectsAfter=after
    )
    assert quick == slow and answered == 1 and quick[1]["data"]["projects"]["nodes"]


def test_environments_and_restricted_tokens_come_back_the_same(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for project in list(sim.state.projects.values())[:40]:
        quick, slow, _ = _both(
            sim, monkeypatch, ENVIRONMENTS, sim.token, path=project.path_with_namespace
        )
        assert quick == slow
    for role in ("guest", "reporter", "non-member"):
        token = sim.token_for(role, sorted(g.full_path for g in sim.state.groups.values())[0])
        quick, slow, _ = _both(sim, monkeypatch, bulk.QUERY, token, ids=_ids(sim, 40), jobs=5)
        assert quick == slow and quick[0] == 200


@pytest.mark.parametrize("query", LEFT_TO_GRAPHQL_CORE)
def test_what_the_fast_path_does_not_do_graphql_core_answers(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    quick, slow, answered = _both(sim, monkeypatch, query, sim.token, ids=_ids(sim, 3), no=True)
    assert answered == 0
    assert quick == slow and quick[0] == 200 and "errors" not in quick[1], quick


@pytest.mark.parametrize(
    "variables",
    [
        {"ids": "not a list of ids", "projects": "ten"},
        {"ids": ["gid://gitlab/Project/1"], "projects": 2**40},
        {"ids": ["gid://gitlab/Project/999999999"], "first": -1},
    ],
)
def test_bad_variables_get_graphql_cores_errors(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch, variables: dict[str, Any]
) -> None:
    quick, slow, _ = _both(sim, monkeypatch, bulk.QUERY, sim.token, **variables)
    assert quick == slow
