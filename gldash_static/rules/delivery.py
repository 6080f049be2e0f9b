"""DORA-style delivery figures per UTC day from a project's deployments (docs/site.md).

Deployment frequency, lead time for changes, change failure rate and time to restore are
each defined once here; the archive's history and any page read them from here. Records
come from snapshots, possibly old, duplicated or hostile: what cannot be read is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from gldash_static.rules.stats import percentile
from gldash_static.timeutil import parse_time

CHANGE_FAILURE_WINDOW = timedelta(hours=24)
PRODUCTION = "production"
REVERT_PREFIX = 'Revert "'  # the title `git revert` and GitLab's Revert button write
# A canceled, skipped or still running deployment says nothing about whether the change
# works, so only these two take part in "next deployment", rollbacks and outages.
DECIDING = frozenset({"success", "failed"})
_ZERO = timedelta(0)
# GitLab's Environment#guess_tier (app/models/environment.rb) for environments without a
# tier: first match wins, in this order, so "preprod" is staging and "prod-review" development.
TIER_GUESSES = (
    ("development", re.compile(r"(dev|review|trunk)", re.IGNORECASE)),
    ("testing", re.compile(r"(test|tst|int|ac(ce|)pt|qa|qc|control|quality)", re.IGNORECASE)),
    ("staging", re.compile(r"(st(a|)g|mod(e|)l|pre|demo|non)", re.IGNORECASE)),
    ("production", re.compile(r"(pr(o|)d|live)", re.IGNORECASE)),
)


@dataclass(frozen=True)
class DeliveryFigures:
    """One day's delivery figures; samples are kept so that sums over projects stay exact."""

    deployments: int = 0  # successful production deployments that finished that day
    failed_changes: int = 0  # of those, followed by a failure, rollback or revert
    lead_times: tuple[float, ...] = ()  # seconds from commit to deployed, where known
    restores: tuple[float, ...] = ()  # seconds from a failed deployment to the next success

    def __add__(self, other: DeliveryFigures) -> DeliveryFigures:
        """Both days' counts summed and samples pooled (a group's day from its projects')."""
        return DeliveryFigures(
            deployments=self.deployments + other.deployments,
            failed_changes=self.failed_changes + other.failed_changes,
            lead_times=self.lead_times + other.lead_times,
            restores=self.restores + other.restores,
        )

    @property
    def lead_p50(self) -> float | None:
        """Median lead time in seconds, None without a sample."""
        return percentile(sorted(self.lead_times), 0.5)

    @property
    def restore_p50(self) -> float | None:
        """Median time to restore in seconds, None without a sample."""
        return percentile(sorted(self.restores), 0.5)

    @property
    def change_failure_rate(self) -> float | None:
        """failed_changes / deployments, None on a day without deployments."""
        return self.failed_changes / self.deployments if self.deployments else None


class _Deploy(NamedTuple):
    created: datetime
    id: int
    environment: str
    status: str
    finished: datetime | None
    committed: datetime | None
    sha: str | None
    title: str | None


def guess_tier(name: str) -> str:
    """The tier GitLab gives an environment named `name` when none was set."""
    for tier, pattern in TIER_GUESSES:
        if pattern.search(name):
            return tier
    return "other"


def production_names(
    names: Iterable[str], environments: Iterable[Mapping[str, object]] | None
) -> set[str]:
    """Which environment names are production: their tier, else GitLab's guess from the name."""
    tiers: dict[str, str] = {}
    for env in environments or []:
        if not isinstance(env, Mapping):
            continue
        name, tier = env.get("name"), env.get("tier")
        if isinstance(name, str) and isinstance(tier, str):
            tiers[name] = tier
    return {n for n in names if tiers.get(n, guess_tier(n)) == PRODUCTION}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _read(raw: object) -> _Deploy | None:
    """A deployment record's usable fields, or None when it cannot be placed in time."""
    if not isinstance(raw, Mapping):
        return None
    ident, environment, status = raw.get("id"), raw.get("environment"), raw.get("status")
    if not isinstance(ident, int) or isinstance(ident, bool):
        return None
    if not isinstance(environment, str) or not environment or status not in DECIDING:
        return None
    finished = parse_time(raw.get("finished_at"))
    created = parse_time(raw.get("created_at")) or finished
    if created is None:
        return None
    return _Deploy(
        created=created,
        id=ident,
        environment=environment,
        status=str(status),
        finished=finished,
        committed=parse_time(raw.get("committed_at")),
        sha=_text(raw.get("short_sha")),
        title=_text(raw.get("commit_title")),
    )


def _unique(deployments: Iterable[object]) -> list[_Deploy]:
    """One record per id (snapshots overlap): the finished view wins, else the first seen."""
    seen: dict[int, _Deploy] = {}
    for raw in deployments:
        record = _read(raw)
        if record is None:
            continue
        old = seen.get(record.id)
        if old is None or (old.finished is None and record.finished is not None):
            seen[record.id] = record
    return sorted(seen.values())


def _failed_change(
    done: _Deploy, finished: datetime, later: list[_Deploy], earlier_shas: set[str]
) -> bool:
    """Whether a successful deployment was followed by a failure, rollback or revert."""
    try:
        horizon = finished + CHANGE_FAILURE_WINDOW
    except OverflowError:  # a hostile finish in the last day of year 9999
        horizon = datetime.max.replace(tzinfo=UTC)
    for n, after in enumerate(later):
        if after.created > horizon:
            break
        if n == 0 and after.status == "failed":
            return True
        if after.status != "success":
            continue
        if after.sha and after.sha != done.sha and after.sha in earlier_shas:
            return True  # a rollback to a commit this environment ran before
        if after.title and after.title.startswith(REVERT_PREFIX):
            return True
    return False


def _environment_days(ordered: list[_Deploy]) -> dict[str, DeliveryFigures]:
    """Per UTC day, the figures of one production environment's deciding deployments."""
    days: dict[str, DeliveryFigures] = {}

    def add(moment: datetime, figures: DeliveryFigures) -> None:
        date = moment.strftime("%Y-%m-%d")
        days[date] = days.get(date, DeliveryFigures()) + figures

    shas: set[str] = set()  # commits deployed successfully before the one at hand
    outage: datetime | None = None  # when the open outage began
    for n, deploy in enumerate(ordered):
        if deploy.status == "failed":
            if outage is None:
                outage = deploy.finished or deploy.created
            continue
        finished = deploy.finished
        if finished is not None:
            lead = None if deploy.committed is None else finished - deploy.committed
            # A commit dated after its own deployment is a wrong clock, not a lead time.
            leads = (lead.total_seconds(),) if lead is not None and lead >= _ZERO else ()
            add(
                finished,
                DeliveryFigures(
                    deployments=1,
                    failed_changes=int(_failed_change(deploy, finished, ordered[n + 1 :], shas)),
                    lead_times=leads,
                ),
            )
            if outage is not None and finished >= outage:
                add(finished, DeliveryFigures(restores=((finished - outage).total_seconds(),)))
        outage = None
        if deploy.sha:
            shas.add(deploy.sha)
    return days


def daily(
    deployments: Iterable[object], environments: Iterable[Mapping[str, object]] | None
) -> dict[str, DeliveryFigures]:
    """One project's delivery figures per UTC day (YYYY-MM-DD), from its deployments."""
    records = _unique(deployments)
    production = production_names({d.environment for d in records}, environments)
    days: dict[str, DeliveryFigures] = {}
    for name in sorted(production):
        ordered = [d for d in records if d.environment == name]
        for date, figures in _environment_days(ordered).items():
            days[date] = days.get(date, DeliveryFigures()) + figures
    return days
