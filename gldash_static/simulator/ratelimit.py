"""Per-token rate limiting with GitLab's RateLimit-* headers.

The window runs on the wall clock (monotonic), not the simulator clock: clients really
sleep on `Retry-After`, so only real time can let them through again.
"""

from __future__ import annotations

import math
import threading
import time
from email.utils import formatdate


class RateLimiter:
    """A fixed window of `window_s` seconds per token, `limit` requests each."""

    def __init__(
        self, limit: int, window_s: float = 60.0, name: str = "throttle_authenticated_api"
    ):
        if limit < 1 or window_s <= 0:
            raise ValueError("rate limit and window must be positive")
        self.limit = limit
        self.window_s = window_s
        self.name = name
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # token -> (window start, count)

    def hit(self, key: str) -> tuple[bool, dict[str, str]]:
        """Count one request; returns (allowed, headers to send)."""
        now_mono, now_wall = time.monotonic(), time.time()
        with self._lock:
            start, count = self._windows.get(key, (now_mono, 0))
            if now_mono - start >= self.window_s:
                start, count = now_mono, 0
            count += 1
            self._windows[key] = (start, count)
        remaining_s = max(0.0, start + self.window_s - now_mono)
        reset_epoch = math.ceil(now_wall + remaining_s)
        allowed = count <= self.limit
        headers = {
            "RateLimit-Name": self.name,
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Observed": str(count),
            "RateLimit-Remaining": str(max(0, self.limit - count)),
            "RateLimit-Reset": str(reset_epoch),
            "RateLimit-ResetTime": formatdate(reset_epoch, usegmt=True),
        }
        if not allowed:
            headers["Retry-After"] = str(max(1, math.ceil(remaining_s)))
        return allowed, headers
