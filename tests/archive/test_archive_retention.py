"""Retention: a pure function of snapshot times, deterministic and stable under repetition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from archive_builds import FIRST_DAY, build_times
from freezegun import freeze_time

from gldash_static.archive import retention
from gldash_static.config import RetentionSettings

DEFAULT = RetentionSettings()


def at(day: int, hour: int = 0) -> datetime:
    return FIRST_DAY + timedelta(days=day, hours=hour)


def reference_keep(times: list[datetime], s: RetentionSettings) -> set[datetime]:
    """The rules read one snapshot at a time: kept if any rule names it (written separately)."""
    now = max(times)
    kept = set()
    for t in times:
        later = [u for u in times if u > t]
        age = now - t
        last_of_day = not any(u.date() == t.date() for u in later)
        last_of_week = not any(u.isocalendar()[:2] == t.isocalendar()[:2] for u in later)
        last_of_month = not any((u.year, u.month) == (t.year, t.month) for u in later)
        if (
            t == now
            or age < timedelta(days=s.all_days)
            or (age < timedelta(days=s.daily_days) and last_of_day)
            or (age < timedelta(days=s.weekly_days) and last_of_week)
            or (s.monthly and last_of_month)
        ):
            kept.add(t)
    return kept


def test_empty_and_single() -> None:
    assert retention.keep([], DEFAULT) == set()
    assert retention.keep([at(0)], RetentionSettings(0, 0, 0, False)) == {at(0)}


def test_newest_is_kept_even_when_every_rule_is_off() -> None:
    times = [at(d) for d in range(30)]
    assert retention.keep(times, RetentionSettings(0, 0, 0, False)) == {at(29)}
    assert retention.prune(times, RetentionSettings(0, 0, 0, False)) == times[:-1]


def test_all_days_keeps_everything_younger_only() -> None:
    times = [at(d, h) for d in range(10) for h in (0, 12)]
    kept = retention.keep(
        times, RetentionSettings(all_days=2, daily_days=0, weekly_days=0, monthly=False)
    )
    # now = day 9 12:00; younger than 2 days: day 7 12:00 is exactly 2 days old and goes.
    assert kept == {at(8), at(8, 12), at(9), at(9, 12)}


def test_daily_keeps_the_newest_of_each_utc_day() -> None:
    times = [at(d, h) for d in range(5) for h in (1, 13, 23)]
    kept = retention.keep(
        times, RetentionSettings(all_days=0, daily_days=30, weekly_days=0, monthly=False)
    )
    assert kept == {at(d, 23) for d in range(5)}


def test_weekly_uses_iso_weeks_monday_to_sunday() -> None:
    # FIRST_DAY is a Monday: days 0-6 are one ISO week, 7-13 the next.
    times = [at(d, 12) for d in range(14)]
    kept = retention.keep(
        times, RetentionSettings(all_days=0, daily_days=0, weekly_days=60, monthly=False)
    )
    assert kept == {at(6, 12), at(13, 12)}


def test_monthly_keeps_the_newest_of_every_month_at_any_age() -> None:
    times = [datetime(2020, m, d, 3, tzinfo=UTC) for m in range(1, 13) for d in (1, 15, 28)]
    kept = retention.keep(
        times, RetentionSettings(all_days=0, daily_days=0, weekly_days=0, monthly=True)
    )
    assert kept == {datetime(2020, m, 28, 3, tzinfo=UTC) for m in range(1, 13)}


def test_now_is_the_newest_snapshot_not_the_wall_clock() -> None:
    times = build_times(40)
    expected = retention.keep(times, DEFAULT)
    with freeze_time("2040-01-01"):
        assert retention.keep(times, DEFAULT) == expected
    with freeze_time("2000-01-01"):
        assert retention.keep(times, DEFAULT) == expected


def test_120_days_of_scheduled_builds_keep_exactly_the_expected_set() -> None:
    times = build_times(120)  # 2026-08-03 .. 2026-11-30, four builds a day at HH:15
    kept = retention.keep(times, DEFAULT)
    last = times[-1]
    assert last == datetime(2026, 11, 30, 18, 15, tzinfo=UTC)
    assert DEFAULT.all_days == 1
    every = {t for t in times if last - t < timedelta(days=1)}  # Nov 30 00:15 onwards
    daily = {
        t for t in times if t.hour == 18 and timedelta(days=1) <= last - t < timedelta(days=90)
    }
    sundays = {datetime(2026, 8, d, 18, 15, tzinfo=UTC) for d in (9, 16, 23, 30)}
    end_of_august = {datetime(2026, 8, 31, 18, 15, tzinfo=UTC)}
    assert len(every) == 4 and len(daily) == 89
    assert kept == every | daily | sundays | end_of_august
    assert len(kept) == 98
    assert kept == reference_keep(times, DEFAULT)


def test_pruning_after_every_build_equals_pruning_once() -> None:
    # Rules pick the newest of each bucket, so repeated pruning never loses what a single
    # pruning at the end would keep; checked with tight windows over a long run.
    tight = RetentionSettings(all_days=1, daily_days=10, weekly_days=40, monthly=True)
    times = [FIRST_DAY + timedelta(hours=7 * n) for n in range(1200)]  # ~350 days
    present: list[datetime] = []
    for t in times:
        present.append(t)
        present = sorted(retention.keep(present, tight))
    assert set(present) == retention.keep(times, tight) == reference_keep(times, tight)
