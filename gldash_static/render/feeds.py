"""Machine-readable files: snapshot.json.gz, health.json and metrics.txt (OpenMetrics text)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gldash_static import snapshot as snapshot_io
from gldash_static import thinning
from gldash_static.model import Snapshot
from gldash_static.render.views import STATE_RANK, SiteView
from gldash_static.rules.delivery import PRODUCTION, guess_tier
from gldash_static.rules.text import clean
from gldash_static.timeutil import iso_utc, parse_time

# GitLab's deployment tiers; an environment with another (or no) tier counts by its name's
# guess, as the delivery figures do (rules/delivery.py).
TIERS = ("production", "staging", "testing", "development", "other")
RECENT = timedelta(hours=24)  # "production deployments in the last 24 hours"

# Published gzipped only: at 5,000 projects the plain JSON is 60 MB, most of a Pages site's
# 100 MB, and without job attempts unless site.snapshot_job_attempts (a third of the rest).
# The site's archive/ leaves out the archive's newest snapshot, which is this one: whole,
# these are the same bytes and carry-forward takes it from here; thinned, the build keeps it
# whole in the archive's carry file, outside the site (archive.carry).
SNAPSHOT_FILE = "snapshot.json.gz"


def snapshot_gzip(snapshot: Snapshot, job_attempts: bool = True) -> Iterator[bytes]:
    """The published data in pieces, with or without job attempts: compact, key-sorted JSON,
    gzip -9, byte-identical."""
    # Thinned one project at a time: a thinned copy of 50,000 projects would be a GB more.
    leaf = None if job_attempts else thinning.project_without_jobs
    return snapshot_io.gzip_pieces(snapshot_io.canonical_pieces(snapshot, leaf=leaf))


@dataclass(frozen=True, slots=True)
class ProductionEnvironment:
    """One production environment of a published project, for its per-environment series."""

    project: str  # the project's path (from the site's view)
    project_id: str  # the project's page key
    name: str
    last_success: float | None  # when its newest successful deployment finished, epoch s
    failed: bool  # its newest deployment failed


@dataclass
class EnvironmentFigures:
    """Environment and deployment counts of the published projects (health.json, metrics)."""

    projects_with_environments: int = 0
    by_tier: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TIERS, 0))
    failed_by_tier: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TIERS, 0))
    production_deployments_24h: int = 0
    production: list[ProductionEnvironment] = field(default_factory=list)


def _tier(env: Mapping[str, object], name: str) -> str:
    tier = env.get("tier")
    return tier if isinstance(tier, str) and tier in TIERS else guess_tier(name)


def _finished(deployment: object) -> datetime | None:
    if not isinstance(deployment, Mapping):
        return None
    return parse_time(deployment.get("finished_at")) or parse_time(deployment.get("created_at"))


def environment_figures(snapshot: Snapshot, view: SiteView) -> EnvironmentFigures:
    """Counts over the projects the site publishes (the view's), from the snapshot's records:
    environments by tier, those whose newest deployment failed, successful production
    deployments that finished in the 24 hours before the snapshot, and each production
    environment's last success."""
    published = {p.key: p.path for p in view.projects}
    since = view.generated_at - RECENT
    out = EnvironmentFigures()
    for index, source in enumerate(snapshot.get("sources") or []):
        for project in source.get("projects") or []:
            raw_id = project.get("id")
            key = str(raw_id) if index == 0 else f"s{index}-{raw_id}"
            if key not in published:
                continue
            environments = [e for e in project.get("environments") or [] if isinstance(e, Mapping)]
            tiers: dict[str, str] = {}
            for env in environments:
                name = env.get("name")
                if not isinstance(name, str) or not name or name in tiers:
                    continue
                tier = tiers[name] = _tier(env, name)
                out.by_tier[tier] += 1
                newest = env.get("last_attempt") or env.get("last_success")
                failed = isinstance(newest, Mapping) and newest.get("status") == "failed"
                out.failed_by_tier[tier] += failed
                if tier == PRODUCTION:
                    success = _finished(env.get("last_success"))
                    out.production.append(
                        ProductionEnvironment(
                            published[key],
                            key,
                            clean(name, 255),
                            success.timestamp() if success else None,
                            failed,
                        )
                    )
            out.projects_with_environments += bool(tiers)
            seen: set[object] = set()
            for deployment in project.get("deployments") or []:
                if not isinstance(deployment, Mapping) or deployment.get("status") != "success":
                    continue
                name, ident = deployment.get("environment"), deployment.get("id")
                if not isinstance(name, str) or ident in seen:
                    continue
                seen.add(ident)
                finished = parse_time(deployment.get("finished_at"))
                tier = tiers.get(name) or guess_tier(name)
                if tier == PRODUCTION and finished and since < finished <= view.generated_at:
                    out.production_deployments_24h += 1
    out.production.sort(key=lambda e: (e.project, e.project_id, e.name))
    return out


def health(snapshot: Snapshot, view: SiteView, warning_hours: float) -> dict[str, Any]:
    """What a monitor needs to know about the data's freshness and completeness."""
    fetch = snapshot.get("fetch") or {}
    stale = [
        {
            "id": p.id,
            "path": p.path,
            "reason": p.stale_reason,
            "since": iso_utc(p.stale_since) if p.stale_since else None,
        }
        for p in view.projects
        if p.stale_reason
    ]
    errors = view.fetch_errors
    return {
        "generated_at": iso_utc(view.generated_at),
        "generator": clean(snapshot.get("generator"), 120),
        "status": "degraded" if errors or stale else "ok",
        "freshness_warning_hours": warning_hours,
        "projects": len(view.projects),
        "failing_default_branches": sum(p.failing for p in view.projects),
        "fetch": {
            "mode": fetch.get("mode"),
            "finished_at": fetch.get("finished_at"),
            "duration_s": fetch.get("duration_s"),
            "errors": errors,
        },
        "stale_projects": stale,
        "environments": _environments_health(environment_figures(snapshot, view)),
    }


def _environments_health(figures: EnvironmentFigures) -> dict[str, Any]:
    return {
        "projects_with_environments": figures.projects_with_environments,
        "by_tier": figures.by_tier,
        "failed_last_deployment": sum(figures.failed_by_tier.values()),
        "production_deployments_24h": figures.production_deployments_24h,
    }


def health_json(snapshot: Snapshot, view: SiteView, warning_hours: float) -> bytes:
    """health.json bytes: sorted keys, stable formatting."""
    return (
        json.dumps(health(snapshot, view, warning_hours), indent=1, sort_keys=True) + "\n"
    ).encode()


def _label(value: str) -> str:
    # OpenMetrics label values escape backslash, double quote and newline.
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _num(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))


