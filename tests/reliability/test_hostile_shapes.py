"""Answers whose shape is hostile (ids that are not ids, endless strings, absurd numbers, JSON
nested past the parser's depth) are bounded at the edge: no traceback, nothing unbounded
stored, the rest of the data intact."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from reliability_helpers import TOKEN, gldash, grant_token, make_workspace, read_snapshot

from gldash_static.fetch.convert import MAX_TEXT
from gldash_static.gitlab import ApiClient, ApiError, transport
from gldash_static.simulator import OrgSpec, Reply, Simulator

ENV = {"GITLAB_TOKEN": TOKEN}


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(OrgSpec(projects=30, seed=8, pipelines_per_project=3)) as server:
        grant_token(server)
        yield server


def _get(sim: Simulator, path: str, **params: Any) -> Any:
    response = requests.get(
        f"{sim.url}/api/v4{path}", params=params, headers={"PRIVATE-TOKEN": sim.token}, timeout=10
    )
    response.raise_for_status()
    return response.json()


def _published(sim: Simulator) -> list[Any]:
    with sim.state.changing():
        return [
            p
            for p in sorted(sim.state.projects.values(), key=lambda p: p.id)
            if p.visibility != "private" and not p.archived and p.namespace_kind == "group"
            and not p.empty_repo and sim.state.pipelines(p.id)
        ]  # fmt: skip


def test_hostile_ids_long_strings_and_deep_json(sim: Simulator, tmp_path: Path) -> None:
    victim, deep_one = _published(sim)[:2]
    group = victim.namespace_id
    while sim.state.groups[group].parent_id is not None:
        group = sim.state.groups[group].parent_id  # type: ignore[assignment]
    listing_path = f"/api/v4/groups/{group}/projects"
    pipeline = sim.state.pipelines(deep_one.id)[-1]
    deep_path = f"/api/v4/projects/{deep_one.id}/pipelines/{pipeline.id}"
    depth = 200_000

    page = _get(
        sim,
        f"/groups/{group}/projects",
        include_subgroups="true",
        with_shared="false",
        order_by="id",
        sort="asc",
        archived="false",
        per_page=100,
    )
    assert len(page) < 100  # one page: the hostile answer needs no pagination headers
    for item in page:
        if item["id"] == victim.id:
            item["description"] = "x" * 100_000
            item["star_count"] = 10**40
    page += [{"id": "abc"}, {"id": 10**30, "visibility": "public"}, {"id": None}]

    def answer(_template: str, path: str, _query: list[tuple[str, str]]) -> Reply | None:
        if path == listing_path:
            return Reply(page)
        if path == deep_path:
            return Reply(("[" * depth + "]" * depth).encode())
        return None

    # REST only: the deep answer is a pipeline's REST detail (GraphQL's: tests/fetch/test_bulk).
    ws = make_workspace(sim, tmp_path / "ws", fetch="  graphql: false\n")
    first = gldash(
        "build", "-c", str(ws.config_path), "--allow-empty-history", cwd=ws.root, env=ENV
    )
    assert first.returncode == 0, first.stderr
    sim.clock.advance(hours=1)
    sim.on_request(answer)
    try:
        result = gldash("build", "-c", str(ws.config_path), "--full", cwd=ws.root, env=ENV)
    finally:
        sim.on_request(None)
    assert "Traceback" not in result.stderr, result.stderr
    # Exit 1: one project could not be refreshed; everything else was.
    assert result.returncode == 1, result.stderr
    projects = {p["id"]: p for p in read_snapshot(ws.snapshot)["sources"][0]["projects"]}
    record = projects[victim.id]
    assert len(record["description"] or "") == MAX_TEXT
    assert record["star_count"] == 0
    assert projects[deep_one.id]["stale"] is not None  # kept from the first build, marked
    assert "not valid JSON" in result.stderr
    text = ws.snapshot.read_text(encoding="utf-8")
    assert "x" * (MAX_TEXT + 1) not in text
    assert str(10**30) not in text and str(10**40) not in text
    json.loads(text)  # and it is still plain JSON


def test_an_answer_over_the_body_limit_is_not_read(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "MAX_BODY_BYTES", 50_000)
    api = ApiClient(sim.url, sim.token, max_retries=0)
    big = b'{"version": "' + b"x" * 200_000 + b'"}'

    def answer(template: str, _path: str, _query: object) -> Reply | None:
        return Reply(big) if template == "GET /version" else None

    sim.on_request(answer)
    try:
        with pytest.raises(ApiError, match="ResponseTooLarge"):
            api.get("/version")
        assert api.get("/user")["username"]  # other answers are read as before
    finally:
        sim.on_request(None)
        api.close()
