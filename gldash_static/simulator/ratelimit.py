"""GitLab's two kinds of rate limit: Rack::Attack throttles and application limits.

Both count fixed windows aligned to the epoch (Rack::Attack's `period_key = now / period`,
copied by `Gitlab::ApplicationRateLimiter`), on the wall clock, not the simulator clock:
clients really sleep on `Retry-After`, so only real time can let them through again.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import formatdate

# Where RateLimit-* headers appear (lib/gitlab/middleware/rack_attack_headers.rb): on every
# answer behind the `rate_limiting_headers_for_unthrottled_requests` flag (GitLab.com), else
# only on throttled answers (the flag's default, so every self-managed instance).
HEADER_MODES = ("gitlab.com", "self-managed")
ALL_ROUTES = "*"  # an application limit over every route: one bucket per user (bench only)
# lib/api/helpers/rate_limiter.rb: render_api_error!({ error: ... }, 429)
APP_LIMIT_BODY = {
    "message": {"error": "This endpoint has been requested too many times. Try again later."}
}


def header_mode(mode: str) -> str:
    """`mode` if it names a header mode, else ValueError."""
    if mode not in HEADER_MODES:
        raise ValueError(f"rate_limit_headers must be one of {', '.join(HEADER_MODES)}")
    return mode


class _Windows:
    """Per-key request counts in fixed windows of `window_s` seconds aligned to the epoch."""

    def __init__(self, window_s: float, clock: Callable[[], float]) -> None:
        if window_s <= 0:
            raise ValueError("rate limit window must be positive")
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window number, count)

    def hit(self, key: str) -> tuple[int, float]:
        """Count one request; returns (count in this window, seconds until the window ends)."""
        now = self._clock()
        period = math.floor(now / self.window_s)
        with self._lock:
            seen, count = self._counts.get(key, (period, 0))
            count = count + 1 if seen == period else 1
            self._counts[key] = (period, count)
        return count, (period + 1) * self.window_s - now


class RateLimiter:
    """A Rack::Attack throttle: `limit` requests per token per window, with RateLimit-* headers."""

    def __init__(
        self,
        limit: int,
        window_s: float = 60.0,
        name: str = "throttle_authenticated_api",
        headers: str = "self-managed",
        clock: Callable[[], float] = time.time,
    ):
        if limit < 1:
            raise ValueError("rate limit must be positive")
        self.limit = limit
        self.window_s = window_s
        self.name = name
        self.headers = header_mode(headers)
        self._clock = clock
        self._windows = _Windows(window_s, clock)

    def hit(self, key: str) -> tuple[bool, dict[str, str]]:
        """Count one request; returns (allowed, headers to send)."""
        count, left_s = self._windows.hit(key)
        allowed = count <= self.limit
        if allowed and self.headers == "self-managed":
            return True, {}
        reset_epoch = math.ceil(self._clock() + left_s)
        # RequestThrottleData#common_response_headers: the limit is scaled to 60 s.
        headers = {
            "RateLimit-Name": self.name,
            "RateLimit-Limit": str(math.ceil(self.limit * 60 / self.window_s)),
            "RateLimit-Observed": str(count),
            "RateLimit-Remaining": str(max(0, self.limit - count)),
            "RateLimit-Reset": str(reset_epoch),
        }
        if not allowed:  # #throttled_response_headers adds these two
            headers["Retry-After"] = str(max(1, math.ceil(left_s)))
            headers["RateLimit-ResetTime"] = formatdate(reset_epoch, usegmt=True)
        return allowed, headers


class AppLimits:
    """Application limits (`check_rate_limit!`): per route and user; over it, a bare 429."""

    def __init__(
        self,
        per_minute: Mapping[str, int],
        window_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if any(n < 1 for n in per_minute.values()):
            raise ValueError("application limits must be positive")
        self.per_minute = dict(per_minute)
        self._windows = _Windows(window_s, clock)
        self._lock = threading.Lock()
        self.refused = 0  # 429s answered: tests and the bench tell them from the throttle's

    def allows(self, template: str, user_key: str) -> bool:
        """Count one request to `template` by `user_key`; False: answer 429."""
        for route in (template, ALL_ROUTES):
            limit = self.per_minute.get(route)
            # ApplicationRateLimiter#_throttled?: increment, then `value > threshold`.
            if limit is not None and self._windows.hit(f"{route}\0{user_key}")[0] > limit:
                with self._lock:
                    self.refused += 1
                return False
        return True
