"""What to fetch for each project, decided before anything is asked: a pure plan.

The listing (or an event's project answer), the previous snapshot and the settings decide,
per project, how to get its pipelines, branches and merge requests. The GraphQL probe and a
feature found unreadable mid-fetch change the plan only through the functions here, which
return a new plan; `SourceFetch` and `ProjectFetcher` only carry it out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from gldash_static.config import FetchSettings
from gldash_static.fetch import access, changes, freshness
from gldash_static.fetch.convert import ProjectFeatures
from gldash_static.model import FEATURES, Feature, FetchMode, Project, RedStreak
from gldash_static.timeutil import gitlab_time as iso
from gldash_static.timeutil import parse_time

# list: the newest pipelines from scratch; since: the stored ones plus those updated after
# `since`; given: either, brought by GraphQL for many projects at once (fetch/bulk.py);
# reuse: the stored ones (GraphQL saw no change); none: nothing to ask.
Pipelines = Literal["list", "given", "since", "reuse", "none"]
# fetch: read them now; if_pushed: read them when the new pipelines show a push, else keep;
# keep: the stored ones; none: nothing (not fetched, and nothing stored to keep).
Branches = Literal["fetch", "if_pushed", "keep", "none"]
# project: the project's own listing; group: the configured group's listing; none: not asked.
MergeRequests = Literal["project", "group", "none"]
# list: the newest deployments afresh (one request; none when GraphQL saw no environment);
# since: the stored ones, plus those updated after `since` when the pipelines show a change;
# off: none to read (the feature is off, withheld or unreadable: stored as []);
# none: not fetched (fetch.environments off: stored as None).
Environments = Literal["list", "since", "off", "none"]


@dataclass(frozen=True)
class Listed:
    """One project as the listing gave it: the input of the plan."""

    record: Project  # fresh metadata (withheld already set from the config)
    features: ProjectFeatures
    covered: bool  # under a configured group, whose listing brings its merge requests


@dataclass(frozen=True)
class Basis:
    """What a project's decisions follow from; replanning decides again from it."""

    empty_repo: bool
    published: frozenset[Feature]  # switched on in GitLab and not withheld by the dashboard
    unavailable: tuple[Feature, ...]  # the token may not read them (FEATURES order)
    branches_due: bool  # new, active or old enough: read branches whatever pipelines show
    by_group: bool  # merge requests come with a configured group's listing
    unchanged: bool  # GraphQL: no pipeline updated after `since`
    want_branches: bool  # fetch.branches
    want_merge_requests: bool  # fetch.merge_requests
    want_environments: bool  # fetch.environments
    default_branch: bool  # the listing named it (GraphQL's listing needs it; REST can ask)
    given: bool = False  # GraphQL brought what "list" or "since" would: nothing to ask

    def readable(self, feature: Feature) -> bool:
        """Published, and readable with the token."""
        return feature in self.published and feature not in self.unavailable


@dataclass(frozen=True)
class ProjectPlan:
    """How to fetch one project."""

    project_id: int
    previous: Project | None  # the record refreshed incrementally; None: fetched afresh
    since: str | None  # pipelines updated after this ("since"); None with no `previous`
    pipelines: Pipelines
    branches: Branches
    merge_requests: MergeRequests
    basis: Basis
    environments: Environments = "none"
    # The previous snapshot's red streak of the project (kept across full fetches too: it
    # is history GitLab is asked for only once a streak).
    previous_streak: RedStreak | None = None


@dataclass(frozen=True)
class FetchPlan:
    """How to fetch one source's listed projects, in listing order."""

    since: str | None  # incremental: changes after this; None: lists read afresh
    projects: tuple[ProjectPlan, ...]
    graphql: bool = False  # ask GraphQL which "since" projects changed at all

    def probe_ids(self) -> list[int]:
        """The projects to ask GraphQL about (none when it is not to be asked)."""
        if not self.graphql or self.since is None:
            return []
        return [p.project_id for p in self.projects if _probed(p)]

    def bulk_ids(self) -> list[int]:
        """The projects whose pipelines GraphQL is to list, many in one request."""
        if not self.graphql:
            return []
        return [p.project_id for p in self.projects if _bulk(p)]

    def merge_requests_by_group(self) -> list[ProjectPlan]:
        """The projects whose merge requests come from the group listing."""
        return [p for p in self.projects if p.merge_requests == "group"]


