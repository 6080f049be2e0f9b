"""Which archived snapshots to keep: a pure, deterministic function of their times."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from gldash_static.config.settings import RetentionSettings

# How far ahead of the machine's clock a snapshot may be dated before retention stops taking
# its word for "now": server clocks and time zones differ by minutes or hours, not days.
FUTURE_TOLERANCE = timedelta(days=1)


def split_future(
    times: Iterable[datetime], limit: datetime | None
) -> tuple[list[datetime], list[datetime]]:
    """Times up to `limit`, and those beyond it (dated in the future), each sorted."""
    ordered = sorted({t.astimezone(UTC) for t in times})
    if limit is None:
        return ordered, []
    return [t for t in ordered if t <= limit], [t for t in ordered if t > limit]


def _newest_per_bucket(
    times: Sequence[datetime], bucket: Callable[[datetime], Hashable]
) -> set[datetime]:
    newest: dict[Hashable, datetime] = {}
    for moment in times:
        key = bucket(moment)
        if key not in newest or moment > newest[key]:
            newest[key] = moment
    return set(newest.values())


def _day(moment: datetime) -> Hashable:
    return moment.date()


def _iso_week(moment: datetime) -> Hashable:
    year, week, _ = moment.isocalendar()
    return (year, week)


def _month(moment: datetime) -> Hashable:
    return (moment.year, moment.month)


def keep(
    times: Iterable[datetime], settings: RetentionSettings, limit: datetime | None = None
) -> set[datetime]:
    """The times to keep.

    "Now" is the newest time given, never the wall clock, so the answer depends only on the
    input. Each rule keeps the newest snapshot of its bucket (UTC day, ISO week, calendar
    month), which makes pruning after every build give the same set as pruning once.
    Times after `limit` (the machine's clock plus a tolerance) are kept and ignored: one
    snapshot wrongly dated 2100 must not make every other one look a century old.
    """
    ordered, future = split_future(times, limit)
    if not ordered:
        return set(future)
    now = ordered[-1]

    def younger(days: int) -> list[datetime]:
        return [t for t in ordered if now - t < timedelta(days=days)]

    kept = {now}
    kept.update(younger(settings.all_days))
    kept |= _newest_per_bucket(younger(settings.daily_days), _day)
    kept |= _newest_per_bucket(younger(settings.weekly_days), _iso_week)
    if settings.monthly:
        kept |= _newest_per_bucket(ordered, _month)
    return kept | set(future)


def without_jobs(
    times: Iterable[datetime], settings: RetentionSettings, limit: datetime | None = None
) -> set[datetime]:
    """The times whose snapshots keep their pipelines but no longer their job attempts.

    Those older than `jobs_days` before the newest time given (as `keep` reckons "now"); never
    the newest, and never times after `limit`. None: every snapshot keeps its job attempts.
    """
    ordered, _ = split_future(times, limit)
    if settings.jobs_days is None or not ordered:
        return set()
    now = ordered[-1]
    return {t for t in ordered[:-1] if now - t >= timedelta(days=settings.jobs_days)}


def prune(
    times: Iterable[datetime], settings: RetentionSettings, limit: datetime | None = None
) -> list[datetime]:
    """The times retention removes, oldest first."""
    ordered = sorted({t.astimezone(UTC) for t in times})
    kept = keep(ordered, settings, limit)
    return [t for t in ordered if t not in kept]


def within_budget(sizes: dict[datetime, int], max_bytes: int | None) -> set[datetime]:
    """The times to keep so that their sizes add up to at most `max_bytes`.

    The oldest go first; the newest is always kept, even alone over the budget, because an
    archive without the current snapshot would be worse than one that is too large.
    """
    ordered = sorted(sizes)
    if max_bytes is None or not ordered:
        return set(ordered)
    kept: set[datetime] = set()
    total = 0
    for moment in reversed(ordered):
        if kept and total + sizes[moment] > max_bytes:
            break
        kept.add(moment)
        total += sizes[moment]
    return kept
