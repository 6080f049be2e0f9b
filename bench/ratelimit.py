"""Rate-limit ceiling (requests a minute achieved under a per-token limit) and header modes.

The simulator counts fixed 60 s windows per token on the wall clock, aligned to the epoch
as GitLab's Rack::Attack counts them. From the server's request counters, sampled every
0.1 s, window starts are found as the first answered request after a pause of over a second
(gldash's pacer stops sending once a window is spent); the achieved rate is the requests
answered in the complete windows divided by the time they spanned, so time lost between a
window's end and the next one's first request counts against it. The window the fetch
started in is not counted: it began before the fetch (windows are aligned to the epoch).
"""

from __future__ import annotations

import json
from typing import Any

PAUSE_S = 1.0


def window_starts(timeline: list[tuple[float, int, int]]) -> list[float]:
    """Times at which requests resumed after a pause: the rate-limit windows' starts."""
    starts: list[float] = []
    last_change = None
    previous = timeline[0][1] if timeline else 0
    for t, answered, _ in timeline[1:]:
        if answered != previous:
            if last_change is None or t - last_change > PAUSE_S:
                starts.append(t)
            last_change = t
            previous = answered
    return starts


def analyse(result: dict[str, Any], limit: int) -> dict[str, Any]:
    """Achieved rate over complete windows, 429s seen and whether any surfaced as an error."""
    timeline = [tuple(s) for s in result["timeline"]]
    starts = window_starts(timeline)  # type: ignore[arg-type]
    # Windows are aligned to the epoch: the first one began before the fetch did, so the
    # fetch saw only its remainder (with the whole quota). Only windows it saw from their
    # first second on are complete: those from the second start.
    starts = starts[1:]

    def answered_at(moment: float) -> int:
        return max((a for t, a, _ in timeline if t <= moment), default=0)

    windows = [
        answered_at(starts[i + 1] - 0.05) - answered_at(starts[i] - 0.05)
        for i in range(len(starts) - 1)
    ]
    span = starts[-1] - starts[0] if len(starts) > 1 else 0.0
    achieved = sum(windows) / span * 60 if span else None
    return {
        "limit_per_minute": limit,
        "windows_complete": len(windows),
        "requests_per_window": windows,
        "achieved_per_minute": achieved,
        "of_limit": achieved / limit if achieved else None,
        "fetch_wall_s": result["wall_s"],
        "requests": result["server_calls"],
        "server_429": result["server_429"],
        "client_rate_limited": result["rate_limited"],
        "errors": result["errors"],
        "complete": result["complete"],
        "stale": result["stale"],
    }


# Issue 13: the same organisation and limit in each way GitLab can signal it. "bare 429" is
# an application limit over every route (the simulator's "*"): the same total limit, but
# answered as `check_rate_limit!` answers, with neither Retry-After nor RateLimit-*.
HEADER_MODES = ("gitlab.com", "self-managed", "bare 429")


def mode_job(mode: str, projects: int, limit: int, window_s: float) -> dict[str, Any]:
    """The `bench.fetch_run` job of one header mode."""
    # REST only: its 20 requests a project are what runs into the limit; a GraphQL full fetch
    # of the same organisation makes a twentieth as many and never meets it.
    job: dict[str, Any] = {
        "side": "ours",
        "projects": projects,
        "window_s": window_s,
        "graphql": False,
    }
    if mode == "bare 429":
        return {**job, "headers": "self-managed", "app_limits": {"*": limit}}
    return {**job, "headers": mode, "rate_limit": limit}


def mode_row(result: dict[str, Any]) -> dict[str, Any]:
    """What the header-mode table shows of one run."""
    return {
        "wall_s": result["wall_s"],
        "requests": result["server_calls"],
        "server_429": result["server_429"],
        "bare_429": result["app_429"],
        "client_rate_limited": result["rate_limited"],
        "errors": len(result["errors"]),
        "complete": result["complete"],
        "stale": result["stale"],
        "projects": result["counts"]["projects"],
        "counts": result["counts"],
    }


def header_modes(
    rows: dict[str, dict[str, Any]], projects: int, limit: int, window_s: float
) -> dict[str, Any]:
    """The header-mode section: each mode's row and bare 429's wall time against GitLab.com's."""
    base = rows["gitlab.com"]["wall_s"]
    return {
        "org_projects": projects,
        "limit_per_window": limit,
        "window_s": window_s,
        "modes": rows,
        "same_data": len({json.dumps(r["counts"], sort_keys=True) for r in rows.values()}) == 1,
        "bare_vs_gitlab_com": rows["bare 429"]["wall_s"] / base,
        "self_managed_vs_gitlab_com": rows["self-managed"]["wall_s"] / base,
    }