def refreshable(old: Project | None, fresh: Project, want_jobs: bool = True) -> Project | None:
    """The previous record to refresh incrementally, or None to fetch the project afresh.

    A renamed or moved project changed every URL; a stale one missed changes since its
    data was kept, which "updated after the last fetch" would not bring back; pipelines
    stored without their jobs (an older snapshot, or fetch.jobs was off) would never be
    read again, being finished.
    """
    if old is None or old["stale"] is not None or old["withheld"] != fresh["withheld"]:
        return None  # a feature opened to the dashboard again needs its whole history
    if want_jobs and any(p.get("jobs") is None for p in old["pipelines"]):
        return None
    if set(old["unavailable"]) - set(fresh["unavailable"]):
        return None  # so does one the token may read again (or that a 403 may refuse again)
    return old if old["path_with_namespace"] == fresh["path_with_namespace"] else None


def since_of(watermark: str | None, margin_s: float) -> str | None:
    """The moment an incremental fetch asks for changes after: the watermark less a margin."""
    moment = parse_time(watermark) if watermark is not None else None
    if moment is None:
        return None  # none, or unreadable: fetch this source from scratch
    return iso(moment - timedelta(seconds=margin_s))


def listing_since(
    mode: FetchMode, has_previous: bool, watermark: str | None, settings: FetchSettings
) -> str | None:
    """What a listing-based fetch asks changes after: None for everything (not incremental)."""
    if mode != "incremental" or not has_previous:
        return None
    return since_of(watermark, settings.incremental_margin_s)


def plan_projects(
    listed: Sequence[Listed],
    previous: Sequence[Project] | None,
    *,
    mode: FetchMode,
    watermark: str | None,
    now: datetime,
    settings: FetchSettings,
) -> FetchPlan:
    """The plan for a listing-based fetch (full, incremental, shard).

    `previous` is the previous snapshot's projects of this source (None: it had no such
    source); `watermark` its watermark; `now` the run's start by the server's clock.
    """
    incremental = mode == "incremental" and previous is not None
    since = listing_since(mode, previous is not None, watermark, settings)
    by_id = {p["id"]: p for p in previous or []}
    bound = timedelta(hours=settings.branch_max_age_hours)
    run_every = freshness.previous_run_gap(watermark, now)
    plans = []
    for item in listed:
        record = item.record
        old = refreshable(by_id.get(record["id"]), record, settings.jobs) if incremental else None
        basis = _basis(
            item,
            settings,
            branches_due=freshness.needs_branch_refresh(old, record, now, bound, run_every),
            # A project new to an incremental fetch has no merge requests to update from
            # the group's "updated after" listing: it lists its open ones itself.
            by_group=item.covered and not (incremental and old is None),
        )
        decided = _decide(record["id"], old, since if old is not None else None, basis)
        streak = streak_of(by_id.get(record["id"]), record)
        plans.append(dataclasses.replace(decided, previous_streak=streak))
    return FetchPlan(since, tuple(plans), graphql=settings.graphql)


def streak_of(old: Project | None, fresh: Project) -> RedStreak | None:
    """The previous record's red streak, if it is of the same project at the same path."""
    if old is None or old.get("path_with_namespace") != fresh["path_with_namespace"]:
        return None
    return old.get("red_streak")


def plan_event(
    item: Listed, old: Project | None, watermark: str | None, settings: FetchSettings
) -> ProjectPlan:
    """The plan for the one project of an event: everything of it read again, but pipelines."""
    previous = refreshable(old, item.record, settings.jobs)
    since = since_of(watermark, settings.incremental_margin_s) if previous is not None else None
    basis = _basis(item, settings, branches_due=True, by_group=False)
    decided = _decide(item.record["id"], previous, since, basis)
    return dataclasses.replace(decided, previous_streak=streak_of(old, item.record))


def after_probe(plan: FetchPlan, answers: Mapping[int, changes.Answer] | None) -> FetchPlan:
    """The plan once GraphQL answered: unchanged projects reuse their stored pipelines.

    None (GraphQL could not answer) leaves the plan as it was: every project asks REST.
    """
    if answers is None or not plan.graphql or plan.since is None:
        return plan
    projects = []
    for project in plan.projects:
        if _probed(project):
            stored = project.previous["pipelines"] if project.previous else []
            unchanged = changes.unchanged(
                answers.get(project.project_id), [p["id"] for p in stored]
            )
            project = _redecide(project, dataclasses.replace(project.basis, unchanged=unchanged))
        projects.append(project)
    return dataclasses.replace(plan, projects=tuple(projects))


