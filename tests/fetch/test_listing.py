"""Shards that refresh: one shared listing, each shard its share on top of the previous
snapshot, merged into what an unsharded refresh gives at about its cost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fetch_helpers import comparable, run_fetch

from gldash_static.config import Config
from gldash_static.errors import FetchError, SnapshotError, UsageError
from gldash_static.fetch import list_sources, listing
from gldash_static.fetch.merge import merge_snapshots
from gldash_static.fetch.progress import Quiet
from gldash_static.model import Snapshot
from gldash_static.simulator import Faults, Simulator

SHARDS = 4


def calls(snapshot: Snapshot) -> int:
    """Every API call a snapshot's fetch made."""
    return sum(snapshot["fetch"]["api_calls"].values())


def sharded(config: Config, previous: Snapshot | None, **request: Any) -> Snapshot:
    """A shared listing, then every shard on top of `previous`, merged."""
    shared = tuple(list_sources(config, previous, Quiet(), full=bool(request.get("full"))))
    parts = [
        run_fetch(config, previous, shard=(i, SHARDS), listing=shared, **request).snapshot
        for i in range(1, SHARDS + 1)
    ]
    return merge_snapshots(parts, [f"part-{i}" for i in range(1, SHARDS + 1)])


def test_a_sharded_refresh_equals_the_unsharded_one_at_about_its_cost(
    sim: Simulator, config_for: Any
) -> None:
    config = config_for(sim)
    first = run_fetch(config).snapshot
    sim.clock.advance(hours=2)
    server_before = sum(sim.counters.values())
    merged = sharded(config, first)
    server = sum(sim.counters.values()) - server_before
    one = run_fetch(config, previous=first).snapshot
    assert comparable(merged) == comparable(one)
    assert calls(merged) == server  # the listing's calls are counted once, by shard 1
    # Listing once: the shards add only their share of GraphQL batches.
    assert calls(merged) <= 1.2 * calls(one), (calls(merged), calls(one))


def test_sharded_full_fetch_from_a_listing_equals_a_full_fetch(
    shared_sim: Simulator, config_for: Any
) -> None:
    config = config_for(shared_sim)
    merged = sharded(config, None, full=True)
    assert comparable(merged) == comparable(run_fetch(config, full=True).snapshot)


def test_a_failed_group_merge_request_listing_keeps_the_previous_ones(
    sim: Simulator, config_for: Any
) -> None:
    config = config_for(sim)
    first = run_fetch(config).snapshot
    sim.clock.advance(hours=2)
    sim.set_faults(Faults(routes={"GET /groups/:id/merge_requests": Faults(error_rate=1.0)}))
    shared = tuple(list_sources(config, first, Quiet()))
    sim.set_faults(Faults())
    assert all(s.merge_requests is None and s.merge_requests_error for s in shared)
    outcome = run_fetch(config, first, shard=(1, 1), listing=shared)
    assert not outcome.complete
    assert any("group merge requests" in e for e in outcome.snapshot["fetch"]["errors"])
    before = {p["id"]: p["merge_requests"] for p in first["sources"][0]["projects"]}
    for project in outcome.snapshot["sources"][0]["projects"]:
        if project["id"] in before and before[project["id"]]:
            assert project["merge_requests"] == before[project["id"]]
    # Only the listing asked (shard 1 reports its calls): the shard did not ask again.
    route = "GET /groups/:id/merge_requests"
    assert outcome.snapshot["fetch"]["api_calls"][route] == (shared[0].api_calls or {})[route]


def test_a_shard_whose_previous_snapshot_differs_lists_merge_requests_itself(
    sim: Simulator, config_for: Any
) -> None:
    config = config_for(sim)
    first = run_fetch(config).snapshot
    sim.clock.advance(hours=1)
    second = run_fetch(config, previous=first).snapshot
    sim.clock.advance(hours=1)
    shared = tuple(list_sources(config, first, Quiet()))  # listed since the first
    outcome = run_fetch(config, second, shard=(1, 1), listing=shared)  # refreshes the second
    route = "GET /groups/:id/merge_requests"
    listed = (shared[0].api_calls or {})[route]
    assert outcome.snapshot["fetch"]["api_calls"][route] > listed  # and the shard's own
    assert comparable(outcome.snapshot) == comparable(run_fetch(config, previous=second).snapshot)


