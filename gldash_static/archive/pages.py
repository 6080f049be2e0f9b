"""View data for the Archive, Trends and Changes pages (templates archive/trends/changes.html)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from markupsafe import Markup

from gldash_static import svgchart
from gldash_static.archive import charts, facts
from gldash_static.archive.changes import Changes
from gldash_static.archive.history import Figures, History
from gldash_static.archive.store import PUBLISHED_HISTORY, SITE_DIR, IndexRow
from gldash_static.model import Snapshot
from gldash_static.rules.facts import success_rate
from gldash_static.rules.text import PATH_CHARS, clean
from gldash_static.svgchart import Kind

TABLE_DAYS = 14  # the text table under the charts: the charts' figures for the latest days
TREND_DAYS = 730  # charts show at most two years, one point per day
# How a figure is shown: a count, a ratio 0..1 (as a percentage) or seconds (as a duration).
MetricKind = Literal["count", "ratio", "duration"]
# GitLab paths are letters, digits, '_', '.', '-' and '/'; anything else in an anchor is a dash.
_NOT_ANCHOR = re.compile(r"[^A-Za-z0-9_.-]")


def _size(size: int) -> str:
    if size < 1024:
        return f"{size:,} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:,.1f} KB"
    return f"{size / 1024 / 1024:,.1f} MB"


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
    # The site publishes the newest without job attempts (site.snapshot_job_attempts: false):
    # snapshots rebuilt from it in the browser leave theirs out too, so that none is half.
    newest_without_jobs: bool = False


def archive_view(
    rows: list[IndexRow],
    site_dir: str,
    current: str | None,
    newest_href: str | None = None,
    newest_job_attempts: bool = True,
) -> ArchiveView:
    """The Archive page: every kept snapshot, newest first, with download links.

    `newest_href` is where the site publishes the newest snapshot when it is not in archive/,
    with its job attempts or not (`newest_job_attempts`).
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
        history_href=f"{site_dir}/{PUBLISHED_HISTORY}",
        folder_href=f"{site_dir}/",
        newest_href=newest_href or f"{site_dir}/{rows[-1]['path']}" if rows else "",
        newest_without_jobs=bool(rows and newest_href) and not newest_job_attempts,
    )


@dataclass(frozen=True)
class Metric:
    """One daily figure: a column of the Trends tables and a series of a Trends chart."""

    key: str
    header: str  # the table's column
    name: str  # the series in legends and tooltips
    kind: MetricKind
    get: Callable[[Figures], float | None]


@dataclass(frozen=True)
class ChartSpec:
    """One chart of a Trends page: the metrics it draws (one line each, or bars for one)."""

    key: str
    title: str
    metrics: tuple[Metric, ...]
    bars: bool = False


PIPELINES = Metric("pipelines", "Pipelines", "pipelines", "count", lambda f: f.pipelines)
RATE = Metric(
    "rate", "Success rate", "success rate", "ratio", lambda f: success_rate(f.success, f.failed)
)
P50 = Metric("p50", "Median duration", "median", "duration", lambda f: f.p50)
P95 = Metric("p95", "95th percentile", "95th percentile", "duration", lambda f: f.p95)
FAILING = Metric("failing", "Failing default branches", "failing", "count", lambda f: f.failing)
QUEUE_P50 = Metric("queue_p50", "Median job queue", "median", "duration", lambda f: f.queue_p50)
QUEUE_P95 = Metric(
    "queue_p95", "95th percentile queue", "95th percentile", "duration", lambda f: f.queue_p95
)
FAIL_CODE = Metric("fail_code", "Script failures", "script (code)", "count", lambda f: f.fail_code)
FAIL_INFRA = Metric(
    "fail_infra", "Runner failures", "runner and system", "count", lambda f: f.fail_infrastructure
)
FAIL_TIMEOUT = Metric("fail_timeout", "Timeouts", "timeouts", "count", lambda f: f.fail_timeout)
FAIL_OTHER = Metric("fail_other", "Other failures", "other", "count", lambda f: f.fail_other)
# Each page draws these in this order, and its tables show their metrics as columns: a new
# figure in history.json needs a Metric here and a place in a chart, nothing else.
CHARTS = (
    ChartSpec("volume", "Pipelines finished a day", (PIPELINES,), bars=True),
    ChartSpec("rate", "Success rate a day", (RATE,)),
    ChartSpec("duration", "Pipeline duration: median and 95th percentile", (P50, P95)),
    ChartSpec("failing", "Failing default branches at the end of the day", (FAILING,)),
    # Are runners the bottleneck: how long job attempts waited for one.
    ChartSpec("queue", "Job queue time: median and 95th percentile", (QUEUE_P50, QUEUE_P95)),
    # Infrastructure trouble or code trouble: failed job attempts by kind of reason.
    ChartSpec(
        "reasons",
        "Failed jobs a day by kind of reason",
        (FAIL_CODE, FAIL_INFRA, FAIL_TIMEOUT, FAIL_OTHER),
    ),
)


