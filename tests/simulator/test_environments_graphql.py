"""Project.environments, Environment.deployments and lastDeployment through GraphQL, with
GitLab's per-request field limits (Gitlab::Graphql::Limit::FieldCallCount), errors and costs."""

from __future__ import annotations

from typing import Any

import pytest
from env_helpers import deploys, graphql, ok, pick
from graphql import build_schema, parse

from gldash_static.simulator import OrgSpec, Simulator
from gldash_static.simulator.graphql_complexity import analyse
from gldash_static.simulator.graphql_sdl import SDL

ENVIRONMENTS = """query($path: ID!) { project(fullPath: $path) {
  environments(first: 50) { nodes { id name slug state tier externalUrl environmentType path
    createdAt updatedAt autoStopAt
    lastDeployment(status: SUCCESS) { id iid ref sha tag status createdAt updatedAt finishedAt
      triggerer { username } job { id name status } } } } } }"""
DEPLOYMENTS = """query($path: ID!, $name: String, $statuses: [DeploymentStatus!],
  $order: DeploymentsOrderByInput, $after: String) { project(fullPath: $path) {
  environment(name: $name) { name deployments(statuses: $statuses, orderBy: $order, first: 3,
    after: $after) { nodes { iid status finishedAt job { id } }
    pageInfo { hasNextPage endCursor } } } } }"""


def _nodes(body: Any, *path: str) -> Any:
    for key in path:
        body = body[key]
    return body


def test_environments_match_rest(sim: Simulator) -> None:
    p = pick(sim, deploys)
    status, body = graphql(sim, ENVIRONMENTS, path=p.path_with_namespace)
    assert status == 200 and "errors" not in body, body
    nodes = _nodes(body, "data", "project", "environments", "nodes")
    rest = {e["id"]: e for e in ok(sim, f"/projects/{p.id}/environments", per_page=100)}
    # No order from the finder: the connection's own, id descending.
    assert [n["id"] for n in nodes] == [f"gid://gitlab/Environment/{i}" for i in sorted(rest)][::-1]
    for n in nodes:
        e = rest[int(n["id"].rsplit("/", 1)[1])]
        assert (n["name"], n["slug"], n["state"]) == (e["name"], e["slug"], e["state"])
        assert n["tier"] == e["tier"].upper() and n["externalUrl"] == e["external_url"]
        assert n["path"] == f"/{p.path_with_namespace}/-/environments/{e['id']}"
        assert n["environmentType"] == (e["name"].split("/")[0] if "/" in e["name"] else None)
        last = ok(sim, f"/projects/{p.id}/environments/{e['id']}")["last_deployment"]
        deployment = n["lastDeployment"]
        if last is None:
            assert deployment is None
            continue
        assert deployment["id"] == f"gid://gitlab/Deployment/{last['id']}"
        assert deployment["iid"] == str(last["iid"]) and deployment["status"] == "SUCCESS"
        assert deployment["triggerer"]["username"] == last["user"]["username"]
        if last["deployable"] is not None:
            assert deployment["job"]["id"] == f"gid://gitlab/Ci::Build/{last['deployable']['id']}"


def test_environments_resolve_for_one_project_a_request(sim: Simulator) -> None:
    first = pick(sim, deploys)
    second = pick(sim, lambda p, s: deploys(p, s) and p.id != first.id)
    query = """query($paths: [String!]) { projects(fullPaths: $paths) { nodes { fullPath
      environments { nodes { name } } } } }"""
    status, body = graphql(
        sim, query, paths=[first.path_with_namespace, second.path_with_namespace]
    )
    assert status == 200
    assert body["errors"] == [
        {
            "message": '"environments" field can be requested only for 1 Project(s) at a time.',
            "path": ["projects", "nodes", 1, "environments"],
        }
    ]
    nodes = body["data"]["projects"]["nodes"]
    assert nodes[0]["environments"]["nodes"] and nodes[1]["environments"] is None
    # Two fields on one project count twice too.
    twice = """query($path: ID!) { project(fullPath: $path) {
      a: environments { nodes { name } } b: environments { nodes { name } } } }"""
    _, body = graphql(sim, twice, path=first.path_with_namespace)
    assert body["data"]["project"]["b"] is None and len(body["errors"]) == 1


