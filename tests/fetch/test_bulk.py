"""The GraphQL bulk fetch (fetch/bulk.py) against the simulator: equal to REST, within
GitLab's limits, and falling back to REST for whatever a hostile or refusing GitLab sends."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fetch_helpers import SMALL, TINY, comparable, left_as_found, make_config, run_fetch

from gldash_static.config import Config
from gldash_static.fetch.bulk import BATCH
from gldash_static.fetch.convert import MAX_TEXT
from gldash_static.model import Snapshot
from gldash_static.simulator import Reply, Simulator

# These tests count how pipelines are fetched: the answers' own lookups (red streaks, test
# reports) are off but in the field-by-field comparison, which has both ways ask them.
NO_LOOKUPS = "  red_streaks: false\n  test_reports: false\n"
REST_ONLY = "fetch:\n  graphql: false\n" + NO_LOOKUPS
PIPELINE_ROUTES = ("GET /projects/:id/pipelines", "GET /projects/:id/pipelines/:pipeline_id")


@dataclass(frozen=True)
class Org:
    """A simulated organisation, a config for it and its REST-only full fetch."""

    sim: Simulator
    config: Config
    rest: Snapshot

    def published(self) -> int:
        """Projects in a snapshot of this organisation."""
        return len(self.rest["sources"][0]["projects"])

    def listed(self) -> int:
        """Projects whose pipelines are listed: those with commits."""
        return sum(1 for p in self.rest["sources"][0]["projects"] if not p["empty_repo"])


def _org(spec: Any, tmp: Any) -> Iterator[Org]:
    with Simulator(spec) as server:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("GITLAB_TOKEN", server.token)
            rest = run_fetch(make_config(server, tmp, REST_ONLY)).snapshot
        yield Org(server, make_config(server, tmp, "fetch:\n" + NO_LOOKUPS), rest)


@pytest.fixture(scope="module")
def _small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    yield from _org(SMALL, tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def _tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    yield from _org(TINY, tmp_path_factory.mktemp("tiny"))


def _use(org: Org, monkeypatch: pytest.MonkeyPatch) -> Iterator[Org]:
    monkeypatch.setenv("GITLAB_TOKEN", org.sim.token)
    with left_as_found(org.sim):
        yield org


@pytest.fixture
def small(_small: Org, monkeypatch: pytest.MonkeyPatch) -> Iterator[Org]:
    """SMALL (48 published projects, about 5 pipelines each), left as found."""
    yield from _use(_small, monkeypatch)


@pytest.fixture
def tiny(_tiny: Org, monkeypatch: pytest.MonkeyPatch) -> Iterator[Org]:
    """TINY (8 published projects), left as found."""
    yield from _use(_tiny, monkeypatch)


def differences(got: Any, want: Any, where: str = "") -> list[str]:
    """Every field path where two snapshots differ (field by field, for a readable failure)."""
    if isinstance(got, dict) and isinstance(want, dict):
        keys = sorted(set(got) | set(want))
        return [d for k in keys for d in differences(got.get(k), want.get(k), f"{where}.{k}")]
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        pairs = enumerate(zip(got, want, strict=True))
        return [d for i, (a, b) in pairs for d in differences(a, b, f"{where}[{i}]")]
    return [] if got == want else [f"{where}: {got!r} != {want!r}"]


def calls_of(snapshot: Snapshot) -> dict[str, int]:
    """API calls of a fetch by endpoint."""
    return dict(snapshot["fetch"]["api_calls"])


def scores(sim: Simulator) -> list[int]:
    """Record the complexity GitLab computed for each GraphQL answer from now on."""
    seen: list[int] = []

    def rewrite(body: dict[str, Any]) -> dict[str, Any]:
        data = body.get("data") or {}
        if "queryComplexity" in data:
            seen.append(data["queryComplexity"]["score"])
        return body

    sim.graphql_limits.rewrite = rewrite
    return seen


def test_graphql_and_rest_fetch_the_same_snapshot_field_by_field(
    small: Org, tmp_path: Path
) -> None:
    listings: list[list[tuple[str, str]]] = []

    def listing(template: str, path: str, query: Any) -> Reply | None:
        if template == "GET /projects/:id/pipelines":
            listings.append(list(query))
        return None

    rest = run_fetch(make_config(small.sim, tmp_path, "fetch:\n  graphql: false\n")).snapshot
    seen = scores(small.sim)
    small.sim.on_request(listing)
    outcome = run_fetch(make_config(small.sim, tmp_path), graphql_batch=BATCH)
    assert outcome.complete
    assert differences(comparable(outcome.snapshot), comparable(rest)) == []
    projects = outcome.snapshot["sources"][0]["projects"]
    reasons = {
        job["failure_reason"]
        for p in projects
        for pl in p["pipelines"]
        for job in pl["failed_jobs"]
    }
    # Read from tooltips, and for unmet prerequisites (no reason there) from the message.
    assert {"script_failure", "api_failure", "unmet_prerequisites"} <= reasons
    # Retried attempts, queue times and test reports came both ways alike.
    attempts = [job for p in projects for pl in p["pipelines"] for job in pl["jobs"] or []]
    assert any(job["retried"] for job in attempts)
    assert any(pl["test_report"] for p in projects for pl in p["pipelines"])
    assert any(p["red_streak"] for p in projects)
    calls = calls_of(outcome.snapshot)
    assert "GET /projects/:id/pipelines/:pipeline_id" not in calls  # GraphQL answered all
    # The only listings are the red streaks' lookups of a last success and first failure.
    assert all(("status", "success") in q or ("status", "failed") in q for q in listings)
    assert calls["POST /api/graphql"] == len(seen) == 1  # 48 projects: one request
    # Environments: one listing of deployments and one of environments for each project
    # GraphQL saw one in, on top of the two calls a project (issue 17).
    deploying = sum(1 for p in projects if p["environments"])
    assert calls.get("GET /projects/:id/deployments", 0) == deploying > 0
    assert calls.get("GET /projects/:id/environments", 0) == deploying
    assert sum(calls.values()) - 2 * deploying <= 2 * small.published()
    rest_calls = sum(calls_of(rest).values())
    assert sum(calls.values()) * 4 < rest_calls


def test_each_request_costs_what_gitlabs_rules_say(small: Org) -> None:
    seen = scores(small.sim)
    run_fetch(small.config, graphql_batch=16)
    batches = [16, 16, 15]
    assert small.listed() == sum(batches)
    # The projects connection multiplies the 89 below it plus its resolver's 1 by
    # 1 + batch/100; queryComplexity adds 3 (bulk.py's docstring does the sum for 100).
    # (Batches run side by side: compared in any order.)
    assert sorted(seen) == sorted(int(90 * (1 + n / 100)) + 3 for n in batches)
    assert max(seen) <= 250


def test_a_lower_complexity_limit_splits_batches_to_fit(small: Org) -> None:
    small.sim.graphql_limits.max_complexity = 110  # 47 projects cost 135
    seen = scores(small.sim)
    outcome = run_fetch(small.config, graphql_batch=BATCH)
    assert comparable(outcome.snapshot) == comparable(small.rest)
    calls = calls_of(outcome.snapshot)
    assert not set(PIPELINE_ROUTES) & set(calls)
    # Refused once (an error has no score), then three batches of what the reported score
    # left room for (21 projects: 16, 16 and 15).
    assert small.listed() == 47
    assert calls["POST /api/graphql"] == 4
    assert sorted(seen) == sorted(int(90 * (1 + n / 100)) + 3 for n in (16, 16, 15))
    assert max(seen) <= 110


def test_a_limit_no_batch_fits_falls_back_to_rest_after_one_try(small: Org) -> None:
    small.sim.graphql_limits.max_complexity = 20
    outcome = run_fetch(small.config, graphql_batch=16)
    assert outcome.complete
    assert comparable(outcome.snapshot) == comparable(small.rest)
    calls = calls_of(outcome.snapshot)
    assert calls["POST /api/graphql"] == 3  # one refused request a batch, none split
    assert calls["GET /projects/:id/pipelines"] == small.listed()


def test_timeouts_halve_the_batch(small: Org) -> None:
    first_two = itertools.count()
    timeout = Reply({"message": "Request timed out. Please try a less complex query."}, status=503)

    def slow_at_first(template: str, path: str, query: Any) -> Reply | None:
        if template == "POST /api/graphql" and next(first_two) < 2:
            return timeout  # the request and its one retry
        return None

    small.sim.on_request(slow_at_first)
    outcome = run_fetch(small.config, graphql_batch=BATCH)
    assert comparable(outcome.snapshot) == comparable(small.rest)
    calls = calls_of(outcome.snapshot)
    assert calls["POST /api/graphql"] == 4 and not set(PIPELINE_ROUTES) & set(calls)


def test_small_pages_and_many_jobs_give_the_same_data(tiny: Org) -> None:
    # One project, pipeline and job a page: every project pages its pipelines, and a
    # pipeline with more job attempts than a page lists them over REST.
    tiny.sim.graphql_limits.page_size = 1
    outcome = run_fetch(tiny.config, graphql_batch=BATCH)
    assert differences(comparable(outcome.snapshot), comparable(tiny.rest)) == []
    calls = calls_of(outcome.snapshot)
    assert calls["POST /api/graphql"] > 2 * tiny.published()
    assert "GET /projects/:id/pipelines" not in calls
    many = [
        pl
        for p in tiny.rest["sources"][0]["projects"]
        for pl in p["pipelines"]
        if len(pl["jobs"] or []) > 1
    ]
    assert many and calls["GET /projects/:id/pipelines/:pipeline_id/jobs"] == len(many)


# --- hostile or broken answers: the project concerned goes to REST, nothing else changes -----


def _first_node(body: dict[str, Any]) -> dict[str, Any]:
    """The first project node of an answer that has pipelines."""
    nodes = body["data"]["projects"]["nodes"]
    return next(n for n in sorted(nodes, key=lambda n: n["id"]) if n["pipelines"]["nodes"])


def _bad_pipeline_id(body: dict[str, Any]) -> None:
    _first_node(body)["pipelines"]["nodes"][0]["id"] = "gid://gitlab/Ci::Pipeline/abc"


def _status_not_a_string(body: dict[str, Any]) -> None:
    _first_node(body)["pipelines"]["nodes"][0]["status"] = 42


def _more_without_a_cursor(body: dict[str, Any]) -> None:
    _first_node(body)["pipelines"]["pageInfo"] = {"hasNextPage": True, "endCursor": None}


def _pipelines_null(body: dict[str, Any]) -> None:
    _first_node(body)["pipelines"] = None


def _nodes_not_a_list(body: dict[str, Any]) -> None:
    _first_node(body)["pipelines"]["nodes"] = {"0": "x"}


def _jobs_null(body: dict[str, Any]) -> None:
    _first_node(body)["pipelines"]["nodes"][0]["jobs"] = None  # "may not read jobs"


def _project_left_out(body: dict[str, Any]) -> None:
    left = _first_node(body)
    body["data"]["projects"]["nodes"].remove(left)


@pytest.mark.parametrize(
    "poison",
    [
        _bad_pipeline_id,
        _status_not_a_string,
        _more_without_a_cursor,
        _pipelines_null,
        _nodes_not_a_list,
        _jobs_null,
        _project_left_out,
    ],
)
def test_a_broken_project_node_sends_that_project_to_rest(
    tiny: Org, poison: Callable[[dict[str, Any]], None]
) -> None:
    def rewrite(body: dict[str, Any]) -> dict[str, Any]:
        poison(body)
        return body

    tiny.sim.graphql_limits.rewrite = rewrite
    outcome = run_fetch(tiny.config, graphql_batch=BATCH)
    assert outcome.complete
    assert comparable(outcome.snapshot) == comparable(tiny.rest)
    calls = calls_of(outcome.snapshot)
    assert calls["GET /projects/:id/pipelines"] == 1  # that project, and only it


def test_projects_not_asked_for_are_ignored(tiny: Org) -> None:
    def rewrite(body: dict[str, Any]) -> dict[str, Any]:
        nodes = body["data"]["projects"]["nodes"]
        stranger = {**_first_node(body), "id": "gid://gitlab/Project/999999"}
        nodes.append(stranger)
        return body

    tiny.sim.graphql_limits.rewrite = rewrite
    outcome = run_fetch(tiny.config, graphql_batch=BATCH)
    assert comparable(outcome.snapshot) == comparable(tiny.rest)
    assert 999999 not in {p["id"] for p in outcome.snapshot["sources"][0]["projects"]}
    assert not set(PIPELINE_ROUTES) & set(calls_of(outcome.snapshot))


def test_a_cursor_that_never_moves_costs_one_more_request(tiny: Org) -> None:
    tiny.sim.graphql_limits.page_size = 2  # every project with 3+ pipelines has a next page
    cursors: dict[str, str] = {}
    repeated: set[str] = set()  # projects told "more after here" twice at the same place

    def stuck(body: dict[str, Any]) -> dict[str, Any]:
        for node in body["data"]["projects"]["nodes"]:
            page = (node.get("pipelines") or {}).get("pageInfo") or {}
            if page.get("hasNextPage"):  # always the first cursor a project was given
                if node["id"] in cursors:
                    repeated.add(node["id"])
                page["endCursor"] = cursors.setdefault(node["id"], page["endCursor"])
        return body

    tiny.sim.graphql_limits.rewrite = stuck
    outcome = run_fetch(tiny.config, graphql_batch=BATCH)
    assert comparable(outcome.snapshot) == comparable(tiny.rest)
    calls = calls_of(outcome.snapshot)
    # The first pages (two projects a page), one more page for each project with more, then
    # REST for those whose cursor came back unmoved.
    assert calls["POST /api/graphql"] == -(-tiny.listed() // 2) + len(cursors)
    assert calls["GET /projects/:id/pipelines"] == len(repeated) > 0


def test_hostile_values_are_bounded_as_over_rest(tiny: Org) -> None:
    def rewrite(body: dict[str, Any]) -> dict[str, Any]:
        pipeline = _first_node(body)["pipelines"]["nodes"][0]
        pipeline.update(ref="r" * 100_000, iid="12345678901234567890123", coverage=1e300)
        pipeline["user"] = {"username": ["not", "a", "string"]}
        return body

    tiny.sim.graphql_limits.rewrite = rewrite
    outcome = run_fetch(tiny.config, graphql_batch=BATCH)
    pipelines = [pl for p in outcome.snapshot["sources"][0]["projects"] for pl in p["pipelines"]]
    poisoned = [pl for pl in pipelines if pl["ref"].startswith("rrrr")]
    assert len(poisoned) == 1
    (pl,) = poisoned
    assert len(pl["ref"]) == MAX_TEXT
    assert pl["iid"] is None and pl["coverage"] is None and pl["username"] is None


@pytest.mark.parametrize(
    "answer",
    [
        Reply(("[" * 200_000 + "]" * 200_000).encode()),
        Reply(b"<html>502 Bad Gateway</html>", content_type="text/html"),
        Reply({"data": {"projects": "nope"}}),
        Reply({"data": None, "errors": [{"message": "Internal server error"}]}),
    ],
    ids=["deep-json", "not-json", "wrong-shape", "errors"],
)
def test_an_unusable_answer_falls_back_to_rest(tiny: Org, answer: Reply) -> None:
    tiny.sim.graphql_limits.rewrite = lambda body: answer
    outcome = run_fetch(tiny.config, graphql_batch=BATCH)
    assert outcome.complete, outcome.snapshot["fetch"]["errors"]
    assert comparable(outcome.snapshot) == comparable(tiny.rest)
    assert calls_of(outcome.snapshot)["GET /projects/:id/pipelines"] == tiny.listed()


def test_graphql_timeouts_in_200_answers_end_after_a_bounded_number_of_requests(
    small: Org,
) -> None:
    # graphql-ruby's timeout comes back as HTTP 200 with an `errors` list: no retry, no
    # breaker; splitting must stop at one project, and REST asks for everything.
    timeout = Reply({"data": None, "errors": [{"message": "Timeout on Project.pipelines"}]})
    small.sim.on_request(lambda t, p, q: timeout if t == "POST /api/graphql" else None)
    outcome = run_fetch(small.config, graphql_batch=8)
    assert comparable(outcome.snapshot) == comparable(small.rest)
    calls = calls_of(outcome.snapshot)
    batches = -(-small.listed() // 8)
    # Each batch of 8 halves to 4, 2 and 1 at most: 15 requests a batch in the worst case.
    assert calls["POST /api/graphql"] <= 15 * batches
    assert calls["GET /projects/:id/pipelines"] == small.listed()


def test_a_non_ascii_digit_in_an_id_sends_the_project_to_rest(tiny: Org) -> None:
    def rewrite(body: dict[str, Any]) -> dict[str, Any]:
        node = _first_node(body)["pipelines"]["nodes"][0]
        node["id"], node["iid"] = "gid://gitlab/Ci::Pipeline/\u00b2", "\u00b2"
        return body

    tiny.sim.graphql_limits.rewrite = rewrite
    outcome = run_fetch(tiny.config, graphql_batch=BATCH)
    assert outcome.complete
    assert comparable(outcome.snapshot) == comparable(tiny.rest)
    assert calls_of(outcome.snapshot)["GET /projects/:id/pipelines"] == 1


def test_empty_pages_that_claim_more_end_the_listing(tiny: Org) -> None:
    turns = itertools.count()

    def endless(body: dict[str, Any]) -> dict[str, Any]:
        # After the first answer: every page of every project empty, "more" with a new cursor.
        if next(turns):
            for node in body["data"]["projects"]["nodes"]:
                node["pipelines"] = {
                    "nodes": [],
                    "pageInfo": {"hasNextPage": True, "endCursor": f"c{next(turns)}"},
                }
        else:
            for node in body["data"]["projects"]["nodes"]:
                node["pipelines"]["nodes"] = node["pipelines"]["nodes"][:1]
                node["pipelines"]["pageInfo"] = {"hasNextPage": True, "endCursor": "c0"}
        return body

    tiny.sim.graphql_limits.rewrite = endless
    outcome = run_fetch(tiny.config, graphql_batch=BATCH)
    assert comparable(outcome.snapshot) == comparable(tiny.rest)
    calls = calls_of(outcome.snapshot)
    assert calls["POST /api/graphql"] == 1 + tiny.listed()  # one empty page each, then REST
    assert calls["GET /projects/:id/pipelines"] == tiny.listed()
