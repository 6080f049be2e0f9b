"""Environments and deployments made ready to show: project sections, matrix and feed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from gldash_static.model import SHORT_SHA, Deployment, Environment
from gldash_static.render.records import ProjectView, state_of, status_label
from gldash_static.rules import environments as rules
from gldash_static.rules.limits import DEPLOYMENTS_FEED
from gldash_static.rules.text import PERSON_CHARS, REF_CHARS, TITLE_CHARS, clean
from gldash_static.rules.urls import safe_url
from gldash_static.timeutil import parse_time

NAME_CHARS = 120  # environment names (GitLab allows 255)
_EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DeploymentView:
    """One deployment, ready to show."""

    id: int
    environment: str
    tier: str
    state: str  # a display state (records.STATES)
    label: str  # GitLab's status in words
    ref: str
    sha: str
    title: str
    user: str
    created: datetime | None
    age_s: float | None
    job: str
    web_url: str | None


@dataclass(frozen=True, slots=True)
class EnvironmentView:
    """One environment: what it runs and what was last tried on it."""

    name: str
    tier: str
    state: str
    external_url: str | None
    success: DeploymentView | None  # the newest successful deployment
    attempt: DeploymentView | None  # the newest deployment, when newer than the success
    failed: bool  # its newest deployment failed
    stale: bool  # nothing deployed for site.stale_environment_days


@dataclass(frozen=True, slots=True)
class Cell:
    """A matrix cell: the newest environment of one tier, and how many more share the tier."""

    env: EnvironmentView
    more: int
    behind: bool  # production only: staging runs a newer commit


@dataclass(frozen=True, slots=True)
class EnvRow:
    """A project's row of the environments matrix, one cell (or None) per tier column."""

    project: ProjectView
    cells: tuple[Cell | None, ...]
    flagged: bool


@dataclass(frozen=True, slots=True)
class Matrix:
    """The environments page: tier columns that occur, rows, the stopped ones left out."""

    tiers: tuple[str, ...]
    rows: tuple[EnvRow, ...]
    stopped: int


def deployment_view(raw: Deployment, tier: str, now: datetime) -> DeploymentView:
    """A deployment as the pages show it (text cleaned, URL checked)."""
    status = clean(raw.get("status"), 40)
    created = parse_time(raw.get("created_at"))
    ident = raw.get("id")
    return DeploymentView(
        id=ident if isinstance(ident, int) and not isinstance(ident, bool) else 0,
        environment=clean(raw.get("environment"), NAME_CHARS),
        tier=tier,
        state=state_of(status),
        label=status_label(status),
        ref=clean(raw.get("ref"), REF_CHARS),
        sha=clean(raw.get("short_sha"), SHORT_SHA),
        title=clean(raw.get("commit_title"), TITLE_CHARS),
        user=clean(raw.get("username"), PERSON_CHARS),
        created=created,
        age_s=None if created is None else max(0.0, (now - created).total_seconds()),
        job=clean(raw.get("job_name"), 120),
        web_url=safe_url(raw.get("web_url")),
    )


def environment_view(raw: Environment, now: datetime, stale_days: int) -> EnvironmentView:
    """An environment as the pages show it, with its flags decided as of `now`."""
    tier = rules.tier_of(raw)
    success, attempt = raw.get("last_success"), raw.get("last_attempt")
    return EnvironmentView(
        name=clean(raw.get("name"), NAME_CHARS),
        tier=tier,
        state=clean(raw.get("state"), 20) or "unknown",
        external_url=safe_url(raw.get("external_url")),
        success=deployment_view(success, tier, now) if success else None,
        attempt=deployment_view(attempt, tier, now) if attempt else None,
        failed=rules.failed_last(raw),
        stale=rules.not_deployed_for(raw, now, stale_days),
    )


def for_project(
    envs: Sequence[Environment] | None,
    deployments: Sequence[Deployment],
    now: datetime,
    stale_days: int,
) -> tuple[tuple[EnvironmentView, ...], tuple[DeploymentView, ...]]:
    """A project page's environments (newest first, stopped ones too) and its deployments."""
    tiers = {clean(e.get("name"), NAME_CHARS): rules.tier_of(e) for e in envs or ()}
    shown = tuple(environment_view(e, now, stale_days) for e in rules.newest_first(envs or ()))
    rows = tuple(
        deployment_view(d, tiers.get(clean(d.get("environment"), NAME_CHARS), "other"), now)
        for d in deployments
        if isinstance(d, dict)
    )
    return shown, rows


def matrix(
    projects: Sequence[tuple[ProjectView, Sequence[Environment] | None]],
    now: datetime,
    stale_days: int,
) -> Matrix:
    """The environments matrix: a row per project with environments, a column per tier."""
    found: list[tuple[ProjectView, dict[str, list[Environment]]]] = []
    stopped = 0
    for project, envs in projects:
        live = rules.shown(envs)
        stopped += len(envs or ()) - len(live)
        if not live:
            continue
        by_tier: dict[str, list[Environment]] = {}
        for env in rules.newest_first(live):
            by_tier.setdefault(rules.tier_of(env), []).append(env)
        found.append((project, by_tier))
    tiers = tuple(t for t in rules.TIERS if any(t in by_tier for _, by_tier in found))
    rows: list[EnvRow] = []
    for project, by_tier in found:
        prod, stage = by_tier.get("production"), by_tier.get("staging")
        behind = bool(prod and stage and rules.behind_staging(prod[0], stage[0]))
        cells: list[Cell | None] = []
        for tier in tiers:
            envs = by_tier.get(tier)
            if not envs:
                cells.append(None)
                continue
            view = environment_view(envs[0], now, stale_days)
            cells.append(Cell(view, len(envs) - 1, behind and tier == "production"))
        flagged = any(c.behind or c.env.failed or c.env.stale for c in cells if c)
        rows.append(EnvRow(project, tuple(cells), flagged))
    return Matrix(tiers, tuple(rows), stopped)


def feed(projects: Sequence[ProjectView]) -> list[tuple[ProjectView, DeploymentView]]:
    """The organisation's newest deployments, newest first, at most DEPLOYMENTS_FEED."""
    every = [(p, d) for p in projects for d in p.deployments]
    every.sort(key=lambda item: (item[1].created or _EPOCH, item[1].id), reverse=True)
    return every[:DEPLOYMENTS_FEED]