def _failure_rate(f: Figures) -> float | None:
    """changes_failed of deploys, on a day with deployments only (docs/site.md)."""
    if not f.deploys or f.changes_failed is None:
        return None
    return min(1.0, f.changes_failed / f.deploys)


DEPLOYS = Metric("deploys", "Production deployments", "deployments", "count", lambda f: f.deploys)
LEAD_P50 = Metric("lead_p50", "Median lead time", "median", "duration", lambda f: f.lead_p50)
CHANGE_FAILURE = Metric(
    "change_failure", "Change failure rate", "change failure rate", "ratio", _failure_rate
)
RESTORE_P50 = Metric(
    "restore_p50", "Median time to restore", "median", "duration", lambda f: f.restore_p50
)
# Delivery (rules/delivery.py): drawn after CHARTS, only when the page's history has any
# delivery figure: a site whose projects have no environments shows no empty charts.
DELIVERY_CHARTS = (
    ChartSpec("deploys", "Production deployments a day", (DEPLOYS,), bars=True),
    ChartSpec("lead", "Lead time for changes: median", (LEAD_P50,)),
    ChartSpec("change_failure", "Change failure rate a day", (CHANGE_FAILURE,)),
    ChartSpec("restore", "Time to restore service: median", (RESTORE_P50,)),
)


def _has_delivery(rows: Sequence[Figures]) -> bool:
    return any(r.deploys is not None or r.restores is not None for r in rows)


_AXIS: dict[MetricKind, Kind] = {"count": "count", "ratio": "percent", "duration": "duration"}


@dataclass(frozen=True, slots=True)
class Cell:
    """One figure in a table: its value, and the kind that says how to show it."""

    kind: MetricKind
    value: float | None


@dataclass(frozen=True, slots=True)
class DayRow:
    """One day of the tables: the date and a Cell per column."""

    date: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class ChartView:
    """One drawn chart, with its caption and legend."""

    key: str
    title: str
    svg: Markup
    legend: Markup


@dataclass(frozen=True, slots=True)
class TrendLink:
    """One entry of the Trends pages' picker."""

    title: str
    href: str  # relative to the site root
    current: bool


@dataclass(frozen=True)
class TrendsView:
    """Context of trends.html: the organisation's page, or one group's."""

    key: str  # "" for the organisation, else the page key of the group
    title: str
    days: int
    first: str | None
    last: str | None
    charts: list[ChartView]
    columns: list[Metric]
    recent: list[DayRow]  # newest first, TABLE_DAYS at most
    rows: list[DayRow]  # every day, newest first
    total_pipelines: int
    success_rate: float | None  # over the whole period
    failing: int | None  # at the latest day
    picker: list[TrendLink]
    delivery: bool = False  # the period has delivery figures: their charts and facts
    weekly: bool = False  # the charts band weeks, not days (charts.WEEK)
    total_deploys: int = 0  # production deployments in the period
    change_failure_rate: float | None = None  # changes_failed of deploys in the period
    group_href: str | None = None  # the group's own page, when the snapshot has it
    anchor: str = "all"
    # Every day of every group, which a group's page links to for the days before `recent`.
    history_href: str = f"{SITE_DIR}/{PUBLISHED_HISTORY}"

    @property
    def earlier(self) -> list[DayRow]:
        """The days before `recent`, newest first: not every day again (a month of days
        repeated the latest 14 on 158 group pages)."""
        return self.rows[len(self.recent) :]


