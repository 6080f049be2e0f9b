"""history.json: compact per-day figures behind the trend charts, updated from one snapshot.

Layout (format 1)::

    {"format": 1, "fields": [...], "projects": [path, ...], "groups": [path, ...],
     "days": [{"date": "2026-11-28", "updated": "...Z", "total": ROW,
               "groups": [[g, *ROW], ...], "projects": [[p, *ROW], ...]}, ...]}

ROW is `[pipelines, success, failed, p50, p95, failing, queue_p50, queue_p95, fail_code,
fail_infrastructure, fail_timeout, fail_other, deploys, lead_p50, lead_n, changes_failed,
restores, restore_p50]` (a Figures record in memory): pipelines that finished that UTC day
(success, failed or canceled), p50/p95 of their durations in seconds, how many default
branches were failing at the day's last snapshot, p50/p95 of the queue time of their job
attempts (are runners the bottleneck?), their failed attempts by kind of failure reason
(rules/failures.py), and the day's delivery figures (rules/delivery.py): successful
production deployments, p50 and count of their known lead times in seconds, how many of them
were followed by a failure, rollback or revert, and the restores after a failed deployment
with their p50 in seconds (null where no project of the row has deployments fetched).
A row leaves out its trailing unknown (null) columns after the first six. `fields` names
the columns: a file written before the queue times (the first six columns only) or before
the delivery figures (the first twelve) reads with the later ones unknown (null).

Project and group paths are stored once and referred to by position, and per-project rows
are kept for retention.daily_days only, which keeps two years of a large organisation small.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

from gldash_static import bounded, jsonsafe
from gldash_static.archive import facts
from gldash_static.archive.facts import DeliveryFigures
from gldash_static.errors import ArchiveError
from gldash_static.model import Snapshot
from gldash_static.rules import failures, jobs

FORMAT = 1
# A snapshot also improves the day before its own: pipelines that finished after that day's
# last build show up only in the next one.
LOOKBACK_DAYS = 1


class Figures(NamedTuple):
    """One day's figures for everything, a group or a project (a ROW of history.json)."""

    pipelines: int  # finished that day: success, failed or canceled
    success: int
    failed: int
    p50: float | None  # of their durations, in seconds
    p95: float | None
    failing: int  # default branches failing at the day's last snapshot
    queue_p50: float | None = None  # of the queue times of their job attempts, in seconds
    queue_p95: float | None = None
    fail_code: int | None = None  # their failed job attempts by kind (None: not known)
    fail_infrastructure: int | None = None
    fail_timeout: int | None = None
    fail_other: int | None = None
    deploys: int | None = None  # successful production deployments finished (None: not known)
    lead_p50: float | None = None  # of their lead times (commit to deployed), in seconds
    lead_n: int | None = None  # how many had a known lead time
    changes_failed: int | None = None  # of them, followed by a failure, rollback or revert
    restores: int | None = None  # failed production deployments restored by a success
    restore_p50: float | None = None  # of their times to restore, in seconds


# Stored once in the file, in the order of each row's values.
FIELDS = list(Figures._fields)
FIRST_FIELDS = FIELDS[:6]  # the columns of files written before queue times and failures
BEFORE_DELIVERY = FIELDS[:12]  # the columns of files written before delivery figures
DELIVERY_FIELDS = FIELDS[12:]


@dataclass
class _Tally:
    success: int = 0
    failed: int = 0
    canceled: int = 0
    durations: list[float] = field(default_factory=list)
    failing: int = 0
    queues: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    deliveries: list[DeliveryFigures] | None = None  # None: no project's deployments fetched

    def row(self) -> Figures:
        ordered = sorted(self.durations)
        queues = sorted(self.queues)
        fails = self.failures
        return Figures(
            pipelines=self.success + self.failed + self.canceled,
            success=self.success,
            failed=self.failed,
            p50=facts.percentile(ordered, 0.5),
            p95=facts.percentile(ordered, 0.95),
            failing=self.failing,
            queue_p50=facts.percentile(queues, 0.5),
            queue_p95=facts.percentile(queues, 0.95),
            fail_code=fails.get("code", 0),
            fail_infrastructure=fails.get("infrastructure", 0),
            fail_timeout=fails.get("timeout", 0),
            fail_other=fails.get("other", 0),
            **({} if self.deliveries is None else _delivery_row(self.deliveries)),
        )