def _family(name: str, kind: str, help_text: str, unit: str = "") -> Iterator[str]:
    yield f"# TYPE {name} {kind}"
    if unit:
        yield f"# UNIT {name} {unit}"
    yield f"# HELP {name} {help_text}"


def metrics_lines(snapshot: Snapshot, view: SiteView) -> Iterator[str]:
    """Every line of metrics.txt, ending with # EOF."""
    fetch = snapshot.get("fetch") or {}
    yield from _family(
        "gldash_snapshot_generated_timestamp_seconds",
        "gauge",
        "When the snapshot was made.",
        "seconds",
    )
    yield f"gldash_snapshot_generated_timestamp_seconds {_num(view.generated_at.timestamp())}"
    yield from _family(
        "gldash_fetch_duration_seconds", "gauge", "How long the fetch took.", "seconds"
    )
    yield f"gldash_fetch_duration_seconds {_num(float(fetch.get('duration_s') or 0))}"
    yield from _family(
        "gldash_fetch_api_calls", "gauge", "API calls made by the fetch, by endpoint."
    )
    for endpoint, count in sorted((fetch.get("api_calls") or {}).items()):
        yield f'gldash_fetch_api_calls{{endpoint="{_label(clean(endpoint, 120))}"}} {int(count)}'
    for name, key, help_text in (
        ("gldash_fetch_retries", "retries", "Retried API requests."),
        ("gldash_fetch_rate_limited", "rate_limited", "Requests slowed down by rate limiting."),
    ):
        yield from _family(name, "gauge", help_text)
        yield f"{name} {int(fetch.get(key) or 0)}"  # type: ignore[call-overload]
    yield from _family("gldash_fetch_errors", "gauge", "Errors during the fetch.")
    yield f"gldash_fetch_errors {len(view.fetch_errors)}"
    yield from _family("gldash_projects", "gauge", "Projects by default-branch state.")
    for state in sorted(STATE_RANK):
        yield f'gldash_projects{{state="{state}"}} {view.state_counts.get(state, 0)}'
    per_project = [(p, f'project="{_label(p.path)}",project_id="{p.key}"') for p in view.projects]
    yield from _family("gldash_project_default_branch", "info", "Default-branch pipeline state.")
    for p, labels in per_project:
        yield f'gldash_project_default_branch_info{{{labels},state="{p.state}"}} 1'
    yield from _family(
        "gldash_project_failing",
        "gauge",
        "1 when the last finished default-branch pipeline failed.",
    )
    for p, labels in per_project:
        yield f"gldash_project_failing{{{labels}}} {int(p.failing)}"
    yield from _family(
        "gldash_project_success_ratio",
        "gauge",
        "Share of finished pipelines that succeeded.",
        "ratio",
    )
    for p, labels in per_project:
        if p.success_rate is not None:
            # Already rounded by the rule, as on every page and in the archive index.
            yield f"gldash_project_success_ratio{{{labels}}} {_num(p.success_rate)}"
    yield from _family(
        "gldash_project_pipeline_duration_seconds",
        "gauge",
        "Median duration of default-branch pipelines.",
        "seconds",
    )
    for p, labels in per_project:
        if p.median_duration is not None:
            value = _num(round(p.median_duration, 1))
            yield f"gldash_project_pipeline_duration_seconds{{{labels}}} {value}"
    yield from _environment_lines(environment_figures(snapshot, view))
    yield "# EOF"


