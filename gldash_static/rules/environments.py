"""Environment facts: tiers, what an environment runs, and the flags the pages raise."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from gldash_static.model import Deployment, Environment
from gldash_static.timeutil import parse_time

# GitLab's deployment tiers, in the order the environments page shows them as columns.
TIERS = ("production", "staging", "testing", "development", "other")
STALE_ENVIRONMENT_DAYS = 30  # the default of site.stale_environment_days
STOPPED = "stopped"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def tier_of(env: Environment) -> str:
    """The environment's tier, "other" when the snapshot has none GitLab knows."""
    tier = env.get("tier")
    return tier if isinstance(tier, str) and tier in TIERS else "other"


def _created(deployment: Deployment | None) -> datetime:
    found = parse_time(deployment.get("created_at")) if deployment else None
    return found or _EPOCH


def newest_deployment(env: Environment) -> Deployment | None:
    """The environment's newest deployment of any status (the last attempt, else the success)."""
    attempt, success = env.get("last_attempt"), env.get("last_success")
    if attempt and success:
        return attempt if _created(attempt) >= _created(success) else success
    return attempt or success or None


def deployed_at(env: Environment) -> datetime | None:
    """When the environment was last deployed to (any status); None: never, or not known."""
    newest = newest_deployment(env)
    return parse_time(newest.get("created_at")) if newest else None


def newest_first(envs: Sequence[Environment]) -> list[Environment]:
    """Environments by their newest deployment, newest first (then by name)."""
    by_name = sorted(envs, key=lambda e: str(e.get("name") or ""))
    return sorted(by_name, key=lambda e: _created(newest_deployment(e)), reverse=True)


def shown(envs: Sequence[Environment] | None) -> list[Environment]:
    """The environments the pages show: every one not stopped ("unknown" states included)."""
    return [e for e in envs or () if e.get("state") != STOPPED]


def failed_last(env: Environment) -> bool:
    """The environment's newest deployment failed."""
    newest = newest_deployment(env)
    return newest is not None and newest.get("status") == "failed"


def not_deployed_for(env: Environment, now: datetime, days: int) -> bool:
    """Nothing deployed successfully for `days` days (the newest attempt when none succeeded)."""
    latest = env.get("last_success") or newest_deployment(env)
    when = parse_time(latest.get("created_at")) if latest else None
    return when is not None and now - when >= timedelta(days=days)


def behind_staging(production: Environment, staging: Environment) -> bool:
    """Staging's last successful deployment is newer than production's and of another commit."""
    ahead, live = staging.get("last_success"), production.get("last_success")
    if not ahead or not live:
        return False  # nothing to compare: a production never deployed is not "behind"
    return _created(ahead) > _created(live) and ahead.get("short_sha") != live.get("short_sha")