def _delivery_row(days: list[DeliveryFigures]) -> dict[str, Any]:
    # The samples of every project pooled once: medians over all of them, never of medians.
    leads = sorted(s for d in days for s in d.lead_times)
    restores = sorted(s for d in days for s in d.restores)
    return {
        "deploys": sum(d.deployments for d in days),
        "lead_p50": facts.percentile(leads, 0.5),
        "lead_n": len(leads),
        "changes_failed": sum(d.failed_changes for d in days),
        "restores": len(restores),
        "restore_p50": facts.percentile(restores, 0.5),
    }


@dataclass
class Day:
    """Figures of one UTC day, keyed by path."""

    date: str
    updated: str
    total: Figures
    groups: dict[str, Figures]
    projects: dict[str, Figures]


@dataclass
class History:
    """The whole history, one Day per UTC day with a build, oldest first."""

    days: list[Day] = field(default_factory=list)

    def day(self, date: str) -> Day | None:
        """The figures of `date` (YYYY-MM-DD), if any."""
        return next((d for d in self.days if d.date == date), None)


def _tallies(snapshot: Snapshot, dates: set[str]) -> dict[str, dict[str, _Tally]]:
    """Per date, tallies keyed by "" (total), "g:PATH" and "p:PATH"."""
    groups = facts.group_paths(snapshot)
    today = facts.snapshot_time(snapshot).strftime("%Y-%m-%d")
    # Every group gets a row, even on a quiet day, so that charts have no false gaps.
    out = {d: {"": _Tally(), **{f"g:{g}": _Tally() for g in groups}} for d in dates}
    for project in facts.projects(snapshot):
        path = str(project.get("path_with_namespace") or "")
        namespace = str(project.get("namespace") or "")
        keys = ["", f"p:{path}"] + [f"g:{g}" for g in facts.groups_of(namespace, groups)]
        if today in out and facts.failing_default(project):
            for key in keys:
                out[today].setdefault(key, _Tally()).failing += 1
        days = facts.project_delivery(project)
        if days is not None:  # a project whose deployments were never fetched says nothing
            for day, tallies in out.items():
                figures = days.get(day)
                for key in keys:
                    tally = tallies.setdefault(key, _Tally())
                    if tally.deliveries is None:
                        tally.deliveries = []
                    if figures is not None:
                        tally.deliveries.append(figures)
        for pipeline in project.get("pipelines") or []:
            date = facts.finished_day(pipeline)
            if date not in out:
                continue
            status = pipeline.get("status")
            duration = pipeline.get("duration")
            runs = jobs.attempts(pipeline)
            queues = [q for j in runs if _seconds(q := j.get("queued_duration"))]
            kinds = [
                failures.category(j.get("failure_reason")) for j in runs if jobs.counted_failure(j)
            ]
            for key in keys:
                tally = out[date].setdefault(key, _Tally())
                if status == "success":
                    tally.success += 1
                elif status == "failed":
                    tally.failed += 1
                else:
                    tally.canceled += 1
                if isinstance(duration, int | float) and not isinstance(duration, bool):
                    tally.durations.append(float(duration))
                tally.queues.extend(float(q) for q in queues if q is not None)
                for kind in kinds:
                    tally.failures[kind] = tally.failures.get(kind, 0) + 1
    return out