def _environment_lines(figures: EnvironmentFigures) -> Iterator[str]:
    """Organisation-level series by tier, and per environment for production only: a
    5,000-project site keeps metrics.txt small (docs/site.md)."""
    yield from _family(
        "gldash_projects_with_environments", "gauge", "Projects with at least one environment."
    )
    yield f"gldash_projects_with_environments {figures.projects_with_environments}"
    yield from _family("gldash_environments", "gauge", "Environments by deployment tier.")
    for tier in TIERS:
        yield f'gldash_environments{{tier="{tier}"}} {figures.by_tier[tier]}'
    yield from _family(
        "gldash_environments_failed_last_deployment",
        "gauge",
        "Environments whose newest deployment failed, by deployment tier.",
    )
    for tier in TIERS:
        failed = figures.failed_by_tier[tier]
        yield f'gldash_environments_failed_last_deployment{{tier="{tier}"}} {failed}'
    yield from _family(
        "gldash_production_deployments_24h",
        "gauge",
        "Successful production deployments that finished in the 24 hours before the snapshot.",
    )
    yield f"gldash_production_deployments_24h {figures.production_deployments_24h}"
    labels = [
        (
            e,
            f'project="{_label(e.project)}",project_id="{e.project_id}",'
            f'environment="{_label(e.name)}"',
        )
        for e in figures.production
    ]
    yield from _family(
        "gldash_deployments_last_success_timestamp_seconds",
        "gauge",
        "When the newest successful deployment of a production environment finished.",
        "seconds",
    )
    for e, label in labels:
        if e.last_success is not None:
            yield (
                f"gldash_deployments_last_success_timestamp_seconds{{{label}}} "
                f"{_num(e.last_success)}"
            )
    yield from _family(
        "gldash_environment_last_deployment_failed",
        "gauge",
        "1 when the newest deployment of a production environment failed.",
    )
    for e, label in labels:
        yield f"gldash_environment_last_deployment_failed{{{label}}} {int(e.failed)}"


def metrics_text(snapshot: Snapshot, view: SiteView) -> bytes:
    """metrics.txt bytes."""
    return ("\n".join(metrics_lines(snapshot, view)) + "\n").encode("utf-8", "replace")
