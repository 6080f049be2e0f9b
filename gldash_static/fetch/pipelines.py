"""Which pipelines a project keeps: the latest N on the default branch plus the latest of each
other ref seen in that window. Pure functions, shared by full and incremental fetching."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from gldash_static.model import FINISHED_STATUSES, Pipeline
from gldash_static.timeutil import second_time

# Pipeline list items carry id, ref, status and updated_at; details add the rest.
Summary = dict[str, Any]
# select() keeps what it is given: list items, stored summaries or whole records.
Listed = TypeVar("Listed", bound=Mapping[str, Any])


def select(candidates: Iterable[Listed], default_branch: str | None, keep: int) -> list[Listed]:
    """The kept pipelines, newest first, from any superset of them."""
    ordered = sorted({c["id"]: c for c in candidates}.values(), key=lambda c: -int(c["id"]))
    defaults = [c for c in ordered if c.get("ref") == default_branch][:keep]
    if len(defaults) == keep:
        window_start = int(defaults[-1]["id"])
    else:
        window_start = min((int(c["id"]) for c in ordered), default=0)
    latest_other: dict[str, Listed] = {}
    for c in ordered:
        ref = str(c.get("ref"))
        if ref != default_branch and int(c["id"]) >= window_start and ref not in latest_other:
            latest_other[ref] = c
    kept = {int(c["id"]): c for c in [*defaults, *latest_other.values()]}
    return [kept[i] for i in sorted(kept, reverse=True)]


def enough_listed(
    listed: Sequence[Mapping[str, Any]], default_branch: str | None, keep: int
) -> bool:
    """Whether a newest-first listing already holds `keep` default-branch pipelines."""
    return sum(1 for c in listed if c.get("ref") == default_branch) >= keep


def reusable(previous: Pipeline | None, summary: Summary) -> bool:
    """A finished pipeline seen before with the same updated_at never needs fetching again.

    Times compare to the second: stored ones are (see convert.pipeline), and older
    snapshots and REST listings carry milliseconds.
    """
    if previous is None or previous["status"] not in FINISHED_STATUSES:
        return False
    stored = second_time(previous["updated_at"])
    return (
        stored is not None
        and stored == second_time(summary.get("updated_at"))
        and previous["status"] == summary.get("status")
    )


def summary_of(pipeline: Pipeline) -> Summary:
    """The list-item view of a stored pipeline, to combine with fresh list items."""
    return {
        "id": pipeline["id"],
        "ref": pipeline["ref"],
        "status": pipeline["status"],
        "updated_at": pipeline["updated_at"],
    }
