"""Lists that change while they are paged; the simulator hooks that make them change."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from gldash_static.gitlab import ApiClient
from gldash_static.simulator import OrgSpec, Simulator

GROUP = "platform"  # OrgSpec(projects=340, seed=7): more than 100 of its projects are listed


@pytest.fixture(scope="module")
def big() -> Iterator[Simulator]:
    with Simulator(OrgSpec(projects=340, seed=7)) as sim:
        yield sim


def _group_projects(sim: Simulator) -> list[int]:
    with sim.state.changing():
        group = next(g for g in sim.state.groups.values() if g.full_path == GROUP)
        subtree = sim.state.subtree(group.id)
        return sorted(
            p.id
            for p in sim.state.projects.values()
            if p.namespace_id in subtree and not p.archived
        )


def _path(sim: Simulator) -> str:
    with sim.state.changing():
        gid = next(g.id for g in sim.state.groups.values() if g.full_path == GROUP)
    return f"/groups/{gid}/projects"


PARAMS = {"include_subgroups": "true", "with_shared": "false", "archived": "false"}


def test_hook_sees_every_request_and_can_be_removed(big: Simulator) -> None:
    seen: list[tuple[str, str]] = []
    big.on_request(lambda template, path, query: seen.append((template, path)))
    api = ApiClient(big.url, big.token, backoff_s=0.01)
    try:
        api.get("/version")
        big.on_request(None)
        api.get("/version")
    finally:
        api.close()
    assert seen == [("GET /version", "/api/v4/version")]


def test_rate_limit_can_be_changed_while_running(big: Simulator) -> None:
    def limit() -> str | None:
        headers = {"PRIVATE-TOKEN": big.token}
        reply = requests.get(f"{big.url}/api/v4/version", headers=headers, timeout=10)
        return reply.headers.get("RateLimit-Limit")

    assert limit() is None
    big.set_rate_limit(100, window_s=60, headers="gitlab.com")  # headers on every answer
    assert limit() == "100"
    big.set_rate_limit(None)
    assert limit() is None


def test_stable_listing_costs_one_pass(big: Simulator) -> None:
    expected = _group_projects(big)
    assert len(expected) > 100
    api = ApiClient(big.url, big.token, backoff_s=0.01)
    try:
        got = api.list_stable(_path(big), order_by="id", sort="asc", **PARAMS)
    finally:
        api.close()
    assert sorted(int(p["id"]) for p in got) == expected
    assert api.stats.calls["GET /groups/:id/projects"] == 2  # two pages, no second pass


def test_deletion_between_pages_never_skips_a_project() -> None:
    with Simulator(OrgSpec(projects=340, seed=7)) as sim:
        listed = _group_projects(sim)
        victim, pushed = listed[0], listed[100]  # deleting page 1's first moves 101st up
        done: list[bool] = []

        def hook(template: str, path: str, query: list[tuple[str, str]]) -> None:
            if template == "GET /groups/:id/projects" and ("page", "2") in query and not done:
                done.append(True)
                sim.delete_project(victim)

        sim.on_request(hook)
        api = ApiClient(sim.url, sim.token, backoff_s=0.01)
        try:
            plain = [
                int(p["id"]) for p in api.iterate(_path(sim), order_by="id", sort="asc", **PARAMS)
            ]
            done.clear()
            sim.state.projects[victim] = sim.state.deleted_projects.pop(victim)  # undo
            stable = api.list_stable(_path(sim), order_by="id", sort="asc", **PARAMS)
        finally:
            api.close()
    assert pushed not in plain  # what a plain offset listing does: the project is skipped
    ids = sorted(int(p["id"]) for p in stable)
    assert pushed in ids and victim not in ids
    assert ids == [i for i in listed if i != victim]
