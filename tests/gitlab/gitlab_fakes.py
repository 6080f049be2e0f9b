"""Fakes for the client side of fetching: a clock that moves only when something sleeps."""

from __future__ import annotations


class FakeTime:
    """A clock that only moves when something sleeps; records every sleep."""

    def __init__(self, start: float = 1000.3) -> None:
        self.now = start
        self.slept: list[float] = []

    def clock(self) -> float:
        """The current fake time."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Move the clock on instead of sleeping."""
        self.slept.append(seconds)
        self.now += seconds
