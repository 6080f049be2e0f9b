"""GitLab's GraphQL complexity: the numbers GitLab's own specs give, and whole queries."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from graphql import build_schema, parse, validate

from gldash_static.fetch.changes import QUERY as FETCH_PROBE
from gldash_static.simulator import Simulator
from gldash_static.simulator.api_graphql import SDL
from gldash_static.simulator.graphql_complexity import (
    analyse,
    base_resolver_complexity,
    complexity_multiplier,
    resolver_field_complexity,
)

SCHEMA = build_schema(SDL)


def spec_field(args: dict[str, Any], *, connection: bool = True, gitaly: bool = False) -> int:
    """The field of spec/graphql/types/base_field_spec.rb: child complexity 2, a resolver
    adding 2 when `foo` is given, multiplier 0.01, max_page_size 100."""
    return resolver_field_complexity(
        2,
        args,
        resolver_complexity=2 if args.get("foo") else 0,
        calls_gitaly=gitaly,
        connection=connection,
        page_size=100,
        multiplier=0.01,
    )


def test_gitlabs_base_field_spec_numbers() -> None:
    # "sets complexity depending on arguments for resolvers"
    assert spec_field({}) == 4
    assert spec_field({"first": 50}) == 3
    # "sets complexity depending on number load limits for resolvers"
    assert spec_field({"first": 1}) == 2
    assert spec_field({"first": 1, "foo": True}) == 4
    # "and is not a connection: sets complexity as normal"
    assert spec_field({}, connection=False) == 2
    assert spec_field({"first": 50}, connection=False) == 2
    # "calls_gitaly, for fields with a resolver: adds 1 if true"
    assert spec_field({}, connection=False, gitaly=True) == spec_field({}, connection=False) + 1


def test_base_resolver_rules() -> None:
    assert base_resolver_complexity({}) == 1
    assert base_resolver_complexity({"sort": "id_desc"}) == 2
    assert base_resolver_complexity({"search": "x", "sort": "id_desc"}) == 7
    assert complexity_multiplier({}) == 0.01
    assert complexity_multiplier({"iids": ["1"]}) == 0  # "searching by specific ID(s)"
    # `last` and `first` both bound the multiplier, the page size caps them.
    assert resolver_field_complexity(
        10,
        {"first": 500, "last": 30},
        resolver_complexity=1,
        calls_gitaly=False,
        connection=True,
        page_size=100,
        multiplier=0.01,
    ) == int(11 + 11 * 0.3)


def score(query: str, variables: dict[str, Any] | None = None, page_size: int = 100) -> int:
    document = parse(query)
    assert validate(SCHEMA, document) == []
    return analyse(SCHEMA, document, variables, page_size).complexity


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # plain fields: 1 each, plus children
        ("{ queryComplexity { score limit } }", 3),
        # Project.pipelines: (nodes 1 + id 1 + status 1) + resolver 1 + calls_gitaly 1 = 5,
        # + 5 * 20 * 0.01 = 6; Query.project: resolver, not a connection: 6 + 1 = 7
        ('{ project(fullPath: "g/p") { pipelines(first: 20) { nodes { id status } } } }', 7),
        # ref and sha cost 2 each (ResolvesPipelines): 2 + 1 + 1 + 4 = 8, * 1.01 -> 8; + 1
        (
            '{ project(fullPath: "g/p") '
            '{ pipelines(first: 1, ref: "a", sha: "b") { nodes { id } } } }',
            9,
        ),
        # no `first`: the max page size doubles the cost (3 + 1 + 1) * 2 = 10; + 1
        ('{ project(fullPath: "g/p") { pipelines { nodes { id } count } } }', 11),
        # one response key asked twice (also through a fragment) counts once
        ('{ project(fullPath: "a") { ...F id name } } fragment F on Project { id name }', 3),
        # skipped fields cost nothing
        ('{ project(fullPath: "a") { id name @skip(if: true) } }', 2),
    ],
)
def test_whole_queries(query: str, expected: int) -> None:
    assert score(query) == expected


def test_the_fetch_probe_costs_28_of_250() -> None:
    # pipelines(first: 1) { nodes { id } }: (2 + 1 + 1) * 1.01 -> 4, twice; nodes: 1 + id + 8;
    # pageInfo 3; projects(first: 100): (13 + 1) * 2 = 28
    variables = {"ids": ["gid://gitlab/Project/1"], "since": None, "after": None}
    assert score(FETCH_PROBE, variables) == 28
    # A smaller max page size caps `first: 100`: (13 + 1) * 1.07 -> 14
    assert score(FETCH_PROBE, variables, page_size=7) == 14


def test_variables_count_like_literals() -> None:
    query = 'query($n: Int) { project(fullPath: "a") { pipelines(first: $n) { nodes { id } } } }'
    assert score(query, {"n": 50}) == 1 + int(4 + 4 * 0.5)
    assert score(query, {}) == 1 + 8  # unset: the page size


def test_served_score_and_limit(sim: Simulator) -> None:
    # The fetch's probe with queryComplexity added (3 more).
    query = FETCH_PROBE.replace(
        "{\n  projects(", "{\n  queryComplexity { score limit }\n  projects("
    )
    assert "queryComplexity" in query
    reply = requests.post(
        f"{sim.url}/api/graphql",
        json={"query": query, "variables": {"ids": [], "since": None, "after": None}},
        headers={"Authorization": f"Bearer {sim.user_token(_someone(sim))}"},
        timeout=10,
    ).json()
    assert reply["data"]["queryComplexity"] == {"score": 28 + 3, "limit": 250}
    admin = requests.post(
        f"{sim.url}/api/graphql",
        json={"query": "{ queryComplexity { limit } }"},
        headers={"Authorization": f"Bearer {sim.token}"},
        timeout=10,
    ).json()
    assert admin["data"]["queryComplexity"] == {"limit": 300}  # GitlabSchema::ADMIN_COMPLEXITY


def test_depth_limit_for_anonymous_requests(sim: Simulator) -> None:
    nested = "name " + "ofType { " * 15 + "name" + " }" * 15
    query = "{ __schema { queryType { fields { type { " + nested + " } } } } }"
    assert analyse(SCHEMA, parse(query), None, 100).depth == 20
    body = requests.post(f"{sim.url}/api/graphql", json={"query": query}, timeout=10).json()
    assert body == {"errors": [{"message": "Query has depth of 20, which exceeds max depth of 15"}]}


def _someone(sim: Simulator) -> str:
    return next(u.username for u in sim.state.users.values() if not u.is_admin)
