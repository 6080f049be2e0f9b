"""The snapshot's typed records: plain JSON-shaped dictionaries, described once for mypy."""

from __future__ import annotations

from typing import Literal, TypedDict

SCHEMA_VERSION = 5
SHORT_SHA = 8  # hex digits of a commit id kept in a snapshot (GitLab's short_id)

Visibility = Literal["public", "internal", "private"]
FetchMode = Literal["full", "incremental", "event", "shard", "merge"]
# The parts of a project GitLab can open to everyone, to members only, or switch off.
Feature = Literal["repository", "pipelines", "merge_requests", "environments"]
FEATURES: tuple[Feature, ...] = ("repository", "pipelines", "merge_requests", "environments")

# Pipeline statuses GitLab reports (Ci::HasStatus); finished ones never change again unless
# retried. `canceling` is not finished: the pipeline becomes `canceled` once its jobs stop.
FINISHED_STATUSES = frozenset({"success", "failed", "canceled", "skipped"})
ACTIVE_STATUSES = frozenset(
    {
        "created",
        "waiting_for_resource",
        "preparing",
        "waiting_for_callback",
        "pending",
        "running",
        "canceling",
        "scheduled",
        "manual",
    }
)


class Stale(TypedDict):
    """Why a project's data was kept from the previous snapshot instead of refreshed."""

    reason: str
    since: str  # fetched_at of the data that was kept


class FailedJob(TypedDict):
    """A failed job of a failed pipeline."""

    id: int
    name: str
    stage: str
    failure_reason: str | None
    allow_failure: bool
    duration: float | None
    web_url: str


class Job(TypedDict):
    """One attempt of a build job: every attempt of every job, retried ones included, in the
    order GitLab created them (a retry comes after the attempt it retried)."""

    name: str
    status: str
    duration: float | None  # whole seconds, as GraphQL's CiJob.duration
    queued_duration: float | None  # seconds, to a tenth
    retried: bool  # a later attempt of the same job replaced this one
    allow_failure: bool
    failure_reason: str | None  # failed attempts only


class TestCase(TypedDict):
    """A failed (or errored) test case of a pipeline's JUnit test report."""

    suite: str
    classname: str
    name: str
    status: str  # failed or error
    message: str  # the first line of GitLab's system_output or stack_trace, shortened


class TestReport(TypedDict):
    """A pipeline's test report, as GitLab's test report APIs sum it up."""

    total: int
    failed: int
    errored: int
    skipped: int
    cases: list[TestCase]  # failed first, then errored; at most fetch.max_failed_tests
    cases_omitted: int  # failed and errored cases left out by that cap


class Pipeline(TypedDict):
    """One pipeline with the details of GET /projects/:id/pipelines/:pipeline_id."""

    id: int
    iid: int | None
    ref: str
    short_sha: str  # the commit's first 8 hex digits, as GitLab's short_id
    status: str
    source: str | None
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None
    duration: float | None
    queued_duration: float | None
    coverage: float | None
    web_url: str
    username: str | None
    failed_jobs: list[FailedJob]
    # Every job attempt (None: not fetched: fetch.jobs is off, or an older snapshot; [] until
    # the pipeline has finished).
    jobs: list[Job] | None
    # Read for the newest failing pipeline of the default branch only (None: not read).
    test_report: TestReport | None


class RedStreak(TypedDict):
    """The default branch's current run of failed pipelines, back to its last success."""

    pipeline_id: int  # the first failed pipeline after the last success
    started_at: str  # its created_at
    short_sha: str
    web_url: str
    commit_title: str | None  # of its commit; None: not known or not published
    author_name: str | None
    failed_pipelines: int  # failed default-branch pipelines since, that one included
    exact: bool  # False: GitLab could not say when it started; it began at or before this
    newest_id: int  # the newest failed pipeline counted in failed_pipelines


