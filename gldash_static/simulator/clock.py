"""The simulator's own clock: never the wall clock, so the same seed gives the same bodies."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

DEFAULT_NOW = datetime(2026, 11, 28, 6, 0, 0, tzinfo=UTC)


class SimClock:
    """Simulated "now"; `advance()` moves it forward and lets the organisation evolve."""

    def __init__(self, start: datetime = DEFAULT_NOW) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulator clock needs an aware datetime (UTC)")
        start = start.astimezone(UTC)
        self._now = start.replace(microsecond=start.microsecond // 1000 * 1000)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[datetime, datetime], None]] = []

    @property
    def now(self) -> datetime:
        """The current simulated time (aware, UTC)."""
        return self._now

    def on_advance(self, listener: Callable[[datetime, datetime], None]) -> None:
        """Call `listener(old_now, new_now)` each time the clock moves forward."""
        self._listeners.append(listener)

    def advance(
        self,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
    ) -> datetime:
        """Move the clock forward and apply what happened meanwhile; returns the new now."""
        delta = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if delta <= timedelta(0):
            raise ValueError("the simulator clock only moves forward")
        with self._lock:
            new = self._now + delta
            # Whole milliseconds, like every time GitLab shows.
            old, self._now = self._now, new.replace(microsecond=new.microsecond // 1000 * 1000)
            for listener in self._listeners:
                listener(old, self._now)
            return self._now
