"""Facts every page shows alike: failing, head pipeline, stale branch, success rate."""

from __future__ import annotations

from datetime import datetime, timedelta

from gldash_static.model import Branch, Pipeline, Project
from gldash_static.timeutil import parse_time

# The statuses that decide whether a default branch is failing, and the success rate:
# a canceled, skipped or manual pipeline says nothing about whether the code works.
DECIDING = frozenset({"success", "failed"})
STALE_BRANCH_DAYS = 30  # the default of site.stale_branch_days
RATE_DIGITS = 4  # success rates are kept and shown to 0.01 %


def default_branch_pipelines(project: Project) -> list[Pipeline]:
    """The project's pipelines on its default branch, newest first (as the snapshot keeps them)."""
    branch = project.get("default_branch")
    return [p for p in project.get("pipelines") or [] if p.get("ref") == branch]


def head_pipeline(project: Project) -> Pipeline | None:
    """The newest success or failed pipeline on the default branch: the one that decides."""
    for pipeline in default_branch_pipelines(project):
        if pipeline.get("status") in DECIDING:
            return pipeline
    return None


def failing_default(project: Project) -> bool:
    """Whether the default branch is failing: its head pipeline failed."""
    head = head_pipeline(project)
    return head is not None and head.get("status") == "failed"


def red_streak(project: Project) -> list[Pipeline]:
    """The failed deciding pipelines of the default branch since its last success, newest first.

    Canceled, skipped and running pipelines neither start nor end a streak. Empty when the
    branch is not failing. Only the kept pipelines are seen: when every kept deciding pipeline
    failed, the streak may have started earlier (the fetch's `red_streak` record knows).
    """
    streak: list[Pipeline] = []
    for pipeline in default_branch_pipelines(project):
        status = pipeline.get("status")
        if status == "success":
            break
        if status == "failed":
            streak.append(pipeline)
    return streak


def is_stale_branch(branch: Branch, now: datetime, stale_days: int = STALE_BRANCH_DAYS) -> bool:
    """Whether a branch is stale: not default, not merged, no commit for over `stale_days`."""
    if branch.get("default") or branch.get("merged"):
        return False
    committed = parse_time(branch.get("committed_date"))
    return committed is not None and now - committed > timedelta(days=stale_days)


def success_rate(success: int, failed: int) -> float | None:
    """success / (success + failed), rounded to RATE_DIGITS; None when nothing finished."""
    total = success + failed
    return round(success / total, RATE_DIGITS) if total else None