class Deployment(TypedDict):
    """One deployment of a project to one of its environments."""

    id: int
    iid: int
    environment: str  # the environment's name
    status: str  # created, running, success, failed, canceled, blocked or skipped
    ref: str
    short_sha: str
    commit_title: str | None  # None: not known, or the repository is not published
    # When the deployed commit was made (for lead time); None: not known or not published.
    committed_at: str | None
    created_at: str
    finished_at: str | None  # the deploy job's finish; None while it runs or when not known
    username: str | None  # who deployed
    job_name: str | None  # the deploy job (deployable); None: none, or CI/CD not published
    job_id: int | None
    pipeline_id: int | None
    web_url: str | None  # the deploy job's page in GitLab


class Environment(TypedDict):
    """One environment of a project, with its latest deployments."""

    id: int
    name: str
    tier: str | None  # production, staging, testing, development or other
    # available, stopping or stopped; "unknown" when fetched from the deployments listing,
    # which does not say (fetch/environments.py)
    state: str
    external_url: str | None  # only http(s) URLs are kept
    last_success: Deployment | None  # the newest successful deployment
    last_attempt: Deployment | None  # the newest deployment of any status, if newer


class Branch(TypedDict):
    """A repository branch with its head commit (no e-mail addresses)."""

    name: str
    default: bool
    protected: bool
    merged: bool
    commit_short_id: str
    commit_title: str
    committed_date: str | None
    author_name: str | None


class MergeRequest(TypedDict):
    """An open merge request."""

    iid: int
    title: str
    draft: bool
    author_username: str | None
    created_at: str
    updated_at: str
    source_branch: str
    target_branch: str
    detailed_merge_status: str | None
    has_conflicts: bool
    labels: list[str]
    web_url: str


class Project(TypedDict):
    """A project and everything fetched about it."""

    id: int
    path_with_namespace: str
    name: str
    namespace: str  # full path of the parent group or user namespace
    description: str | None
    visibility: Visibility
    archived: bool
    default_branch: str | None
    topics: list[str]
    last_activity_at: str
    web_url: str
    star_count: int
    forks_count: int
    open_issues_count: int | None
    empty_repo: bool
    fetched_at: str
    stale: Stale | None
    pipelines: list[Pipeline]
    red_streak: RedStreak | None  # None: the default branch is not failing
    branches: list[Branch]
    merge_requests: list[MergeRequest]
    # None: not fetched (older snapshot, or fetch.environments off); []: the project has none.
    environments: list[Environment] | None
    # Its newest deployments to any environment, newest first (at most fetch.max_deployments).
    deployments: list[Deployment]
    # Features GitLab shows to project members only, and those of them this dashboard left
    # out because its audience includes non-members (their data is absent, not hidden).
    members_only: list[Feature]
    withheld: list[Feature]
    # Features the fetching token may not read (GitLab answered 403, or its answer showed
    # the role lacks the right): their data is empty, and the project is otherwise fresh.
    unavailable: list[Feature]
    # How many branches and open merge requests were left out by the per-project caps.
    branches_omitted: int
    # When `branches` was read from GitLab (server clock); None: never, or not known. Branches
    # are kept between refreshes until a sign of a push or fetch.branch_max_age_hours.
    branches_fetched_at: str | None
    merge_requests_omitted: int


class Group(TypedDict):
    """A group or subgroup."""

    id: int
    full_path: str
    name: str
    parent_id: int | None
    web_url: str
    visibility: Visibility
    description: str | None


class Source(TypedDict):
    """One GitLab instance and what was fetched from it."""

    name: str
    url: str
    version: str | None
    # Server time up to which every change on this instance has been fetched; the next
    # incremental fetch asks for what changed after it (minus a safety margin).
    watermark: str | None
    # The project visibilities this source publishes (the config's `visibility`): a project
    # of another visibility that disappeared was not removed in GitLab, only not published.
    visibility: list[Visibility]
    groups: list[Group]
    projects: list[Project]


class FetchInfo(TypedDict):
    """How the snapshot was made."""

    mode: FetchMode
    started_at: str
    finished_at: str
    duration_s: float
    api_calls: dict[str, int]  # by endpoint template, e.g. "GET /projects/:id/pipelines"
    retries: int
    rate_limited: int
    errors: list[str]
    shard: dict[str, int] | None  # {"index": I, "total": N} for a shard, else null


class Snapshot(TypedDict):
    """The whole snapshot file."""

    schema_version: int
    generated_at: str
    generator: str
    sources: list[Source]
    fetch: FetchInfo
