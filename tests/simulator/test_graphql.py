"""POST /api/graphql: answers from the same state as REST, with GitLab's rules and errors."""

from __future__ import annotations

import re
from typing import Any

import requests
from sim_helpers import client

from gldash_static.simulator import Simulator

PIPELINES = """
query($ids: [ID!], $since: Time, $after: String, $first: Int) {
  projects(ids: $ids, first: $first, after: $after) {
    count
    nodes {
      id
      fullPath
      pipelines(updatedAfter: $since) { count nodes { id iid status updatedAt } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def ask(sim: Simulator, query: str, token: str | None = None, **variables: Any) -> Any:
    """POST a query as GitLab's docs show it (Bearer token, JSON body)."""
    headers = {"Authorization": f"Bearer {token or sim.token}"}
    reply = requests.post(
        f"{sim.url}/api/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=10,
    )
    assert reply.status_code == 200
    return reply.json()


def gid(project_id: int) -> str:
    return f"gid://gitlab/Project/{project_id}"


def test_pipelines_updated_after_match_the_rest_filter(sim: Simulator) -> None:
    gl = client(sim)
    project = next(p for p in sim.state.projects.values() if not p.empty_repo)
    recent = sorted(pl.updated_at for pl in sim.state.pipelines(project.id))[-3]
    since = recent.isoformat().replace("+00:00", "Z")
    rest = gl.http_list(
        f"/projects/{project.id}/pipelines", query_data={"updated_after": since}, get_all=True
    )
    body = ask(sim, PIPELINES, ids=[gid(project.id)], since=since)
    assert "errors" not in body
    (node,) = body["data"]["projects"]["nodes"]
    assert node["fullPath"] == project.path_with_namespace
    got = [n["id"] for n in node["pipelines"]["nodes"]]
    assert got == [f"gid://gitlab/Ci::Pipeline/{p['id']}" for p in rest]  # newest first
    assert node["pipelines"]["count"] == len(rest) > 0
    assert {n["status"] for n in node["pipelines"]["nodes"]} <= {p["status"].upper() for p in rest}


def test_projects_by_id_page_through_and_leave_unknown_ids_out(sim: Simulator) -> None:
    ids = sorted(sim.state.projects)[:150]
    asked = [gid(i) for i in ids] + [gid(999_999)]
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        data = ask(sim, PIPELINES, ids=asked, after=after, first=100)["data"]["projects"]
        seen += [n["id"] for n in data["nodes"]]
        pages += 1
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert pages == 2
    assert sorted(seen) == sorted(gid(i) for i in ids)  # 999999 silently dropped, as on GitLab


def test_private_projects_are_invisible_to_non_members(sim: Simulator) -> None:
    state = sim.state
    user = next(u for u in state.users.values() if not u.is_admin)
    hidden = next(
        p
        for p in state.projects.values()
        if p.visibility == "private" and not state.is_project_member(user, p)
    )
    public = next(p for p in state.projects.values() if p.visibility == "public")
    token = sim.user_token(user.username)
    body = ask(sim, PIPELINES, token, ids=[gid(hidden.id), gid(public.id)])
    assert [n["id"] for n in body["data"]["projects"]["nodes"]] == [gid(public.id)]


def test_invalid_queries_get_graphql_errors_not_data(sim: Simulator) -> None:
    unknown_field = ask(sim, "{ projects { nodes { noSuchField } } }")
    assert "data" not in unknown_field
    assert "Cannot query field 'noSuchField'" in unknown_field["errors"][0]["message"]
    bad_id = ask(sim, PIPELINES, ids=["12"])
    assert bad_id["errors"][0]["message"] == "12 is not a valid GitLab ID."
    other_type = ask(sim, PIPELINES, ids=["gid://gitlab/Group/12"])
    assert (
        other_type["errors"][0]["message"] == "gid://gitlab/Group/12 is not a valid ID for Project."
    )
    bad_time = ask(sim, PIPELINES, ids=[gid(min(sim.state.projects))], since="yesterday")
    assert "not a valid ISO 8601 time" in bad_time["errors"][0]["message"]
    too_large = requests.post(
        f"{sim.url}/api/graphql",
        json={"query": "{" + " " * 10_001 + "}"},
        headers={"Authorization": f"Bearer {sim.token}"},
        timeout=10,
    )
    assert too_large.status_code == 422  # an ArgumentError in GraphqlController
    assert too_large.json() == {"errors": [{"message": "Query too large"}]}


def test_a_bad_token_is_rejected_in_graphqls_own_shape(sim: Simulator) -> None:
    reply = requests.post(
        f"{sim.url}/api/graphql",
        json={"query": "{ queryComplexity { limit } }"},
        headers={"Authorization": "Bearer glpat-not-a-real-token-000"},
        timeout=10,
    )
    assert reply.status_code == 401
    assert reply.json() == {"errors": [{"message": "Invalid token"}]}  # GraphqlController
    anonymous = requests.post(
        f"{sim.url}/api/graphql", json={"query": "{ queryComplexity { limit } }"}, timeout=10
    )
    assert anonymous.json() == {"data": {"queryComplexity": {"limit": 200}}}


