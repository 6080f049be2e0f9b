"""The validated configuration as typed, immutable records (what the rest of gldash reads).

Every default is the one declared in config/schema.py, so that a key left out of config.yml
and a record built in code (tests, `gldash render` without a config) agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from gldash_static.config import schema

_SOURCE = schema.defaults(schema.SOURCE)
_FETCH = schema.defaults(schema.FETCH)
_SITE = schema.defaults(schema.SITE)
_RETENTION = schema.defaults(schema.RETENTION)
_ARCHIVE = schema.defaults(schema.ARCHIVE)
_ROOT = schema.defaults(schema.ROOT)


@dataclass(frozen=True)
class SourceSettings:
    """One GitLab instance to fetch from."""

    url: str
    name: str
    token_env: str = _SOURCE["token_env"]
    groups: tuple[str, ...] = _SOURCE["groups"]
    projects: tuple[str, ...] = _SOURCE["projects"]
    exclude: tuple[re.Pattern[str], ...] = _SOURCE["exclude"]
    include_archived: bool = _SOURCE["include_archived"]
    visibility: tuple[str, ...] = _SOURCE["visibility"]


@dataclass(frozen=True)
class FetchSettings:
    """How to fetch: concurrency, resilience and what to include."""

    concurrency: int = _FETCH["concurrency"]
    timeout_s: float = _FETCH["timeout_s"]
    max_retries: int = _FETCH["max_retries"]
    circuit_breaker: int = _FETCH["circuit_breaker"]
    pipelines_per_project: int = _FETCH["pipelines_per_project"]
    stale_branch_days: int = _FETCH["stale_branch_days"]
    branches: bool = _FETCH["branches"]
    merge_requests: bool = _FETCH["merge_requests"]
    max_branches: int = _FETCH["max_branches"]
    max_merge_requests: int = _FETCH["max_merge_requests"]
    environments: bool = _FETCH["environments"]
    environment_details: bool = _FETCH["environment_details"]
    max_deployments: int = _FETCH["max_deployments"]
    failed_jobs: bool = _FETCH["failed_jobs"]
    jobs: bool = _FETCH["jobs"]
    red_streaks: bool = _FETCH["red_streaks"]
    test_reports: bool = _FETCH["test_reports"]
    max_failed_tests: int = _FETCH["max_failed_tests"]
    branch_max_age_hours: float = _FETCH["branch_max_age_hours"]
    incremental_margin_s: int = _FETCH["incremental_margin_s"]
    graphql: bool = _FETCH["graphql"]


@dataclass(frozen=True)
class SiteSettings:
    """How to render the site."""

    title: str = _SITE["title"]
    output_dir: Path = _SITE["output_dir"]
    templates_dir: Path | None = _SITE["templates_dir"]
    pages: tuple[Path, ...] = _SITE["pages"]
    timezone: str = _SITE["timezone"]
    freshness_warning_hours: float = _SITE["freshness_warning_hours"]
    stale_environment_days: int = _SITE["stale_environment_days"]
    max_mb: float | None = _SITE["max_mb"]
    snapshot_job_attempts: bool = _SITE["snapshot_job_attempts"]
    # Not keys of site: in config.yml; validation fills them from fetch: and CI variables.
    stale_branch_days: int = _FETCH["stale_branch_days"]
    project_url: str | None = None  # CI_PROJECT_URL of the dashboard repository, for "Refresh now"
    default_branch: str = "main"  # CI_DEFAULT_BRANCH of the dashboard repository
    # CI_PAGES_URL: where Pages publishes the site; the 404 page links to it from any depth.
    pages_url: str | None = None


@dataclass(frozen=True)
class RetentionSettings:
    """How many archived snapshots to keep, by age."""

    all_days: int = _RETENTION["all_days"]
    daily_days: int = _RETENTION["daily_days"]
    weekly_days: int = _RETENTION["weekly_days"]
    monthly: bool = _RETENTION["monthly"]
    max_mb: float | None = _RETENTION["max_mb"]
    jobs_days: int | None = _RETENTION["jobs_days"]


@dataclass(frozen=True)
class ArchiveSettings:
    """Where dated snapshots live and how they are carried between deployments."""

    enabled: bool = _ARCHIVE["enabled"]
    dir: Path = _ARCHIVE["dir"]
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    carry_forward: str = _ARCHIVE["carry_forward"]  # artifacts | url | none
    carry_forward_url: str | None = _ARCHIVE["carry_forward_url"]
    pages_job: str = _ARCHIVE["pages_job"]


@dataclass(frozen=True)
class Config:
    """The whole validated config.yml."""

    path: Path
    sources: tuple[SourceSettings, ...]
    fetch: FetchSettings = field(default_factory=FetchSettings)
    site: SiteSettings = field(default_factory=SiteSettings)
    snapshot: Path = _ROOT["snapshot"]
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
