"""Display records of the view model: states, pipelines, branches, projects, groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gldash_static.model import ACTIVE_STATUSES
from gldash_static.render.answer_records import ProjectAnswers

if TYPE_CHECKING:
    from gldash_static.render.answers import SiteAnswers
    from gldash_static.render.deployments import DeploymentView, EnvironmentView, Matrix
from gldash_static.rules.text import clean

# Display states, worst first: the order drives "failing first" everywhere.
STATES: tuple[tuple[str, str, str], ...] = (
    ("failed", "failed", "✗"),
    ("running", "running", "▶"),
    ("manual", "manual", "‖"),
    ("canceled", "canceled", "⊘"),
    ("success", "passed", "✓"),
    ("skipped", "skipped", "»"),
    ("none", "no pipeline", "–"),
)
STATE_RANK = {key: rank for rank, (key, _, _) in enumerate(STATES)}
STATE_LABEL = {key: label for key, label, _ in STATES}
STATE_ICON = {key: icon for key, _, icon in STATES}
WINDOW = timedelta(days=7)


def state_of(status: str) -> str:
    """The display state of a GitLab pipeline status."""
    if status in ACTIVE_STATUSES and status != "manual":
        return "running"
    return status if status in STATE_RANK else "none"


def status_label(status: str) -> str:
    """Readable text for a raw GitLab status (waiting_for_resource → waiting for resource)."""
    return STATE_LABEL.get(status) or clean(status, 40).replace("_", " ") or "unknown"


@dataclass(frozen=True, slots=True)
class JobView:
    """A failed job, ready to show."""

    name: str
    stage: str
    reason: str
    allow_failure: bool
    duration: float | None
    web_url: str | None


@dataclass(frozen=True, slots=True)
class PipelineView:
    """A pipeline, ready to show."""

    id: int
    ref: str
    sha: str
    state: str
    label: str
    source: str
    created: datetime | None
    duration: float | None
    web_url: str | None
    username: str
    jobs: tuple[JobView, ...]


@dataclass(frozen=True, slots=True)
class BranchView:
    """A branch with its hygiene flags."""

    name: str
    default: bool
    protected: bool
    merged: bool
    stale: bool
    commit_title: str
    short_id: str
    author: str
    committed: datetime | None
    age_s: float | None


@dataclass(frozen=True, slots=True)
class MergeRequestView:
    """An open merge request."""

    iid: int
    title: str
    draft: bool
    author: str
    created: datetime | None
    age_s: float | None
    source_branch: str
    target_branch: str
    merge_status: str
    conflicts: bool
    labels: tuple[str, ...]
    web_url: str | None
    project_key: str


@dataclass(slots=True)
class ProjectView:
    """A project with its roll-ups; `page` is its path inside the site."""

    key: str
    page: str
    id: int
    path: str
    name: str
    namespace: str
    source: str
    description: str
    visibility: str
    archived: bool
    topics: tuple[str, ...]
    default_branch: str
    web_url: str | None
    stale_reason: str
    stale_since: datetime | None
    pipelines: tuple[PipelineView, ...]
    branches: tuple[BranchView, ...]
    merge_requests: tuple[MergeRequestView, ...]
    state: str = "none"
    failing: bool = False
    head: PipelineView | None = None  # newest default-branch pipeline
    last: PipelineView | None = None  # newest pipeline on any ref
    broken_by: PipelineView | None = None  # the failed pipeline that makes it failing
    # The current red streak of the default branch: when its first failed pipeline was
    # created, how many failed pipelines it has lasted, and that first pipeline.
    red_since: datetime | None = None
    red_pipelines: int = 0
    red_first: PipelineView | None = None
    red_exact: bool = True  # False: the streak began at or before red_since
    red_age_s: float | None = None  # how long it has been red, as of the snapshot
    answers: ProjectAnswers = field(default_factory=ProjectAnswers.empty)
    success_rate: float | None = None
    median_duration: float | None = None
    stale_branches: int = 0
    merged_branches: int = 0
    unprotected_default: bool = False
    # Members-only features this dashboard left out, and what the per-project caps cut.
    withheld: tuple[str, ...] = ()
    unavailable: tuple[str, ...] = ()  # features the fetching token may not read
    branches_omitted: int = 0
    merge_requests_omitted: int = 0
    branches_as_of: datetime | None = None  # when the branches were read from GitLab
    # None: not fetched; (): the project has none. Newest deployed first, stopped ones too.
    environments: tuple[EnvironmentView, ...] | None = None
    deployments: tuple[DeploymentView, ...] = ()  # newest first, as the snapshot keeps them


@dataclass(slots=True)
class GroupView:
    """A group or subgroup with figures rolled up over every project below it."""

    key: str
    page: str
    id: int
    path: str
    name: str
    source: str
    description: str
    web_url: str | None
    depth: int
    parent_key: str | None
    children: list[GroupView] = field(default_factory=list)
    projects: list[ProjectView] = field(default_factory=list)
    state: str = "none"
    failing: int = 0
    running: int = 0
    success_rate: float | None = None
    open_mrs: int = 0
    stale_branches: int = 0


@dataclass(frozen=True, slots=True)
class Tile:
    """A headline figure on the overview."""

    label: str
    value: str
    note: str
    alert: bool = False


@dataclass(slots=True)
class SiteView:
    """Everything the templates show, computed once per render."""

    generated_at: datetime
    projects: list[ProjectView]
    groups: list[GroupView]
    tiles: list[Tile]
    broken: list[ProjectView]  # failing default branches, newest broken first
    recent_failures: list[tuple[ProjectView, PipelineView]]
    stale_branches: list[tuple[ProjectView, BranchView]]
    merged_branches: list[tuple[ProjectView, BranchView]]
    unprotected: list[ProjectView]
    merge_requests: list[tuple[ProjectView, MergeRequestView]]
    topics: list[str]
    state_counts: dict[str, int]
    fetch_errors: list[str]
    sources: list[tuple[str, str | None]]
    slowest: list[ProjectView]
    urgent: list[ProjectView]  # every project, failing first
    by_key: dict[str, ProjectView] = field(default_factory=dict)
    broken_longest: list[ProjectView] = field(default_factory=list)  # longest broken first
    answers: SiteAnswers | None = None  # slow, queued and flaky jobs, failure reasons
    environments: Matrix | None = None  # the environments page
    deployments: list[tuple[ProjectView, DeploymentView]] = field(default_factory=list)
