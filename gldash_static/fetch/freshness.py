"""When a refresh reads a project's branches again: a sign of a push, or their age.

GitLab moves a project's `last_activity_at` only through events and at most once an hour
(app/models/event.rb, RESET_PROJECT_ACTIVITY_INTERVAL), so a push within the hour after other
activity leaves it where it was. A push that starts a pipeline still shows in the refresh's
pipeline listing; one that starts none ([skip ci], a branch no CI rule matches) shows nowhere
cheaper than the branches themselves, so those are read again once they reach an age.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from gldash_static.model import Branch, Project
from gldash_static.timeutil import parse_time

# Projects fall due at one of this many ages between half the bound and the bound, by id,
# so that the projects of one full fetch do not all re-read their branches in the same run.
SPREAD_SLOTS = 16


def branch_limit(project_id: int, bound: timedelta) -> timedelta:
    """The age at which this project's branches are read again (half the bound to the bound)."""
    return bound * (1 - (project_id % SPREAD_SLOTS) / (2 * SPREAD_SLOTS))


def needs_branch_refresh(
    old: Project | None,
    fresh: Project,
    now: datetime,
    bound: timedelta,
    run_every: timedelta = timedelta(0),
) -> bool:
    """Whether to read the branches before looking at pipelines: new, active, or due by age.

    `run_every` is the time to the next run (estimated from the last one): branches that
    would pass their age limit before then are read now.
    """
    if old is None or old["last_activity_at"] != fresh["last_activity_at"]:
        return True
    fetched = parse_time(old.get("branches_fetched_at"))
    if fetched is None:
        return True  # age unknown (an older snapshot, or never read)
    return now - fetched + run_every >= branch_limit(fresh["id"], bound)


MIN_SHORT_SHA = 7  # fewer digits could name another commit


def pipelines_show_a_push(
    listed: Iterable[Mapping[str, Any]], branches: list[Branch], known_ids: Collection[int]
) -> bool:
    """Whether new pipelines name a commit that the stored branch heads lack.

    A pipeline seen before says nothing new; a scheduled or API pipeline on a branch's head
    is no push. Anything else (a new commit, a new branch, a tag, a merge request ref) is.
    """
    heads = {b["name"]: b["commit_short_id"] for b in branches}
    for item in listed:
        if item.get("id") in known_ids:
            continue
        # A REST listing's item has GitLab's `sha`, a GraphQL-converted pipeline `short_sha`.
        ref, sha = item.get("ref"), item.get("sha") or item.get("short_sha")
        head = heads.get(ref) if isinstance(ref, str) else None
        if not head or not isinstance(sha, str) or not _same_commit(sha, head):
            return True
    return False


def _same_commit(one: str, other: str) -> bool:
    """Whether two commit ids, full or short (GitLab's short_id has 7 or 8 digits), agree."""
    n = min(len(one), len(other))
    return n >= MIN_SHORT_SHA and one[:n] == other[:n]


def previous_run_gap(watermark: str | None, now: datetime) -> timedelta:
    """Time since the previous run (its watermark), as the expected time to the next one."""
    moment = parse_time(watermark)
    if moment is None or moment > now:
        return timedelta(0)
    return now - moment
