"""The validated configuration as typed, immutable records (what the rest of gldash reads)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SourceSettings:
    """One GitLab instance to fetch from."""

    url: str
    name: str
    token_env: str = "GITLAB_TOKEN"
    groups: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()
    include_archived: bool = False
    visibility: tuple[str, ...] = ("public", "internal")


@dataclass(frozen=True)
class FetchSettings:
    """How to fetch: concurrency, resilience and what to include."""

    concurrency: int = 8
    timeout_s: float = 30.0
    max_retries: int = 5
    circuit_breaker: int = 25
    pipelines_per_project: int = 20
    stale_branch_days: int = 30
    branches: bool = True
    merge_requests: bool = True
    max_branches: int = 200
    max_merge_requests: int = 200
    failed_jobs: bool = True
    branch_max_age_hours: float = 24.0
    incremental_margin_s: int = 600
    graphql: bool = True


@dataclass(frozen=True)
class SiteSettings:
    """How to render the site."""

    title: str = "GitLab dashboard"
    output_dir: Path = Path("public")
    templates_dir: Path | None = None
    pages: tuple[Path, ...] = ()
    timezone: str = "UTC"
    freshness_warning_hours: float = 6.0
    stale_branch_days: int = 30
    project_url: str | None = None  # CI_PROJECT_URL of the dashboard repository, for "Refresh now"
    default_branch: str = "main"  # CI_DEFAULT_BRANCH of the dashboard repository


@dataclass(frozen=True)
class RetentionSettings:
    """How many archived snapshots to keep, by age."""

    all_days: int = 7
    daily_days: int = 90
    weekly_days: int = 730
    monthly: bool = True
    max_mb: float | None = 60.0


@dataclass(frozen=True)
class ArchiveSettings:
    """Where dated snapshots live and how they are carried between deployments."""

    enabled: bool = True
    dir: Path = Path("archive")
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    carry_forward: str = "artifacts"  # artifacts | url | none
    carry_forward_url: str | None = None
    pages_job: str = "pages"


@dataclass(frozen=True)
class Config:
    """The whole validated config.yml."""

    path: Path
    sources: tuple[SourceSettings, ...]
    fetch: FetchSettings = field(default_factory=FetchSettings)
    site: SiteSettings = field(default_factory=SiteSettings)
    snapshot: Path = Path("snapshot.json")
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