def with_given(plan: ProjectPlan) -> ProjectPlan:
    """A project's plan once GraphQL brought its pipelines (a project it did not answer for
    keeps its plan: REST lists them)."""
    if not _bulk(plan):
        return plan
    return _redecide(plan, dataclasses.replace(plan.basis, given=True))


def replan_without(plan: ProjectPlan, feature: Feature) -> ProjectPlan:
    """The plan once a feature turned out unreadable mid-fetch (a 403): asked no more."""
    unavailable = tuple(access.with_feature(plan.basis.unavailable, feature))
    return _redecide(plan, dataclasses.replace(plan.basis, unavailable=unavailable))


def _basis(item: Listed, settings: FetchSettings, *, branches_due: bool, by_group: bool) -> Basis:
    record = item.record
    published = frozenset(
        f for f in FEATURES if getattr(item.features, f) != "off" and f not in record["withheld"]
    )
    return Basis(
        empty_repo=record["empty_repo"],
        published=published,
        unavailable=tuple(record["unavailable"]),
        branches_due=branches_due,
        by_group=by_group,
        unchanged=False,
        want_branches=settings.branches,
        want_merge_requests=settings.merge_requests,
        want_environments=settings.environments,
        default_branch=record["default_branch"] is not None,
    )


def _redecide(plan: ProjectPlan, basis: Basis) -> ProjectPlan:
    decided = _decide(plan.project_id, plan.previous, plan.since, basis)
    return dataclasses.replace(decided, previous_streak=plan.previous_streak)


def _decide(
    project_id: int, previous: Project | None, since: str | None, basis: Basis
) -> ProjectPlan:
    """The one place the decisions are made, first and on every replanning."""
    # Pipelines need a commit and CI/CD; an unreadable repository still lets them be asked.
    code = not basis.empty_repo and "repository" in basis.published
    pipelines: Pipelines
    if not code or not basis.readable("pipelines"):
        pipelines = "none"  # no commit, CI/CD off or withheld: nothing to ask (GitLab: 403)
    elif since is not None and basis.unchanged:
        pipelines = "reuse"
    elif basis.given:
        pipelines = "given"
    else:
        pipelines = "list" if since is None else "since"
    readable_code = not basis.empty_repo and basis.readable("repository")
    listing = ("since", "given")  # pipelines listed now: a push would show among them
    branches: Branches
    if basis.want_branches and readable_code and basis.branches_due:
        branches = "fetch"
    elif basis.want_branches and readable_code and since is not None and pipelines in listing:
        branches = "if_pushed"  # a push that started a pipeline shows in the listing
    elif basis.want_branches and previous is not None:
        branches = "keep"
    else:
        branches = "none"
    merge_requests: MergeRequests
    if not basis.want_merge_requests or not basis.readable("merge_requests"):
        merge_requests = "none"
    else:
        merge_requests = "group" if basis.by_group else "project"
    return ProjectPlan(
        project_id,
        previous,
        since,
        pipelines,
        branches,
        merge_requests,
        basis,
        _environments(previous, since, basis),
    )


def _environments(previous: Project | None, since: str | None, basis: Basis) -> Environments:
    """How to get a project's environments: GitLab reads them only with CI/CD and a
    repository switched on (ProjectPolicy: builds_disabled, repository_disabled)."""
    if not basis.want_environments:
        return "none"
    on = {"pipelines", "repository"} <= basis.published
    if not on or not basis.readable("environments"):
        return "off"
    if since is not None and previous is not None and previous.get("environments") is not None:
        return "since"
    return "list"


def _bulk(plan: ProjectPlan) -> bool:
    """Whether GraphQL lists a project's pipelines: one to list (afresh, or since the last
    run when the probe saw a change) whose default branch the listing named (REST finds it
    for a token that may not read the code)."""
    return plan.pipelines in ("list", "since") and plan.basis.default_branch


def _probed(plan: ProjectPlan) -> bool:
    """Whether GraphQL is asked about a project: one that would list its changed pipelines.

    One whose code the token may not read goes to REST unasked; the probe only saves
    requests, so leaving a project out of it never loses anything.
    """
    return plan.pipelines == "since" and "repository" not in plan.basis.unavailable