def test_deployments_resolve_for_one_environment_a_request(sim: Simulator) -> None:
    p = pick(sim, deploys)
    query = """query($path: ID!) { project(fullPath: $path) { environments { nodes { name
      deployments(first: 1) { nodes { iid } } } } } }"""
    _, body = graphql(sim, query, path=p.path_with_namespace)
    message = '"deployments" field can be requested only for 1 Environment(s) at a time.'
    assert body["errors"] and {e["message"] for e in body["errors"]} == {message}
    nodes = body["data"]["project"]["environments"]["nodes"]
    assert nodes[0]["deployments"] is not None
    assert all(n["deployments"] is None for n in nodes[1:])


def test_deployments_of_one_environment(sim: Simulator) -> None:
    p = pick(sim, deploys)
    truth = sim.state.deploy_state(p.id)
    env = next(e for e in truth.environments if e.name == "production")
    mine = truth.of(env.id)
    args = {"path": p.path_with_namespace, "name": env.name}
    _, body = graphql(sim, DEPLOYMENTS, **args)
    page = _nodes(body, "data", "project", "environment", "deployments")
    assert [n["iid"] for n in page["nodes"]] == [str(d.iid) for d in mine[:3]]  # id, ascending
    _, body = graphql(sim, DEPLOYMENTS, after=page["pageInfo"]["endCursor"], **args)
    more = _nodes(body, "data", "project", "environment", "deployments", "nodes")
    assert [n["iid"] for n in more] == [str(d.iid) for d in mine[3:6]]
    # The latest successful one: statuses [SUCCESS], orderBy finishedAt DESC, first 1.
    _, body = graphql(sim, DEPLOYMENTS, statuses=["SUCCESS"], order={"finishedAt": "DESC"}, **args)
    latest = _nodes(body, "data", "project", "environment", "deployments", "nodes")[0]
    done = [d for d in mine if d.status == "success"]
    assert latest["iid"] == str(max(done, key=lambda d: (d.finished_at, d.id)).iid)
    _, body = graphql(sim, DEPLOYMENTS, order={"createdAt": "DESC"}, **args)
    newest = _nodes(body, "data", "project", "environment", "deployments", "nodes")
    assert [n["iid"] for n in newest] == [str(d.iid) for d in mine[::-1][:3]]


@pytest.mark.parametrize(
    ("variables", "status", "message"),
    [
        # DeploymentsFinder raises InefficientQueryError; nothing rescues it.
        ({"statuses": ["CREATED", "SUCCESS"]}, 500, "Internal server error"),
        ({"order": {"finishedAt": "ASC"}}, 500, "Internal server error"),
        (
            {"order": {"finishedAt": "DESC", "createdAt": "ASC"}},
            200,
            "orderBy parameter must contain one key-value pair.",
        ),
    ],
)
def test_deployment_argument_errors(
    sim: Simulator, variables: dict[str, Any], status: int, message: str
) -> None:
    p = pick(sim, deploys)
    got, body = graphql(
        sim, DEPLOYMENTS, path=p.path_with_namespace, name="production", **variables
    )
    assert got == status and body["errors"][0]["message"] == message


def test_last_deployment_needs_a_supported_status(sim: Simulator) -> None:
    p = pick(sim, deploys)
    missing = """query($path: ID!) { project(fullPath: $path) {
      environments { nodes { lastDeployment { iid } } } } }"""
    status, body = graphql(sim, missing, path=p.path_with_namespace)
    assert status == 200 and "data" not in body and body["errors"]
    skipped = """query($path: ID!) { project(fullPath: $path) {
      environment(name: "production") { lastDeployment(status: SKIPPED) { iid } } } }"""
    _, body = graphql(sim, skipped, path=p.path_with_namespace)
    assert body["errors"][0]["message"] == '"skipped" status is not supported.'
    bad_state = """query($path: ID!) { project(fullPath: $path) {
      environments(states: ["gone"]) { nodes { name } } } }"""
    _, body = graphql(sim, bad_state, path=p.path_with_namespace)
    assert body["errors"][0]["message"] == "Requested states are invalid"


