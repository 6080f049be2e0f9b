"""Helpers for fetch tests: configs for a simulator, in-process fetches, snapshot comparison."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from gldash_static.config import Config, parse_config
from gldash_static.fetch import FetchOutcome, FetchRequest, fetch_snapshot
from gldash_static.fetch.progress import Quiet
from gldash_static.model import Snapshot
from gldash_static.simulator import Simulator

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "snapshot.schema.json").read_text()
)


def top_groups(sim: Simulator) -> list[str]:
    """Full paths of the simulator's top-level groups."""
    return sorted(g.full_path for g in sim.state.groups.values() if g.parent_id is None)


def make_config(
    sim: Simulator, tmp: Path, extra: str = "", groups: list[str] | None = None
) -> Config:
    """A config.yml for the simulator's organisation, validated like a user's."""
    text = (
        f"sources:\n  - url: {sim.url}\n    groups: {json.dumps(groups or top_groups(sim))}\n"
        f"{extra}"
    )
    path = tmp / "config.yml"
    path.write_text(text)
    return parse_config(text, path)


def run_fetch(config: Config, previous: Snapshot | None = None, **request: Any) -> FetchOutcome:
    """Fetch in-process with quiet progress and fast retries."""
    return fetch_snapshot(config, previous, FetchRequest(**request), Quiet(), backoff_s=0.01)


def comparable(snapshot: Snapshot) -> dict[str, Any]:
    """The snapshot without what legitimately differs between two fetches of the same state."""
    data: dict[str, Any] = copy.deepcopy(dict(snapshot))
    for key in ("generated_at", "fetch", "generator"):
        data.pop(key)
    for source in data["sources"]:
        source.pop("watermark")
        for project in source["projects"]:
            project.pop("fetched_at")
            project.pop("branches_fetched_at")  # when, not what: a refresh may keep older ones
    return data
