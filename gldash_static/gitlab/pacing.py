"""Shared pacing of all worker threads by GitLab's rate-limit headers, and a circuit breaker."""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Mapping

from gldash_static.gitlab.adaptive import ClassPacer


class Pacer:
    """Slows every worker as RateLimit-Remaining nears zero and honours Retry-After for all.

    Bare 429s (no Retry-After, no RateLimit-*) are paced per endpoint class by `classes`.
    """

    def __init__(
        self,
        reserve: int,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # `reserve` requests are kept back from each window: concurrent workers may each
        # have one request in flight when Remaining reaches the threshold.
        self.reserve = reserve
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._remaining: int | None = None
        self._reset_at: float | None = None
        self._blocked_until = 0.0
        self.classes = ClassPacer(clock=clock, sleep=sleep)

    def now(self) -> float:
        """The pacer's clock: Unix time, as RateLimit-Reset and HTTP dates count it."""
        return self._clock()

    def wait(self) -> None:
        """Block until the next request may be sent."""
        while True:
            with self._lock:
                now = self._clock()
                delay = max(0.0, self._blocked_until - now)
                if delay == 0.0 and self._remaining is not None and self._reset_at is not None:
                    if self._remaining <= self.reserve and self._reset_at > now:
                        # The window is spent: wait for the reset instead of provoking 429s.
                        delay = self._reset_at - now + 0.05
                    elif self._reset_at <= now:
                        self._remaining = None  # a new window; the next response tells
                    else:
                        self._remaining -= 1  # count requests in flight against the window
                if delay <= 0:
                    return
            # In steps of at most 5 s: an answer meanwhile may show a fresh window early.
            self._sleep(min(delay, 5.0))

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn the current window from a response's RateLimit-* headers."""
        remaining = _int(headers.get("RateLimit-Remaining"))
        reset = _int(headers.get("RateLimit-Reset"))
        if remaining is None or reset is None:
            return
        with self._lock:
            if (
                self._reset_at is None
                or reset >= self._reset_at
                or remaining < (self._remaining if self._remaining is not None else remaining + 1)
            ):
                self._remaining = remaining
                self._reset_at = float(reset)

    def block_for(self, seconds: float) -> None:
        """Hold every worker back for `seconds` (a 429's Retry-After or RateLimit-Reset)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + max(0.0, seconds))
            self._remaining = 0


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def is_bare_429(headers: Mapping[str, str]) -> bool:
    """A 429 that says nothing of when to come back (GitLab's application limits)."""
    return not (headers.get("Retry-After") or "").strip() and (
        _int(headers.get("RateLimit-Reset")) is None
    )


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float:
    """Seconds to wait from a 429's Retry-After (seconds or HTTP date) or RateLimit-Reset."""
    value = headers.get("Retry-After")
    if value:
        if value.strip().isdigit():
            return float(value)
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError):
            pass
    reset = _int(headers.get("RateLimit-Reset"))
    if reset is not None:
        return max(0.0, reset - now)
    return 1.0


class CircuitBreaker:
    """Opens after `threshold` consecutive failed attempts; an open breaker refuses all requests."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._lock = threading.Lock()
        self._consecutive = 0
        self.opened = False
        self.last_failure = ""

    def success(self) -> None:
        """A request succeeded: the failure streak ends."""
        with self._lock:
            self._consecutive = 0

    def trip(self, what: str) -> None:
        """Open at once: asking again cannot help (GitLab answers nothing but 429s)."""
        with self._lock:
            self.last_failure = what
            self.opened = True

    def failure(self, what: str) -> None:
        """An attempt failed; each retry counts, so an outage opens it within a few requests."""
        with self._lock:
            self._consecutive += 1
            self.last_failure = what
            if self._consecutive >= self.threshold:
                self.opened = True