def test_permissions_hide_environments() -> None:
    with Simulator(OrgSpec(projects=80, seed=21)) as esim:
        p = pick(esim, lambda p, s: deploys(p, s) and p.visibility == "private")
        top = esim.state.groups[p.namespace_id].full_path.split("/")[0]
        query = """query($path: ID!) { project(fullPath: $path) { name
          environments { nodes { name } } environment(name: "production") { name } } }"""
        _, body = graphql(esim, query, esim.token_for("guest", top), path=p.path_with_namespace)
        project = body["data"]["project"]
        # The type's `authorize :read_environment`: no nodes, no environment, no error.
        assert project["environments"]["nodes"] == [] and project["environment"] is None
        _, body = graphql(esim, query, esim.token_for("reporter", top), path=p.path_with_namespace)
        assert body["data"]["project"]["environments"]["nodes"]
        q = pick(esim, lambda p, s: deploys(p, s) and p.visibility == "public")
        _, body = graphql(esim, query, "", path=q.path_with_namespace)  # anonymous
        assert body["data"]["project"]["environments"]["nodes"]
        esim.set_feature_access(q.id, environments="private")
        _, body = graphql(esim, query, "", path=q.path_with_namespace)
        assert body["data"]["project"]["environments"]["nodes"] == []


QUERIES = [
    (
        '{ project(fullPath: "g/p") { environments(first: 10) { nodes { name '
        "lastDeployment(status: SUCCESS) { iid } } } } }",
        6,  # lastDeployment 1+1, nodes 1+1+2, environments (4+1)*1.1 = 5, project 5+1
    ),
    (
        '{ project(fullPath: "g/p") { environments(first: 10, search: "prod") { nodes { name '
        "lastDeployment(status: SUCCESS) { iid } } } } }",
        12,  # the search argument adds 5 to the resolver: (4+1+5)*1.1 = 11, project 12
    ),
    (
        '{ project(fullPath: "g/p") { environment(name: "production") { '
        "deployments(first: 20) { nodes { iid status } } } } }",
        6,  # nodes 1+2, deployments (3+1)*1.2 = 4, environment 4+1, project 5+1
    ),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES)
def test_complexity_of_environment_queries(query: str, expected: int) -> None:
    assert analyse(build_schema(SDL), parse(query), None, 100).complexity == expected


def test_served_score_is_the_computed_one(sim: Simulator) -> None:
    p = pick(sim, deploys)
    query = (
        QUERIES[0][0]
        .replace("g/p", p.path_with_namespace)
        .replace("{ project", "{ queryComplexity { score } project", 1)
    )
    _, body = graphql(sim, query)
    # queryComplexity and its score are plain fields: 1 each.
    assert body["data"]["queryComplexity"]["score"] == QUERIES[0][1] + 2


def test_one_environment_per_project_is_not_limited(sim: Simulator) -> None:
    # Only `environments` and `deployments` carry FieldCallCount: `environment` and its
    # `lastDeployment` resolve for every project of a request (issue 17's cheap probe).
    paths = [
        p.path_with_namespace
        for p in sorted(sim.state.projects.values(), key=lambda p: p.id)
        if not p.access
    ][:50]
    query = """query($paths: [String!]) { projects(fullPaths: $paths, first: 50) { nodes {
      fullPath environment(name: "production") { name tier
        lastDeployment(status: SUCCESS) { finishedAt sha } } } } }"""
    status, body = graphql(sim, query, paths=paths)
    assert status == 200 and "errors" not in body, body
    nodes = body["data"]["projects"]["nodes"]
    having = {n["fullPath"] for n in nodes if n["environment"] is not None}
    truth = {
        p.path_with_namespace
        for p in sim.state.projects.values()
        if p.path_with_namespace in paths
        and any(e.name == "production" for e in sim.state.deploy_state(p.id).environments)
    }
    assert having == truth and 0 < len(having) < len(nodes)
