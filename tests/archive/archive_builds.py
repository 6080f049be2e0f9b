"""Scheduled builds for archive tests: times and the snapshots they would fetch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from factories import make_snapshot

from gldash_static.model import Snapshot

# 2026-08-03 is a Monday, so ISO weeks start on build days 0, 7, 14, ...
FIRST_DAY = datetime(2026, 8, 3, tzinfo=UTC)
BUILD_HOURS = (0, 6, 12, 18)
BUILD_MINUTE = 15


def build_times(days: int, first: datetime = FIRST_DAY) -> list[datetime]:
    """Times of scheduled builds: four a day at HH:15 UTC."""
    return [
        first + timedelta(days=d, hours=h, minutes=BUILD_MINUTE)
        for d in range(days)
        for h in BUILD_HOURS
    ]


def build_snapshot(moment: datetime, projects: int = 5) -> Snapshot:
    """The snapshot a build at `moment` would fetch (seeded by its time: stable across runs)."""
    return make_snapshot(projects=projects, seed=int(moment.timestamp()) // 3600, now=moment)
