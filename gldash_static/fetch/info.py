"""How a snapshot was made (its `fetch` record): built in one place for every fetch mode."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gldash_static.model import FetchInfo, FetchMode


def fetch_info(
    mode: FetchMode,
    *,
    started_at: str,
    finished_at: str,
    duration_s: float = 0.0,
    api_calls: Mapping[str, int] | None = None,
    retries: int = 0,
    rate_limited: int = 0,
    errors: Iterable[str] = (),
    shard: tuple[int, int] | None = None,
) -> FetchInfo:
    """The snapshot's `fetch` record; API calls sorted by endpoint, shard as index/total."""
    return {
        "mode": mode,
        "started_at": started_at,
        "finished_at": finished_at,
        "duration_s": duration_s,
        "api_calls": dict(sorted((api_calls or {}).items())),
        "retries": retries,
        "rate_limited": rate_limited,
        "errors": list(errors),
        "shard": {"index": shard[0], "total": shard[1]} if shard else None,
    }
