"""Project activity as GitLab records it: `last_activity_at` moves through events, at most hourly.

GitLab (app/models/event.rb) moves `projects.last_activity_at` only in the `after_create` of an
Event (a push, merge request or issue activity, a comment, ...), and only when it is at least
`RESET_PROJECT_ACTIVITY_INTERVAL` (1 hour) old: `reset_project_activity` returns early on
`recent_update?` and otherwise updates `WHERE last_activity_at <= 1.hour.ago` to the event's
`created_at`. Pipelines create no Event, so scheduled, API, trigger and web pipelines never move
it; pushes do, with or without a pipeline.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from gldash_static.simulator import names
from gldash_static.simulator.model import Branch, Commit, Project, ProjectDetail

RESET_PROJECT_ACTIVITY_INTERVAL = timedelta(hours=1)
SCHEDULE_EVERY = 5  # one project in five has a nightly schedule
SCHEDULE_HOUR = 3  # its cron: "0 3 * * *" (UTC)


def record_event(project: Project, at: datetime, throttle: bool = True) -> bool:
    """An Event created at `at`: move `last_activity_at` as GitLab would; True if it moved."""
    if at <= project.last_activity_at:
        return False
    if throttle and at - project.last_activity_at < RESET_PROJECT_ACTIVITY_INTERVAL:
        return False  # Event#recent_update?: "updated recently", nothing is written
    project.last_activity_at = names.ms(at)
    return True


def move_head(detail: ProjectDetail, ref: str, sha: str, title: str, at: datetime) -> None:
    """A branch's head becomes a new commit (a push); unknown refs (tags, MR refs) are left."""
    for b in detail.branches:
        if b.name == ref:
            b.parent_sha, b.commit_sha = b.commit_sha, sha
            b.commit_title, b.committed_at = title, at


def commit_without_pipeline(
    r: random.Random,
    seed: int,
    project: Project,
    detail: ProjectDetail,
    ref: str,
    at: datetime,
    key: object,
) -> Branch | None:
    """A pushed commit that starts no pipeline: `[skip ci]`, or a branch no CI rule matches."""
    branch = next((b for b in detail.branches if b.name == ref), None)
    if branch is None:
        return None
    title = names.commit_title(r)
    if branch.default:
        title += " [skip ci]"
    sha = names.fake_sha(seed, project.id, "commit", key)
    # Kept for GET .../repository/commits/:sha (commits.py); a pipeline's commit needs no
    # record, its pipeline has what the API shows.
    detail.commits.append(Commit(sha, branch.commit_sha, title, branch.author_id, names.ms(at)))
    move_head(detail, ref, sha, title, at)
    branch.merged = False
    return branch


def scheduled_runs(
    project: Project, t0: datetime, t1: datetime, nightly: bool = False
) -> list[datetime]:
    """Times in (t0, t1] when the project's nightly schedule starts a pipeline."""
    # `nightly`: the project has one although it is not one project in five (added.py).
    if project.archived or project.default_branch is None:
        return []  # GitLab runs no schedules of archived projects
    if project.id % SCHEDULE_EVERY and not nightly:
        return []
    run = t0.replace(hour=SCHEDULE_HOUR, minute=0, second=0, microsecond=0)
    if run <= t0:
        run += timedelta(days=1)
    out = []
    while run <= t1:
        out.append(run)
        run += timedelta(days=1)
    return out