def test_a_listing_is_for_shards_and_for_its_own_sources(sim: Simulator, config_for: Any) -> None:
    config = config_for(sim)
    shared = tuple(list_sources(config, None, Quiet()))
    with pytest.raises(UsageError, match="--listing goes with --shard"):
        run_fetch(config, listing=shared)
    other = (listing.SourceListing(**{**vars(shared[0]), "url": "https://elsewhere.example"}),)
    with pytest.raises(UsageError, match="no source"):
        run_fetch(config, shard=(1, 2), listing=other)


def test_a_listing_file_round_trips(sim: Simulator, config_for: Any, tmp_path: Path) -> None:
    shared = list_sources(config_for(sim), None, Quiet())
    path = tmp_path / "listing.json"
    listing.write(shared, path)
    assert listing.read(path) == shared


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "invalid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "invalid JSON"),
        (json.dumps({"kind": "gldash-snapshot"}).encode(), "not a gldash listing"),
        (json.dumps({"kind": "gldash-listing", "version": 9}).encode(), "version 9"),
        (json.dumps({"kind": "gldash-listing", "version": 1}).encode(), "without sources"),
        (
            json.dumps(
                {"kind": "gldash-listing", "version": 1, "sources": [{"url": "u", "started": 3}]}
            ).encode(),
            "valid start time",
        ),
    ],
)
def test_a_broken_listing_file_is_one_clear_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "listing.json"
    path.write_bytes(content)
    with pytest.raises(SnapshotError, match=message):
        listing.read(path)


def test_records_without_an_id_are_dropped_from_a_listing(tmp_path: Path) -> None:
    path = tmp_path / "listing.json"
    source = {
        "url": "https://gitlab.example.com",
        "started": "2026-11-28T06:00:00.000Z",
        "groups": [{"id": 1}, {"id": "x"}, "nope"],
        "projects": [{"id": 5}, {"id": -1}, {"id": True}, None],
        "merge_requests": [{"project_id": 5, "iid": 2}, {"project_id": "5", "iid": 1}],
        "api_calls": {"GET /version": 1, "evil": -4, "x": "y"},
    }
    path.write_text(json.dumps({"kind": "gldash-listing", "version": 1, "sources": [source]}))
    (read,) = listing.read(path)
    assert read.groups == [{"id": 1}] and read.projects == [{"id": 5}]
    assert read.merge_requests == [{"project_id": 5, "iid": 2}]
    assert read.api_calls == {"GET /version": 1}
    assert read.since is None and read.version is None


def test_a_listing_too_large_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listing, "MAX_BYTES", 100)
    path = tmp_path / "listing.json"
    path.write_text(json.dumps({"kind": "gldash-listing", "padding": "x" * 200}))
    with pytest.raises(SnapshotError, match="listing"):
        listing.read(path)


def test_a_listing_file_holds_only_what_shards_read(
    sim: Simulator, config_for: Any, tmp_path: Path
) -> None:
    config = config_for(sim)
    path = tmp_path / "listing.json"
    listing.write(list_sources(config, None, Quiet()), path)
    (source,) = json.loads(path.read_text())["sources"]
    assert source["projects"] and source["groups"] and source["merge_requests"]
    for project in source["projects"]:
        assert set(project) <= listing.PROJECT_KEYS | {"namespace"}
    for group in source["groups"]:
        assert set(group) <= listing.GROUP_KEYS
    for mr in source["merge_requests"]:
        assert set(mr) <= listing.MERGE_REQUEST_KEYS | {"author"}
        assert set(mr["author"]) == {"username"}
    text = path.read_text()
    assert "runners_token" not in text and "_email" not in text and "@" not in text
    assert sim.token not in text


def test_a_listing_from_the_future_is_refused(sim: Simulator, config_for: Any) -> None:
    config = config_for(sim)
    (listed,) = list_sources(config, None, Quiet())
    ahead = listing.SourceListing(**{**vars(listed), "started": "2100-01-01T00:00:00.000Z"})
    with pytest.raises(FetchError, match="after this machine's clock"):
        run_fetch(config, shard=(1, 2), listing=(ahead,))
