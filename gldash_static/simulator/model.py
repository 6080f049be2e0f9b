"""The simulator's ground truth: typed records that tests compare API responses against."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# GitLab's access levels, used for memberships.
GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER = 10, 20, 30, 40, 50

FINISHED_STATUSES = frozenset({"success", "failed", "canceled", "skipped"})


@dataclass(slots=True)
class User:
    """A GitLab user; e-mail addresses are always fake @example.com ones."""

    id: int
    username: str
    name: str
    created_at: datetime
    tz_offset_minutes: int = 0
    is_admin: bool = False
    state: str = "active"
    bot: bool = False  # a group or project access token's bot user

    @property
    def email(self) -> str:
        """An obviously fake address, as GitLab puts into commit bodies."""
        return f"{self.username}@example.com"


@dataclass(slots=True)
class Group:
    """A group or subgroup; `full_path` includes the parents' paths."""

    id: int
    name: str
    path: str
    parent_id: int | None
    visibility: str
    description: str
    created_at: datetime
    full_path: str = ""
    full_name: str = ""
    depth: int = 0


@dataclass(slots=True)
class Project:
    """A project; its pipelines, branches and merge requests live in `ProjectDetail`."""

    id: int
    name: str
    path: str
    namespace_id: int  # a group id, or a user id when namespace_kind == "user"
    namespace_kind: str  # "group" or "user"
    description: str
    visibility: str
    archived: bool
    empty_repo: bool
    default_branch: str | None
    topics: list[str]
    created_at: datetime
    last_activity_at: datetime
    creator_id: int
    health: str  # "healthy", "flaky" or "broken": drives pipeline outcomes
    activity: float  # expected pushes per day
    star_count: int = 0
    forks_count: int = 0
    open_issues_count: int = 0
    shared_with_group_ids: list[int] = field(default_factory=list)
    path_with_namespace: str = ""
    name_with_namespace: str = ""
    # Feature access levels ("enabled", "private": members only, "disabled") by feature
    # ("repository", "builds", "merge_requests"); missing ones are "enabled".
    access: dict[str, str] = field(default_factory=dict)
    public_jobs: bool = True  # False: pipelines and jobs are for members only
    bottleneck: bool = False  # its group's runners cannot keep up: long queues (load.py)


@dataclass(slots=True)
class PipelinePlan:
    """How a running or pending pipeline will end; the clock applies it when time passes."""

    status: str
    started_at: datetime
    finished_at: datetime


@dataclass(slots=True)
class Pipeline:
    """A pipeline; ids are globally unique (project id * 100,000 + sequence)."""

    id: int
    iid: int
    project_id: int
    sha: str
    before_sha: str
    ref: str
    tag: bool
    status: str
    source: str
    name: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration: int | None
    queued_duration: int | None
    coverage: str | None
    user_id: int
    commit_title: str
    plan: PipelinePlan | None = None
    variables: dict[str, str] = field(default_factory=dict)
    # Pipelines added to the history for issue 16 ("rerun", "nightly"); "" for the rest.
    origin: str = ""
    queue_factor: float = 1.0  # how much load stretched its queue (load.py); jobs follow


@dataclass(slots=True)
class Job:
    """A CI job, derived deterministically from its pipeline; ids = pipeline id * 100 + n."""

    id: int
    pipeline_id: int
    project_id: int
    name: str
    stage: str
    status: str
    failure_reason: str | None
    allow_failure: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration: float | None
    queued_duration: float | None
    coverage: float | None
    user_id: int
    ref: str
    sha: str
    tag: bool
    artifacts_expire_at: datetime | None
    retried: bool = False  # a newer attempt of the same job replaced this one


@dataclass(slots=True)
class Commit:
    """A commit pushed without a pipeline ([skip ci], or a branch no CI rule matches)."""

    sha: str
    parent_sha: str
    title: str
    author_id: int
    committed_at: datetime


@dataclass(slots=True)
class Branch:
    """A repository branch and its head commit."""

    name: str
    project_id: int
    merged: bool
    protected: bool
    default: bool
    commit_sha: str
    parent_sha: str
    commit_title: str
    committed_at: datetime
    author_id: int


@dataclass(slots=True)
class MergeRequest:
    """A merge request; ids are globally unique (project id * 1,000 + iid)."""

    id: int
    iid: int
    project_id: int
    title: str
    description: str
    state: str  # opened, merged, closed
    draft: bool
    source_branch: str
    target_branch: str
    author_id: int
    assignee_ids: list[int]
    reviewer_ids: list[int]
    labels: list[str]
    created_at: datetime
    updated_at: datetime
    merged_at: datetime | None
    merged_by_id: int | None
    closed_at: datetime | None
    closed_by_id: int | None
    has_conflicts: bool
    detailed_merge_status: str
    sha: str
    merge_commit_sha: str | None
    user_notes_count: int
    upvotes: int = 0


@dataclass(slots=True)
class Schedule:
    """A pipeline schedule."""

    id: int
    project_id: int
    description: str
    ref: str
    cron: str
    cron_timezone: str
    active: bool
    owner_id: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Rollback:
    """An earlier deploy job run again (Re-deploy) to roll production back after a failure."""

    job: Job  # the new attempt; its pipeline is the earlier, successful one
    replaced_id: int  # the attempt it retried, now `retried`
    failed_pipeline_id: int  # the pipeline whose production deployment failed
    # The pipeline as it was before the retry ran: its jobs derive from these.
    base_updated_at: datetime
    base_finished_at: datetime
    base_duration: int | None


@dataclass(slots=True)
class ProjectDetail:
    """Per-project history, generated lazily from (seed, project id) on first use."""

    pipelines: list[Pipeline]  # ascending id
    branches: list[Branch]
    merge_requests: list[MergeRequest]  # ascending iid
    next_pipeline_seq: int
    next_mr_iid: int
    schedules: list[Schedule] = field(default_factory=list)
    steps_applied: int = 0
    generated_at: datetime | None = None  # the organisation's generation time (load.py)
    added: int = 0  # pipelines with an `origin`: they take iids, not commit numbers
    commits: list[Commit] = field(default_factory=list)  # pushed without a pipeline
    # Deploy jobs run again to roll an environment back (rollbacks.py), by pipeline id.
    rollbacks: dict[int, Rollback] = field(default_factory=dict)


@dataclass(slots=True)
class Environment:
    """Where a project deploys; ids are project id * 10,000 + the order it was first used in."""

    id: int
    project_id: int
    name: str
    slug: str
    tier: str  # production, staging, testing, development, other
    external_url: str | None
    state: str  # available, stopping, stopped
    created_at: datetime
    updated_at: datetime
    auto_stop_at: datetime | None
    description: str | None = None


@dataclass(slots=True)
class Deployment:
    """One deployment; ids are project id * 1,000,000 + iid (iids in creation order)."""

    id: int
    iid: int
    project_id: int
    environment_id: int
    ref: str
    sha: str
    tag: bool
    status: str  # created, running, success, failed, canceled, skipped, blocked
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    user_id: int
    job_id: int | None  # the deployable; None for a deployment created through the API
    pipeline_id: int | None


@dataclass(slots=True)
class Membership:
    """A user's membership of a group (inherited by subgroups) or of one project."""

    user_id: int
    access_level: int
    group_id: int | None = None
    project_id: int | None = None
