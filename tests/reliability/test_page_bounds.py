"""A listing whose next-page links never end stops with one warning and keeps what it read.

The simulator's request hook plays a GitLab whose `Link` points back at the page just read,
or on to a new page forever. The hook itself gives up after `GIVE_UP` pages, so that code
without bounds still finishes and fails on the request count instead of hanging.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from reliability_helpers import TOKEN, grant_token, make_workspace, read_snapshot

from gldash_static.gitlab import ApiClient
from gldash_static.simulator import OrgSpec, Reply, Simulator

Cli = Callable[..., Any]
GIVE_UP = 60
LOGGER = "gldash.gitlab"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(OrgSpec(projects=8, seed=2, pipelines_per_project=3)) as server:
        grant_token(server)
        yield server


@pytest.fixture
def api(sim: Simulator) -> Iterator[ApiClient]:
    client = ApiClient(sim.url, TOKEN, backoff_s=0.01)
    yield client
    client.close()
    sim.on_request(None)


def _endless(
    sim: Simulator, route: str, same_page: bool, body: Callable[[int], list[Any]] | None = None
) -> list[int]:
    """Answer GET `route` (under /api/v4) with a next link forever; returns the pages asked."""
    asked: list[int] = []

    def hook(template: str, path: str, query: list[tuple[str, str]]) -> Reply | None:
        if path != f"/api/v4{route}":
            return None
        params = dict(query)
        page = int(params.get("page", "1"))
        asked.append(page)
        items = body(page) if body else [{"id": 2 * page - 1}, {"id": 2 * page}]
        headers = {"X-Total": "1000"}  # never the count that arrives: list_stable reads again
        if len(asked) < GIVE_UP:
            following = page if same_page else page + 1
            link = f"{sim.url}/api/v4{route}?page={following}&per_page={params['per_page']}"
            headers["Link"] = f'<{link}>; rel="next"'
        return Reply(items, headers=headers)

    sim.on_request(hook)
    return asked


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_next_link_back_to_the_same_page_ends_the_listing(
    sim: Simulator, api: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    asked = _endless(sim, "/projects", same_page=True)
    with caplog.at_level(logging.WARNING, LOGGER):
        items = list(api.iterate("/projects"))
    assert asked == [1]
    assert [item["id"] for item in items] == [1, 2]
    [warning] = _warnings(caplog)
    assert warning.startswith("/projects: GitLab's next-page link points back at a page")
    assert "2 item(s) of 1 page(s)" in warning


def test_list_stable_does_not_read_a_looping_list_again(
    sim: Simulator, api: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    asked = _endless(sim, "/groups/1/descendant_groups", same_page=True)
    with caplog.at_level(logging.WARNING, LOGGER):
        items = api.list_stable("/groups/1/descendant_groups")
    assert asked == [1]  # one pass: a list that does not end will not end when read again
    assert sorted(item["id"] for item in items) == [1, 2]
    assert len(_warnings(caplog)) == 1


def test_a_listing_that_never_ends_stops_at_the_page_cap(
    sim: Simulator,
    api: ApiClient,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("gldash_static.gitlab.paging.MAX_PAGES", 5)
    asked = _endless(sim, "/projects", same_page=False)
    with caplog.at_level(logging.WARNING, LOGGER):
        items = list(api.iterate("/projects"))
    assert asked == [1, 2, 3, 4, 5]
    assert len(items) == 10
    [warning] = _warnings(caplog)
    assert "more than 5 pages" in warning and "10 item(s) of 5 page(s)" in warning


def test_a_fetch_with_a_looping_branch_list_finishes_and_keeps_the_branches(
    sim: Simulator,
    tmp_path: Path,
    run_cli: Cli,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ws = make_workspace(sim, tmp_path / "ws")
    monkeypatch.chdir(ws.root)
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    assert run_cli("fetch", "--quiet").code == 0
    before = read_snapshot(ws.snapshot)["sources"][0]["projects"]
    target = max((p for p in before if p.get("branches")), key=lambda p: len(p["branches"]))
    route = f"/projects/{target['id']}/repository/branches"
    real = requests.get(
        f"{sim.url}/api/v4{route}",
        params={"per_page": 100},
        headers={"PRIVATE-TOKEN": TOKEN},
        timeout=10,
    ).json()
    asked = _endless(sim, route, same_page=True, body=lambda _page: real)
    try:
        with caplog.at_level(logging.WARNING, LOGGER):
            result = run_cli("fetch", "--quiet", "--full")
    finally:
        sim.on_request(None)
    assert asked == [1]
    assert result.code == 0, result.err
    after = {p["id"]: p for p in read_snapshot(ws.snapshot)["sources"][0]["projects"]}
    assert after[target["id"]]["branches"] == target["branches"]  # kept, each once
    assert any("points back at a page" in w for w in _warnings(caplog))
