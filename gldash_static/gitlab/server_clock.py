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
# Answers kept to vote on: the first ones (for the watermark) and the latest (for the date).
KEEP_EACH_END = 1_000


@dataclass(frozen=True)
class ClockReading:
    """The trusted span of server times seen, and the answers that were outvoted."""

    first: float | None
    last: float | None
    outvoted: int = 0
    example: float | None = None  # one outvoted server time, for the warning


def reading(samples: list[tuple[float, float]], tolerance_s: float = TOLERANCE_S) -> ClockReading:
    """Trusted first and last server time from (server time, local time) pairs, in order."""
    if not samples:
        return ClockReading(None, None)
    if len(samples) < 3:
        servers = [server for server, _ in samples]
        return ClockReading(servers[0], max(servers))  # too few to outvote anyone
    middle = statistics.median(server - local for server, local in samples)
    trusted = [s for s, local in samples if abs((s - local) - middle) <= tolerance_s]
    odd = [s for s, local in samples if abs((s - local) - middle) > tolerance_s]
    return ClockReading(trusted[0], max(trusted), len(odd), odd[0] if odd else None)


class ServerClock:
    """Collects (server time, local time) pairs from many threads; `reading()` decides."""

    def __init__(self) -> None:
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
        return reading(samples)
