"""What changed between two snapshots: newly failing, fixed, new stale branches, closed MRs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gldash_static.archive import facts
from gldash_static.model import Project, Snapshot
from gldash_static.rules.facts import (
    STALE_BRANCH_DAYS,
    failing_default,
    head_pipeline,
    is_stale_branch,
)
from gldash_static.rules.text import PATH_CHARS, PERSON_CHARS, REF_CHARS, TITLE_CHARS, clean
from gldash_static.rules.urls import safe_url


@dataclass(frozen=True, slots=True)
class ProjectChange:
    """A project whose default branch changed state."""

    path: str
    web_url: str | None
    branch: str
    pipeline_url: str | None
    finished: str | None


@dataclass(frozen=True, slots=True)
class BranchChange:
    """A branch that became stale since the previous snapshot."""

    project: str
    web_url: str | None
    branch: str
    committed: str | None
    author: str


@dataclass(frozen=True, slots=True)
class MergeRequestChange:
    """A merge request open before and no longer open now."""

    project: str
    iid: int
    title: str
    web_url: str | None
    outcome: str  # "merged" when the source branch shows merged, else "merged or closed"


@dataclass(frozen=True)
class Changes:
    """Differences between the previous snapshot and the current one."""

    previous: str | None  # generated_at of the previous snapshot, None for the first
    current: str
    newly_failing: list[ProjectChange] = field(default_factory=list)
    fixed: list[ProjectChange] = field(default_factory=list)
    new_stale_branches: list[BranchChange] = field(default_factory=list)
    closed_merge_requests: list[MergeRequestChange] = field(default_factory=list)
    new_projects: list[str] = field(default_factory=list)
    removed_projects: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether nothing changed worth listing."""
        return not (
            self.newly_failing
            or self.fixed
            or self.new_stale_branches
            or self.closed_merge_requests
            or self.new_projects
            or self.removed_projects
        )


def _by_key(snapshot: Snapshot) -> dict[tuple[str, int], Project]:
    out: dict[tuple[str, int], Project] = {}
    for source in snapshot.get("sources") or []:
        for project in source.get("projects") or []:
            out[(str(source.get("url") or ""), int(project.get("id") or 0))] = project
    return out


def _visibilities(snapshot: Snapshot) -> dict[str, tuple[str, ...]]:
    """The visibilities each source of `snapshot` publishes, by source URL."""
    return {
        str(source.get("url") or ""): tuple(
            source.get("visibility") or ("public", "internal", "private")
        )
        for source in snapshot.get("sources") or []
    }


def _all_merge_requests(project: Project) -> bool:
    """Whether the project holds every open merge request (none withheld or cut by the cap)."""
    withheld = "merge_requests" in (project.get("withheld") or ())
    unreadable = "merge_requests" in (project.get("unavailable") or ())  # token's role
    return not withheld and not unreadable and not project.get("merge_requests_omitted")


def _stale_branches(project: Project, now: datetime, stale_days: int) -> set[str]:
    return {
        str(branch.get("name"))
        for branch in project.get("branches") or []
        if is_stale_branch(branch, now, stale_days)
    }


def _path(project: Project) -> str:
    return clean(project.get("path_with_namespace"), PATH_CHARS)


def _project_change(project: Project) -> ProjectChange:
    head = head_pipeline(project)
    return ProjectChange(
        path=_path(project),
        web_url=safe_url(project.get("web_url")),
        branch=clean(project.get("default_branch"), REF_CHARS),
        pipeline_url=safe_url(head.get("web_url")) if head else None,
        finished=head.get("finished_at") if head else None,
    )


def diff(
    previous: Snapshot | None, current: Snapshot, stale_days: int = STALE_BRANCH_DAYS
) -> Changes:
    """Changes from `previous` to `current`; with no previous snapshot, nothing changed."""
    now = facts.snapshot_time(current)
    if previous is None:
        return Changes(previous=None, current=facts.iso_utc(now))
    before, after = _by_key(previous), _by_key(current)
    then = facts.snapshot_time(previous)
    changes = Changes(previous=facts.iso_utc(then), current=facts.iso_utc(now))
    for key in sorted(after.keys() - before.keys()):
        changes.new_projects.append(_path(after[key]))
    published = _visibilities(current)
    for key in sorted(before.keys() - after.keys()):
        # A project of a visibility this snapshot does not publish was not removed in GitLab,
        # only left out (and naming it would publish it).
        if before[key].get("visibility") in published.get(key[0], ()):
            changes.removed_projects.append(_path(before[key]))
    for key in sorted(after.keys() & before.keys()):
        old, new = before[key], after[key]
        was, now_failing = failing_default(old), failing_default(new)
        if now_failing and not was:
            changes.newly_failing.append(_project_change(new))
        elif was and not now_failing and head_pipeline(new) is not None:
            changes.fixed.append(_project_change(new))
        fresh = _stale_branches(new, now, stale_days) - _stale_branches(old, then, stale_days)
        branches = {str(b.get("name")): b for b in new.get("branches") or []}
        for name in sorted(fresh):
            branch = branches[name]
            changes.new_stale_branches.append(
                BranchChange(
                    project=_path(new),
                    web_url=safe_url(new.get("web_url")),
                    branch=clean(name, REF_CHARS),
                    committed=branch.get("committed_date"),
                    author=clean(branch.get("author_name"), PERSON_CHARS),
                )
            )
        if new.get("stale") or not _all_merge_requests(new):
            continue  # not refreshed, withheld or capped: absence means nothing
        open_now = {mr.get("iid") for mr in new.get("merge_requests") or []}
        for mr in sorted(old.get("merge_requests") or [], key=lambda m: int(m.get("iid") or 0)):
            if mr.get("iid") in open_now:
                continue
            source = branches.get(str(mr.get("source_branch")))
            changes.closed_merge_requests.append(
                MergeRequestChange(
                    project=_path(new),
                    iid=int(mr.get("iid") or 0),
                    title=clean(mr.get("title"), TITLE_CHARS),
                    web_url=safe_url(mr.get("web_url")),
                    outcome="merged" if source and source.get("merged") else "merged or closed",
                )
            )
    return changes