def _count(value: object) -> int:
    number = svgchart.finite(value, svgchart.MAX_COUNT)
    return 0 if number is None else int(number)


def _checked(row: Figures | None) -> Figures:
    """A history row with every figure a bounded number: history.json is read from disk."""
    if row is None:
        return Figures(0, 0, 0, None, None, 0)

    def known(value: object) -> int | None:  # a count a file from before it existed lacks
        return None if value is None else _count(value)

    return Figures(
        pipelines=_count(row.pipelines),
        success=_count(row.success),
        failed=_count(row.failed),
        p50=svgchart.finite(row.p50, svgchart.MAX_SECONDS),
        p95=svgchart.finite(row.p95, svgchart.MAX_SECONDS),
        failing=_count(row.failing),
        queue_p50=svgchart.finite(row.queue_p50, svgchart.MAX_SECONDS),
        queue_p95=svgchart.finite(row.queue_p95, svgchart.MAX_SECONDS),
        fail_code=known(row.fail_code),
        fail_infrastructure=known(row.fail_infrastructure),
        fail_timeout=known(row.fail_timeout),
        fail_other=known(row.fail_other),
        deploys=known(row.deploys),
        lead_p50=svgchart.finite(row.lead_p50, svgchart.MAX_SECONDS),
        lead_n=known(row.lead_n),
        changes_failed=known(row.changes_failed),
        restores=known(row.restores),
        restore_p50=svgchart.finite(row.restore_p50, svgchart.MAX_SECONDS),
    )


def _tip(kind: MetricKind) -> Callable[[float], str]:
    if kind == "duration":
        return svgchart.clock
    if kind == "ratio":
        return lambda v: f"{v:.0f}%"  # the chart's values are percentages already
    return lambda v: f"{v:,.0f}"


def _chart(
    spec: ChartSpec, label: str, dates: list[str], rows: list[Figures], weekly: bool
) -> ChartView:
    kind = spec.metrics[0].kind  # one axis: a chart's metrics share their kind
    scale = 100.0 if kind == "ratio" else 1.0
    lines = [
        charts.Line(m.name, [None if (v := m.get(r)) is None else float(v) * scale for r in rows])
        for m in spec.metrics
    ]
    title = f"{spec.title}, {label}"
    svg = charts.day_chart(
        f"c-{spec.key}", title, dates, lines, _AXIS[kind], _tip(kind), spec.bars, weekly
    )
    return ChartView(spec.key, spec.title, svg, svgchart.legend([m.name for m in spec.metrics]))


def trends_view(
    history: History,
    group: str | None = None,
    key: str = "",
    picker: Sequence[TrendLink] = (),
    group_href: str | None = None,
) -> TrendsView:
    """One Trends page: the organisation's (`group` None) or one group's, by its full path."""
    days = history.days[-TREND_DAYS:]
    dates = [d.date for d in days]
    raw = [d.total if group is None else d.groups.get(group) for d in days]
    rows = [_checked(r) for r in raw]
    # Group paths in history.json come from the snapshot: untrusted text like any other.
    title = "All projects" if group is None else clean(group, PATH_CHARS)
    label = f"{title}: {dates[0]} to {dates[-1]}" if dates else title
    delivery = _has_delivery(rows)
    # A group's page bands weeks once it has more than two (charts.WEEK says why).
    weekly = group is not None and len(dates) > 2 * charts.WEEK
    specs = CHARTS + DELIVERY_CHARTS if delivery else CHARTS
    columns = [m for spec in specs for m in spec.metrics]
    deploys = sum(r.deploys or 0 for r in rows)
    failed_changes = sum(r.changes_failed or 0 for r in rows if r.deploys)
    table = [
        DayRow(d, tuple(Cell(m.kind, m.get(r)) for m in columns))
        for d, r in zip(dates, rows, strict=True)
    ]
    return TrendsView(
        key=key,
        title=title,
        days=len(days),
        first=dates[0] if dates else None,
        last=dates[-1] if dates else None,
        charts=[_chart(spec, label, dates, rows, weekly) for spec in specs],
        columns=columns,
        recent=list(reversed(table[-TABLE_DAYS:])),
        rows=list(reversed(table)),
        total_pipelines=sum(r.pipelines for r in rows),
        success_rate=success_rate(sum(r.success for r in rows), sum(r.failed for r in rows)),
        failing=rows[-1].failing if rows else None,
        picker=list(picker),
        group_href=group_href,
        anchor="all" if group is None else "g-" + _NOT_ANCHOR.sub("-", title),
        delivery=delivery,
        weekly=weekly,
        total_deploys=deploys,
        change_failure_rate=min(1.0, failed_changes / deploys) if deploys else None,
    )


