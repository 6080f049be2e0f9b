"""Helpers for simulator tests: documented examples and python-gitlab clients."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import gitlab

from gldash_static.simulator import Simulator
from gldash_static.simulator.ratelimit import AppLimits, RateLimiter

STEADY_NOW = 60_000.5  # just after a window starts, for windows that divide a minute
EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "gitlab-api-examples"


def load_example(name: str) -> Any:
    """A documented GitLab response body (the `.jsonc` comment stripped)."""
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    if name.endswith(".jsonc"):
        text = re.sub(r"\s//[^\n]*", "", text)
    return json.loads(text)


def client(sim: Simulator, token: str | None = None, **kwargs: Any) -> gitlab.Gitlab:
    """python-gitlab pointed at the simulator, as the fetcher would configure it."""
    kwargs.setdefault("timeout", 10)
    return gitlab.Gitlab(sim.url, private_token=token or sim.token, **kwargs)


def steady(sim: Simulator, now: list[float] | None = None) -> Simulator:
    """`sim` with its throttle and application limits on a clock that reads `now[0]`.

    Without `now`, the clock stands still, so no window edge falls between a test's requests
    and none is waited for. The simulator has no option for this clock yet; its own tests
    may set its parts.
    """
    clock = (lambda: now[0]) if now is not None else (lambda: STEADY_NOW)
    limiter = sim._limiter
    if limiter is not None:
        sim._limiter = RateLimiter(
            limiter.limit, limiter.window_s, limiter.name, limiter.headers, clock=clock
        )
    limits = sim._app_limits
    sim._app_limits = AppLimits(limits.per_minute, limits._windows.window_s, clock=clock)
    return sim
