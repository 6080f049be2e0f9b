"""Seeded fault injection: errors, latency, stalls, resets, truncated bodies, revoked tokens."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Literal


@dataclass(frozen=True)
class Faults:
    """What can go wrong; `routes` overrides these settings for matching routes.

    Keys of `routes` are fnmatch patterns matched against the route template
    (`"GET /projects/:id/pipelines"`) or the request path (`"/api/v4/projects/5/pipelines"`);
    the first pattern that matches wins and replaces these settings for that request.
    """

    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    stall_rate: float = 0.0
    stall_s: float = 30.0
    reset_rate: float = 0.0
    truncate_rate: float = 0.0
    truncate_mode: Literal["random", "short", "full"] = "random"
    revoke_after: int | None = None  # each token gets 401 after this many requests
    date: str | None = None  # a Date header to send instead of the simulated clock's
    seed: int = 0
    routes: Mapping[str, Faults] = field(default_factory=dict)

    def for_route(self, template: str, path: str) -> Faults:
        """The settings that apply to one request."""
        for pattern, faults in self.routes.items():
            if fnmatchcase(template, pattern) or fnmatchcase(path, pattern):
                return faults
        return self


@dataclass(frozen=True)
class Decision:
    """What the server does to one request."""

    delay_s: float = 0.0
    stall_s: float = 0.0
    error_status: int | None = None
    reset: bool = False
    truncate: Literal["short", "full"] | None = None
    truncate_fraction: float = 0.5
    date: str | None = None


class FaultInjector:
    """Draws fault decisions from one seeded random stream (deterministic for serial clients)."""

    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self.set(faults)

    def set(self, faults: Faults) -> None:
        """Replace the fault settings and restart the random stream from their seed."""
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.seed)

    def decide(self, template: str, path: str) -> Decision:
        """Roll the dice for one request."""
        with self._lock:
            f = self.faults.for_route(template, path)
            if f.date is not None:
                return Decision(date=f.date)
            r = self._rng
            delay = max(0.0, f.latency_ms + (r.uniform(-1, 1) * f.jitter_ms if f.jitter_ms else 0))
            if f.reset_rate and r.random() < f.reset_rate:
                return Decision(delay_s=delay / 1000, reset=True)
            if f.stall_rate and r.random() < f.stall_rate:
                return Decision(delay_s=delay / 1000, stall_s=f.stall_s)
            if f.error_rate and r.random() < f.error_rate:
                return Decision(delay_s=delay / 1000, error_status=r.choice(f.error_statuses))
            if f.truncate_rate and r.random() < f.truncate_rate:
                mode: Literal["short", "full"] = (
                    r.choice(("short", "full")) if f.truncate_mode == "random" else f.truncate_mode
                )
                return Decision(delay / 1000, truncate=mode, truncate_fraction=r.uniform(0.1, 0.9))
            return Decision(delay_s=delay / 1000)

    def revoke_after(self) -> int | None:
        """The global revoke-after setting."""
        return self.faults.revoke_after