def group_keys(snapshot: Snapshot) -> list[tuple[str, str]]:
    """(key, full path) of each group of the snapshot, whose page is g/<key>.html.

    The same rule as render.views (which the archive may not import): the numeric id, with
    "s<n>-" before it for the n-th source after the first. Two sources may both have a group
    of one path: each gets its own page, drawn from the path's one history.
    """
    out: dict[str, str] = {}
    for index, source in enumerate(snapshot.get("sources") or []):
        for group in source.get("groups") or []:
            gid, path = group.get("id"), group.get("full_path")
            if isinstance(gid, bool) or not isinstance(gid, int) or gid < 0:
                continue  # render refuses such a snapshot; no group page to match
            key = str(gid) if index == 0 else f"s{index}-{gid}"
            out.setdefault(key, path if isinstance(path, str) else "")
    return list(out.items())


def trend_key(path: str) -> str:
    """The page key of a group the snapshot no longer has: a digest of its path, because
    page names never carry GitLab text."""
    digest = hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()
    return f"x-{digest[:12]}"


def trends_pages(
    history: History, groups: Sequence[tuple[str, str]]
) -> list[tuple[str, TrendsView]]:
    """(site path, view) of every Trends page: trends.html for the organisation, then
    trends/<key>.html for each group of the snapshot (`groups`: group_keys) and each group
    only the history still has, in path order."""
    days = history.days[-TREND_DAYS:]
    current = {path for _, path in groups}
    gone = sorted({g for d in days for g in d.groups} - current)
    entries = sorted(
        [(key, path, True) for key, path in groups] + [(trend_key(g), g, False) for g in gone],
        key=lambda e: (clean(e[1], PATH_CHARS).lower(), e[1], e[0]),
    )
    out = []
    for n in range(-1, len(entries)):
        # The organisation's page lists every group; a group's page its parents and direct
        # subgroups only: every group on every page made 159 pages x 159 links (1.6 MB).
        near = range(len(entries)) if n == -1 else _relatives(entries, n)
        picker = [TrendLink("All projects", "trends.html", n == -1)] + [
            TrendLink(clean(entries[m][1], PATH_CHARS), f"trends/{entries[m][0]}.html", m == n)
            for m in near
        ]
        if n == -1:
            out.append(("trends.html", trends_view(history, picker=picker)))
            continue
        key, path, has_page = entries[n]
        view = trends_view(history, path, key, picker, f"g/{key}.html" if has_page else None)
        out.append((f"trends/{key}.html", view))
    return out


def _relatives(entries: Sequence[tuple[str, str, bool]], n: int) -> list[int]:
    """Positions of entry n, the groups above it and its direct subgroups, in list order."""
    path = entries[n][1]
    depth = path.count("/")
    return [
        m
        for m, (_, other, _) in enumerate(entries)
        if other == path
        or path.startswith(other + "/")
        or (other.startswith(path + "/") and other.count("/") == depth + 1)
    ]


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