def _seconds(value: object) -> bool:
    """A plausible number of seconds (snapshots are checked, archives may be old or odd)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e9


def _merge(old: Figures | None, new: Figures, own_day: bool) -> Figures:
    # A later snapshot may have lost some of a day's pipelines off its per-project window, so
    # the view that counted more wins; the failing count comes from the day's newest snapshot.
    if old is None:
        return new if own_day else new._replace(failing=0)
    counts = new if new.pipelines >= old.pipelines else old
    # Delivery figures likewise, by deployments; on a tie the newer view, which may know
    # of a failure or rollback that followed within the window.
    deploys = new if _known(new.deploys) >= _known(old.deploys) else old
    return counts._replace(
        failing=new.failing if own_day else old.failing,
        **{name: getattr(deploys, name) for name in DELIVERY_FIELDS},
    )


def _known(count: int | None) -> int:
    return -1 if count is None else count


def _active(row: Figures) -> bool:
    """Whether a project's row says anything (quiet projects are left out of a day)."""
    return bool(row.pipelines or row.failing or row.deploys or row.restores)


def update(history: History, snapshot: Snapshot, project_days: int | None = None) -> History:
    """A new History with `snapshot` folded in; never reads any other snapshot.

    With `project_days`, per-project rows older than that many days are dropped (group and
    total rows stay): per-project detail is most of the file's size and no chart needs it.
    """
    moment = facts.snapshot_time(snapshot)
    today = moment.strftime("%Y-%m-%d")
    stamp = facts.iso_utc(moment)
    existing = {d.date: d for d in history.days}
    dates = {today}
    for back in range(1, LOOKBACK_DAYS + 1):
        earlier = (moment - timedelta(days=back)).strftime("%Y-%m-%d")
        if earlier in existing:  # never invent a day without a build of its own
            dates.add(earlier)
    tallies = _tallies(snapshot, dates)
    days = dict(existing)
    for date in sorted(dates):
        old = existing.get(date)
        # A snapshot older than the day's newest one (an `archive add` of a past file) still
        # fills in counts but does not override the failing state.
        own = date == today and (old is None or stamp >= old.updated)
        rows = {key: tally.row() for key, tally in tallies[date].items()}
        total = _merge(old.total if old else None, rows.pop("", _Tally().row()), own)
        groups = dict(old.groups) if old else {}
        projects = dict(old.projects) if old else {}
        for key, row in sorted(rows.items()):
            target = groups if key.startswith("g:") else projects
            target[key[2:]] = _merge(target.get(key[2:]), row, own)
        if own:
            # Failing state is a fact of the newest snapshot: rows it does not mention are 0.
            for prefix, table in (("g:", groups), ("p:", projects)):
                for key, row in table.items():
                    if prefix + key not in rows:
                        table[key] = row._replace(failing=0)
        days[date] = Day(
            date=date,
            updated=stamp if own or old is None else old.updated,
            total=total,
            groups=groups,
            projects={k: v for k, v in projects.items() if _active(v)},
        )
    if project_days is not None:
        horizon = (moment - timedelta(days=project_days)).strftime("%Y-%m-%d")
        for date, day in days.items():
            if date < horizon and day.projects:
                days[date] = replace(day, projects={})
    return History(days=[days[d] for d in sorted(days)])


# The columns drawn from job attempts, which archived snapshots drop after a while.
JOB_FIELDS = FIELDS[6:12]  # queue_p50, queue_p95 and the four kinds of failure


def _has_job_figures(row: Figures) -> bool:
    return row.queue_p50 is not None or any(getattr(row, name) for name in JOB_FIELDS[2:])


def keep_job_figures(rebuilt: History, old: History) -> History:
    """`rebuilt` with the figures drawn from job attempts taken from `old` wherever a rebuilt
    row has none: the snapshots it was rebuilt from no longer hold job attempts (thinning.py),
    but the history written when each was added still has what they said."""

    def kept(new: Figures, before: Figures | None) -> Figures:
        if before is None or _has_job_figures(new) or not _has_job_figures(before):
            return new
        return new._replace(**{name: getattr(before, name) for name in JOB_FIELDS})

    days = []
    for day in rebuilt.days:
        was = old.day(day.date)
        if was is None:
            days.append(day)
            continue
        groups = {k: kept(v, was.groups.get(k)) for k, v in day.groups.items()}
        projects = {k: kept(v, was.projects.get(k)) for k, v in day.projects.items()}
        days.append(
            replace(day, total=kept(day.total, was.total), groups=groups, projects=projects)
        )
    return History(days=days)


