"""View data for the Archive, Trends and Changes pages (templates archive/trends/changes.html)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from gldash_static.archive import charts, facts
from gldash_static.archive.changes import Changes
from gldash_static.archive.history import Figures, History
from gldash_static.archive.store import IndexRow
from gldash_static.rules.facts import success_rate
from gldash_static.rules.text import PATH_CHARS, clean

TABLE_DAYS = 14  # the text table under the charts: the charts' figures for the latest days
TREND_DAYS = 730  # charts show at most two years, one point per day
# GitLab paths are letters, digits, '_', '.', '-' and '/'; anything else in an anchor is a dash.
_NOT_ANCHOR = re.compile(r"[^A-Za-z0-9_.-]")


def _size(size: int) -> str:
    if size < 1024:
        return f"{size:,} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:,.1f} KB"
    return f"{size / 1024 / 1024:,.1f} MB"


def _seconds(value: float) -> str:
    total = round(value)
    return f"{total}s" if total < 60 else f"{total // 60}m {total % 60:02d}s"


@dataclass(frozen=True, slots=True)
class ArchiveRowView:
    """One archived snapshot as listed on the Archive page."""

    time: datetime
    href: str  # relative to the site root
    projects: int
    pipelines: int
    failing: int
    success_rate: float | None
    size: str
    current: bool
    delta: bool  # stored as a patch from its newer neighbour, rebuilt on download
    stamp: str  # the row's time as index.json writes it


@dataclass(frozen=True)
class ArchiveView:
    """Context of archive.html."""

    rows: list[ArchiveRowView]  # newest first
    count: int
    total_size: str
    index_href: str
    history_href: str
    folder_href: str
    newest_href: str  # the newest snapshot, where the chain of deltas starts


def archive_view(
    rows: list[IndexRow], site_dir: str, current: str | None, newest_href: str | None = None
) -> ArchiveView:
    """The Archive page: every kept snapshot, newest first, with download links.

    `newest_href` is where the site publishes the newest snapshot when it is not in archive/.
    """
    views = [
        ArchiveRowView(
            time=facts.parse_time(r["time"]) or datetime.min,
            href=newest_href if newest_href and r is rows[-1] else f"{site_dir}/{r['path']}",
            projects=r["projects"],
            pipelines=r["pipelines"],
            failing=r["failing"],
            success_rate=r["success_rate"],
            size=_size(r["size"]),
            current=r["time"] == current,
            delta="base" in r,
            stamp=r["time"],
        )
        for r in reversed(rows)
    ]
    return ArchiveView(
        rows=views,
        count=len(rows),
        total_size=_size(sum(r["size"] for r in rows)),
        index_href=f"{site_dir}/index.json",
        history_href=f"{site_dir}/history.json",
        folder_href=f"{site_dir}/",
        newest_href=newest_href or f"{site_dir}/{rows[-1]['path']}" if rows else "",
    )


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One day of one series, for the text table."""

    date: str
    pipelines: int
    success_rate: float | None
    p50: float | None
    p95: float | None
    failing: int


@dataclass(frozen=True)
class SeriesView:
    """The trend of the whole organisation or of one group."""

    key: str  # "" for everything, else the group path
    title: str
    anchor: str
    rate_chart: Markup
    volume_chart: Markup
    duration_chart: Markup
    failing_chart: Markup
    latest: DayFigures | None
    recent: list[DayFigures]  # newest first, TABLE_DAYS at most
    total_pipelines: int
    success_rate: float | None  # over the whole period


@dataclass(frozen=True)
class TrendsView:
    """Context of trends.html."""

    days: int
    first: str | None
    last: str | None
    series: list[SeriesView]


def _figures(date: str, row: Figures | None) -> DayFigures:
    if row is None:
        return DayFigures(date, 0, None, None, None, 0)
    rate = success_rate(row.success, row.failed)
    return DayFigures(date, row.pipelines, rate, row.p50, row.p95, row.failing)


def _series(group: str, title: str, dates: list[str], rows: list[Figures | None]) -> SeriesView:
    # Group paths in history.json come from the snapshot: untrusted text like any other.
    key = clean(group, PATH_CHARS)
    title = clean(title, PATH_CHARS)
    figures = [_figures(d, r) for d, r in zip(dates, rows, strict=True)]
    rates = [f.success_rate for f in figures]
    label = f"{title}: {dates[0]} to {dates[-1]}" if dates else title
    success = sum(r.success for r in rows if r is not None)
    failed = sum(r.failed for r in rows if r is not None)
    return SeriesView(
        key=key,
        title=title,
        anchor="all" if not key else "g-" + _NOT_ANCHOR.sub("-", key),
        rate_chart=charts.line_chart(
            dates,
            [("rate", [None if r is None else r * 100 for r in rates])],
            f"Success rate per day, {label}",
            lambda v: f"{v:.0f}%",
            top=100.0,
        ),
        volume_chart=charts.bar_chart(
            dates, [f.pipelines for f in figures], f"Pipelines finished per day, {label}"
        ),
        duration_chart=charts.line_chart(
            dates,
            [("p50", [f.p50 for f in figures]), ("p95", [f.p95 for f in figures])],
            f"Pipeline duration per day, median (solid) and 95th percentile (dashed), {label}",
            _seconds,
        ),
        failing_chart=charts.line_chart(
            dates,
            [("failing", [float(f.failing) for f in figures])],
            f"Failing default branches at the end of each day, {label}",
            lambda v: f"{v:.0f}",
        ),
        latest=figures[-1] if figures else None,
        recent=list(reversed(figures[-TABLE_DAYS:])),
        total_pipelines=sum(f.pipelines for f in figures),
        success_rate=success_rate(success, failed),
    )


def trends_view(history: History) -> TrendsView:
    """The Trends page: the organisation first, then each group in path order."""
    days = history.days[-TREND_DAYS:]
    dates = [d.date for d in days]
    series = [_series("", "All projects", dates, [d.total for d in days])]
    groups = sorted({g for d in days for g in d.groups})
    for group in groups:
        series.append(_series(group, group, dates, [d.groups.get(group) for d in days]))
    return TrendsView(
        days=len(days),
        first=dates[0] if dates else None,
        last=dates[-1] if dates else None,
        series=series,
    )


@dataclass(frozen=True)
class ChangesView:
    """Context of changes.html."""

    changes: Changes
    previous: datetime | None
    current: datetime
    previous_href: str | None


def changes_view(changes: Changes, previous_href: str | None) -> ChangesView:
    """The Changes page: what differs from the previous archived snapshot."""
    current = facts.parse_time(changes.current)
    assert current is not None  # written by diff() from a parsed time
    return ChangesView(
        changes=changes,
        previous=facts.parse_time(changes.previous),
        current=current,
        previous_href=previous_href,
    )
