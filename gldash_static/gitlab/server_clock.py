"""GitLab's clock as the answers of one run agree on it: one odd `Date` header is outvoted.

The fetch takes its incremental watermark and the snapshot's date from the server's clock,
so that a runner with a wrong clock cannot skip changes. But a single answer (a proxy, a
cache, a misconfigured node behind a load balancer) must not move either into the future:
each `Date` is compared with the machine's clock at arrival, and answers whose offset is far
from the median offset of the run are not trusted.
"""

from __future__ import annotations

import statistics
import threading
from collections import deque
from dataclasses import dataclass

# Date headers have one-second resolution and answers take a while; clocks of the nodes of
# one GitLab agree to well within this.
TOLERANCE_S = 300.0
# How far the server's clock may have moved against the runner's since the previous snapshot
# before a lone answer is not believed: clocks drift by seconds; a simulated clock (the demo,
# tests) jumps by days; a broken header says 2100.
ANCHOR_TOLERANCE_S = 30 * 86_400.0
# Answers kept to vote on: the first ones (for the watermark) and the latest (for the date).
KEEP_EACH_END = 1_000


@dataclass(frozen=True)
class ClockReading:
    """The trusted span of server times seen, and the answers that were not trusted."""

    first: float | None
    last: float | None
    outvoted: int = 0
    example: float | None = None  # one untrusted server time, for the warning


def _near(samples: list[tuple[float, float]], offset: float, tolerance: float) -> list[float]:
    return [s for s, local in samples if abs((s - local) - offset) <= tolerance]


def reading(
    samples: list[tuple[float, float]],
    anchor: float | None = None,
    tolerance_s: float = TOLERANCE_S,
) -> ClockReading:
    """Trusted first and last server time from (server time, local time) pairs, in order.

    Three answers or more vote: those near the median offset (server minus local time) are
    trusted when they are at least half. Fewer cannot outvote anyone, and a vote can split
    (two nodes with different clocks); then `anchor`, the offset the previous snapshot saw,
    decides within ANCHOR_TOLERANCE_S, and without one the earliest clock wins: a clock
    behind only makes the next refresh ask for more, one ahead would skip changes.
    """
    if not samples:
        return ClockReading(None, None)
    offsets = [server - local for server, local in samples]
    trusted: list[float] = []
    if len(samples) >= 3:
        trusted = _near(samples, statistics.median(offsets), tolerance_s)
    if len(trusted) * 2 < len(samples) and anchor is not None:
        trusted = _near(samples, anchor, ANCHOR_TOLERANCE_S)
    elif len(trusted) * 2 < len(samples):
        trusted = _near(samples, min(offsets), tolerance_s)
    odd = [s for s, _ in samples if s not in trusted]
    if not trusted:
        return ClockReading(None, None, len(odd), odd[0])
    return ClockReading(trusted[0], max(trusted), len(odd), odd[0] if odd else None)


class ServerClock:
    """Collects (server time, local time) pairs from many threads; `reading()` decides."""

    def __init__(self, anchor: float | None = None) -> None:
        self.anchor = anchor  # server minus local time as the previous snapshot saw it
        self._lock = threading.Lock()
        self._head: list[tuple[float, float]] = []
        self._tail: deque[tuple[float, float]] = deque(maxlen=KEEP_EACH_END)

    def saw(self, server: float, local: float) -> None:
        """One answer's Date header (as Unix time) and when it arrived."""
        with self._lock:
            if len(self._head) < KEEP_EACH_END:
                self._head.append((server, local))
            else:
                self._tail.append((server, local))

    def reading(self) -> ClockReading:
        """The trusted span, judged on the first and the latest answers of the run."""
        with self._lock:
            samples = self._head + list(self._tail)
        return reading(samples, self.anchor)