def encode(history: History) -> bytes:
    """history.json bytes: compact and deterministic."""
    groups = sorted({g for d in history.days for g in d.groups})
    projects = sorted({p for d in history.days for p in d.projects})
    gpos = {g: n for n, g in enumerate(groups)}
    ppos = {p: n for n, p in enumerate(projects)}
    days = [
        {
            "date": d.date,
            "updated": d.updated,
            "total": _trimmed(d.total),
            "groups": [[gpos[g], *_trimmed(row)] for g, row in sorted(d.groups.items())],
            "projects": [[ppos[p], *_trimmed(row)] for p, row in sorted(d.projects.items())],
        }
        for d in history.days
    ]
    body = {"format": FORMAT, "fields": FIELDS, "groups": groups, "projects": projects}
    text = json.dumps({**body, "days": days}, separators=(",", ":"), ensure_ascii=False)
    return (text + "\n").encode()


def _trimmed(row: Figures) -> list[object]:
    """The row without its trailing unknowns (beyond the first six columns): most projects
    have no deployments, and six nulls a row were a megabyte a month at 1,000 projects."""
    values: list[object] = list(row)
    while len(values) > len(FIRST_FIELDS) and values[-1] is None:
        values.pop()
    return values


def _row(value: object, where: str, width: int = len(FIELDS)) -> Figures:
    # A row may leave out trailing unknowns (_trimmed), never one of the first six columns.
    if not isinstance(value, list) or not len(FIRST_FIELDS) <= len(value) <= width:
        raise ArchiveError(f"{where}: corrupt history (bad row {str(value)[:60]!r})")
    return Figures(*value, *[None] * (len(FIELDS) - len(value)))


def _table(raw: object, names: list[str], where: str, width: int) -> dict[str, Figures]:
    if not isinstance(raw, list):
        raise ArchiveError(f"{where}: corrupt history (a day's table is not a list)")
    out: dict[str, Figures] = {}
    for item in raw:
        if not isinstance(item, list) or not item or not isinstance(item[0], int):
            raise ArchiveError(f"{where}: corrupt history (bad entry {str(item)[:60]!r})")
        if not 0 <= item[0] < len(names):
            raise ArchiveError(f"{where}: corrupt history (unknown path number {item[0]})")
        out[names[item[0]]] = _row(item[1:], where, width)
    return out


def load(path: Path, where: str | None = None) -> History:
    """Parse the history.json at `path`, read within bounded.HISTORY_BYTES; `where` names it."""
    name = where or str(path)
    return decode(
        bounded.read(path, bounded.HISTORY_BYTES, "history", ArchiveError, name=name), name
    )


def decode(data: bytes, where: str) -> History:
    """Parse history.json; ArchiveError when it is not one."""
    try:
        loaded: Any = jsonsafe.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ArchiveError(f"{where}: corrupt history (invalid JSON)") from None
    if not isinstance(loaded, dict) or loaded.get("format") != FORMAT:
        raise ArchiveError(f"{where}: not a gldash history of format {FORMAT}")
    groups, projects = loaded.get("groups"), loaded.get("projects")
    if not isinstance(groups, list) or not isinstance(projects, list):
        raise ArchiveError(f"{where}: corrupt history (no path tables)")
    fields = loaded.get("fields")
    if fields not in (FIELDS, BEFORE_DELIVERY, FIRST_FIELDS):
        raise ArchiveError(f"{where}: corrupt history (unknown fields {str(fields)[:80]!r})")
    width = len(fields)
    days: list[Day] = []
    for raw in loaded.get("days") or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("date"), str):
            raise ArchiveError(f"{where}: corrupt history (a day without a date)")
        days.append(
            Day(
                date=raw["date"],
                updated=str(raw.get("updated") or ""),
                total=_row(raw.get("total"), where, width),
                groups=_table(raw.get("groups"), groups, where, width),
                projects=_table(raw.get("projects"), projects, where, width),
            )
        )
    return History(days=sorted(days, key=lambda d: d.date))
