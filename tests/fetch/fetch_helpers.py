"""Helpers for fetch tests: configs for a simulator, in-process fetches, snapshot comparison."""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from gldash_static.config import Config, parse_config
from gldash_static.fetch import FetchOutcome, FetchRequest, fetch_snapshot
from gldash_static.fetch.progress import Quiet
from gldash_static.model import Snapshot
from gldash_static.simulator import Faults, OrgSpec, Simulator
from gldash_static.timeutil import iso_utc

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "snapshot.schema.json").read_text()
)
# 100 projects, 48 of them published: failing and running pipelines, open merge requests, an
# empty repository, archived, private, personal and shared projects, three top-level groups.
# About 5 pipelines a project, all kept (BIG_FETCH keeps 4 of about 20).
SMALL = OrgSpec(projects=100, seed=2, pipelines_per_project=5)
# 60 projects, 8 of them published: for tests about one project or about failures.
TINY = OrgSpec(projects=60, seed=11, pipelines_per_project=8)
# Today's size of a test organisation: 500 projects, 150 published (two GraphQL batches),
# about 20 pipelines each, of which BIG_FETCH keeps the latest 4: the selection of what to
# keep is exercised on every project, with far fewer requests than keeping the default 20.
BIG = OrgSpec(projects=500, seed=2)
# The ground truth fetches with the default eight workers, as users run it.
BIG_FETCH = "fetch:\n  pipelines_per_project: 4\n  concurrency: 8\n"
# Client and simulator share one interpreter in a test: two workers fetch a small organisation
# as fast as eight at about a fifth less CPU. Tests that set concurrency keep theirs.
TEST_CONCURRENCY = 2
# Projects per GraphQL request unless a test says otherwise: SMALL's refresh asks in three
# batches, as a large organisation's does in many (GitLab's own batch is 100).
GRAPHQL_BATCH = 16
# For tests of which projects and groups are fetched, not what: one pipeline each and
# nothing else keeps such a fetch quick.
SELECTION_ONLY = (
    "fetch:\n  pipelines_per_project: 1\n  branches: false\n"
    "  merge_requests: false\n  failed_jobs: false\n"
)


def second(moment: datetime | None) -> str | None:
    """A simulator time as snapshots store pipeline times: UTC to the second."""
    return None if moment is None else iso_utc(moment)


def top_groups(sim: Simulator) -> list[str]:
    """Full paths of the simulator's top-level groups."""
    return sorted(g.full_path for g in sim.state.groups.values() if g.parent_id is None)


def with_test_concurrency(extra: str) -> str:
    """`extra` config text with TEST_CONCURRENCY in its fetch section unless it sets its own."""
    if re.search(r"(?m)^  concurrency:", extra):
        return extra
    line = f"  concurrency: {TEST_CONCURRENCY}\n"
    merged, found = re.subn(r"(?m)^fetch:\n", lambda m: m.group(0) + line, extra, count=1)
    return merged if found else f"{extra}fetch:\n{line}"


def make_config(
    sim: Simulator, tmp: Path, extra: str = "", groups: list[str] | None = None
) -> Config:
    """A config.yml for the simulator's organisation, validated like a user's."""
    text = (
        f"sources:\n  - url: {sim.url}\n    groups: {json.dumps(groups or top_groups(sim))}\n"
        f"{with_test_concurrency(extra)}"
    )
    path = tmp / "config.yml"
    path.write_text(text)
    return parse_config(text, path)


def run_fetch(
    config: Config,
    previous: Snapshot | None = None,
    *,
    graphql_batch: int = GRAPHQL_BATCH,
    **request: Any,
) -> FetchOutcome:
    """Fetch in-process with quiet progress, fast retries and `graphql_batch` per probe."""
    return fetch_snapshot(
        config,
        previous,
        FetchRequest(**request),
        Quiet(),
        backoff_s=0.01,
        graphql_batch=graphql_batch,
    )


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


@contextlib.contextmanager
def left_as_found(sim: Simulator) -> Iterator[None]:
    """Undo a test's faults, hooks and GraphQL limits; fail if it moved the clock."""
    now = sim.clock.now
    limits = (sim.graphql_limits.max_complexity, sim.graphql_limits.page_size)
    try:
        yield
    finally:
        sim.on_request(None)
        sim.set_faults(Faults())
        sim.graphql_limits.max_complexity, sim.graphql_limits.page_size = limits
        sim.graphql_limits.rewrite = None
    # Later tests of the module read this organisation as it was.
    assert sim.clock.now == now, "a test changed the shared organisation"
