"""Pipelines added to a generated history so that issue 16's questions have answers.

A flaky project's failed default-branch pipeline is sometimes run again on the same commit
(source `web`: someone pressed "Run pipeline" or retried it) and passes; a long red streak
(pipelines.long_red) has a nightly schedule failing every night. Each draws from a
generator of its own, so the rest of the history stays as it was; added pipelines take
iids (GitLab numbers pipelines in creation order) but no commit numbers (`origin`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from gldash_static.simulator import names
from gldash_static.simulator.activity import SCHEDULE_HOUR
from gldash_static.simulator.model import Pipeline, Project, ProjectDetail
from gldash_static.simulator.pipelines import LONG_RED_DAYS, long_red, new_pipeline

RERUN_SHARE = 0.35  # of a flaky project's failed default-branch pipelines


def _head(project: Project, detail: ProjectDetail) -> tuple[str, str]:
    """(sha, title) of the default branch's head: its last pushed pipeline's commit."""
    for q in reversed(detail.pipelines):
        if q.ref == project.default_branch and not q.origin:
            return q.sha, q.commit_title
    branch = next((b for b in detail.branches if b.default), None)
    if branch is None:
        return names.fake_sha(project.id, "root"), ""
    return branch.commit_sha, branch.commit_title


def nightlies(
    seed: int,
    project: Project,
    detail: ProjectDetail,
    until: datetime,
    now: datetime,
    user_ids: list[int],
) -> None:
    """A long red streak's nightly runs (03:00 UTC) before `until`, not yet created."""
    if not long_red(seed, project):
        return
    done = max((q.created_at for q in detail.pipelines if q.origin == "nightly"), default=None)
    start = now - timedelta(days=LONG_RED_DAYS)
    run = start.replace(hour=SCHEDULE_HOUR, minute=0, second=0, microsecond=0)
    if run <= start:
        run += timedelta(days=1)
    while run < until:
        if (done is None or run > done) and run >= project.created_at:
            # The key and the user draw are those of history._scheduled's runs.
            r = names.rng(seed, "schedule", project.id, run.isoformat())
            user = r.choice(user_ids)
            p = new_pipeline(
                r,
                seed,
                project,
                detail,
                run,
                now,
                ref=project.default_branch or "",
                source="schedule",
                user_id=user,
            )
            p.sha, p.commit_title = _head(project, detail)
            p.origin = "nightly"
            detail.added += 1
        run += timedelta(days=1)


def rerun(
    seed: int,
    project: Project,
    detail: ProjectDetail,
    failed: Pipeline,
    following: datetime,
    now: datetime,
    user_ids: list[int],
) -> Pipeline | None:
    """Maybe run a flaky project's failed default-branch pipeline again; it passes."""
    if project.health != "flaky" or failed.ref != project.default_branch:
        return None
    if failed.status != "failed" or failed.plan is not None or failed.finished_at is None:
        return None
    r = names.rng(seed, "rerun", project.id, failed.created_at.isoformat())
    if r.random() >= RERUN_SHARE:
        return None
    at = failed.finished_at + timedelta(minutes=r.uniform(2, 45))
    if at >= following or at > now:
        return None  # the next pipeline came first: ids stay in creation order
    user = failed.user_id if r.random() < 0.5 else r.choice(user_ids)
    p = new_pipeline(
        r,
        seed,
        project,
        detail,
        at,
        now,
        ref=failed.ref,
        source="web",
        user_id=user,
        status="success",
    )
    p.sha, p.before_sha, p.commit_title = failed.sha, failed.before_sha, failed.commit_title
    p.origin = "rerun"
    detail.added += 1
    return p