def test_complexity_and_page_size_limits(fresh_sim: Simulator) -> None:
    ids = [gid(i) for i in sorted(fresh_sim.state.projects)]
    fine = ask(fresh_sim, PIPELINES, ids=ids, first=100)
    assert "errors" not in fine
    fresh_sim.graphql_limits.max_complexity = 5
    refused = ask(fresh_sim, PIPELINES, ids=ids, first=100)
    assert "data" not in refused
    assert re.fullmatch(
        r"Query has complexity of \d+, which exceeds max complexity of 5",
        refused["errors"][0]["message"],
    )
    fresh_sim.graphql_limits.max_complexity = None
    fresh_sim.graphql_limits.page_size = 7
    paged = ask(fresh_sim, PIPELINES, ids=ids, first=100)["data"]["projects"]
    assert len(paged["nodes"]) == 7 and paged["pageInfo"]["hasNextPage"] is True


def test_counts_with_a_limit_say_limit_plus_one(sim: Simulator) -> None:
    counts = ask(sim, "{ projects { all: count few: count(limit: 3) } }")["data"]["projects"]
    assert counts["all"] > 4 and counts["few"] == 4  # CountableConnectionType
    refused = ask(sim, "{ projects { count(limit: 0) } }")
    assert refused["errors"][0]["message"] == "limit must be greater than 0"


DETAILS = """
query($ids: [ID!]) {
  projects(ids: $ids) {
    nodes {
      pipelines(first: 100) {
        nodes {
          id status createdAt finishedAt duration user { username }
          jobs(statuses: [FAILED], retried: false, jobKind: BUILD) {
            nodes { id name allowFailure duration stage { name } detailedStatus { tooltip } }
          }
        }
      }
    }
  }
}
"""


def test_pipeline_details_and_failed_jobs_match_rest(sim: Simulator) -> None:
    gl = client(sim)
    project = next(
        p
        for p in sorted(sim.state.projects.values(), key=lambda p: p.id)
        if any(pl.status == "failed" for pl in sim.state.pipelines(p.id))
    )
    body = ask(sim, DETAILS, ids=[gid(project.id)])
    assert "errors" not in body
    (node,) = body["data"]["projects"]["nodes"]
    failed = next(n for n in node["pipelines"]["nodes"] if n["status"] == "FAILED")
    pid = int(failed["id"].rsplit("/", 1)[1])
    rest = gl.http_get(f"/projects/{project.id}/pipelines/{pid}")
    # Types::TimeType: iso8601 to the second, where REST writes milliseconds.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", failed["createdAt"])
    assert failed["createdAt"][:19] == rest["created_at"][:19]
    assert failed["duration"] == rest["duration"]
    assert failed["user"]["username"] == rest["user"]["username"]
    jobs = gl.http_list(
        f"/projects/{project.id}/pipelines/{pid}/jobs",
        query_data={"scope[]": "failed"},
        get_all=True,
    )
    by_id = {j["id"]: j for j in jobs}
    got = failed["jobs"]["nodes"]
    assert {int(j["id"].rsplit("/", 1)[1]) for j in got} == set(by_id) != set()
    for job in got:
        truth = by_id[int(job["id"].rsplit("/", 1)[1])]
        assert job["id"].startswith("gid://gitlab/Ci::Build/")
        assert job["stage"]["name"] == truth["stage"]
        assert job["duration"] == int(truth["duration"])  # an Int: truncated
        words = truth["failure_reason"].replace("_", " ").replace("api", "API")
        assert f"- ({words})" in job["detailedStatus"]["tooltip"]
        assert job["detailedStatus"]["tooltip"].endswith("(allowed to fail)") is bool(
            truth["allow_failure"]
        )


def test_jobs_are_null_for_a_token_that_may_not_read_them(fresh_sim: Simulator) -> None:
    sim = fresh_sim
    project = next(
        p
        for p in sorted(sim.state.projects.values(), key=lambda p: p.id)
        if p.visibility == "public" and sim.state.pipelines(p.id)
    )
    sim.state.set_feature_access(project.id, public_jobs=False)
    guest = sim.state.add_user("outsider", "Out Sider")
    body = ask(sim, DETAILS, token=sim.state.token_of(guest.username), ids=[gid(project.id)])
    assert "errors" not in body
    (node,) = body["data"]["projects"]["nodes"]
    nodes = node["pipelines"]["nodes"]
    # read_pipeline without read_build: GitLab lists the pipelines, its `jobs` field is null.
    assert nodes and all(n["jobs"] is None for n in nodes)
