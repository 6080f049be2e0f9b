"""Broken since when, and by which change: the default branch's current red streak.

`decide` is pure: from the kept pipelines and the previous snapshot's record it gives the
record, or says what GitLab must be asked. `resolve` asks it, over REST, at most three
requests a new streak and none while the streak only goes on:

- the last success on the default branch, and the first failed pipeline after it, with
  X-Total counting the failed ones since (only when the kept pipelines are all red and no
  earlier record covers them);
- the first failed pipeline's commit, for its title and author (only with the repository
  published: a commit title is repository content).

A lookup that fails leaves what the kept pipelines show, marked inexact: the streak began
at or before it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from gldash_static.fetch import convert
from gldash_static.gitlab import ApiClient, ApiError, CircuitOpenError
from gldash_static.model import SHORT_SHA, Pipeline, Project, RedStreak
from gldash_static.rules.facts import DECIDING, default_branch_pipelines, red_streak
from gldash_static.timeutil import second_time

log = logging.getLogger("gldash.fetch")

TITLE_CHARS = 300  # a commit title; GitLab's own is the first line of the message
AUTHOR_CHARS = 200


@dataclass(frozen=True)
class Decision:
    """The streak record as far as known, and what is still to be asked of GitLab."""

    record: RedStreak | None  # None: the default branch is not failing
    find_start: bool = False  # every kept pipeline is red: ask for the last success
    read_commit: bool = False  # the first failed pipeline's commit is not known yet


def _record(first: Pipeline, count: int, newest: int, exact: bool) -> RedStreak:
    return {
        "pipeline_id": first["id"],
        "started_at": first["created_at"],
        "short_sha": first["short_sha"],
        "web_url": first["web_url"],
        "commit_title": None,
        "author_name": None,
        "failed_pipelines": count,
        "exact": exact,
        "newest_id": newest,
    }


def decide(project: Project, previous: RedStreak | None, keep: int) -> Decision:
    """The streak of `project` (its pipelines already fetched), given the previous record;
    `keep` is fetch.pipelines_per_project."""
    streak = red_streak(project)
    if not streak:
        return Decision(None)
    first, newest = streak[-1], streak[0]["id"]
    on_default = default_branch_pipelines(project)
    deciding = [p for p in on_default if p.get("status") in DECIDING]
    # A success among the kept pipelines ends it; so does the branch's first pipeline, which
    # is kept when fewer than `keep` are (the fetch keeps the newest `keep` of them).
    bounded = len(deciding) > len(streak) or len(on_default) < keep
    if bounded:
        record = _record(first, len(streak), newest, exact=True)
        if previous is not None and previous["pipeline_id"] == first["id"]:
            return Decision(_known_commit(record, previous))
        return Decision(record, read_commit=True)
    oldest_kept = min(p["id"] for p in on_default)
    if (
        previous is not None
        and previous["pipeline_id"] <= first["id"]
        and previous["newest_id"] >= oldest_kept  # nothing unseen between the two runs
    ):
        more = sum(1 for p in streak if p["id"] > previous["newest_id"])
        carried: RedStreak = {
            **previous,
            "failed_pipelines": previous["failed_pipelines"] + more,
            "newest_id": max(newest, previous["newest_id"]),
        }
        return Decision(carried)
    return Decision(_record(first, len(streak), newest, exact=False), find_start=True)


def _known_commit(record: RedStreak, previous: RedStreak) -> RedStreak:
    return {
        **record,
        "commit_title": previous["commit_title"],
        "author_name": previous["author_name"],
    }


def resolve(
    api: ApiClient,
    project: Project,
    previous: RedStreak | None,
    *,
    keep: int,
    commits_published: bool,
) -> RedStreak | None:
    """The streak record of `project`, asking GitLab what `decide` could not know."""
    decision = decide(project, previous, keep)
    record = decision.record
    if record is None:
        return None
    base = f"/projects/{project['id']}"
    read_commit = decision.read_commit
    try:
        if decision.find_start:
            found = _find_start(api, base, str(project["default_branch"]), record)
            read_commit = True
            if found is not None:
                record = found
        if read_commit and commits_published:
            record = _with_commit(api, base, record)
    except (ApiError, CircuitOpenError) as exc:
        log.info("%s: red streak left as the kept pipelines show it (%s)", base, exc)
    return record


def _find_start(api: ApiClient, base: str, branch: str, kept: RedStreak) -> RedStreak | None:
    """The streak from the last success on `branch` (None: GitLab's answer does not fit)."""
    path = f"{base}/pipelines"
    common: dict[str, Any] = {"ref": branch, "order_by": "id", "per_page": 1}
    success, _ = api.first_page_total(path, status="success", sort="desc", **common)
    after: dict[str, Any] = {}
    last_green = convert.raw_id(success[0]) if success else None
    if success:
        created = second_time(success[0].get("created_at"))
        if created is None:
            return None
        after = {"created_after": created}
    failed, total = api.first_page_total(path, status="failed", sort="asc", **common, **after)
    start = convert.raw_id(failed[0]) if failed else None
    if (
        start is None
        or (last_green is not None and start < last_green)
        or start > kept["pipeline_id"]
    ):
        return None  # not the first failure after the success, or later than one we keep
    raw = failed[0]
    return {
        **kept,
        "pipeline_id": start,
        "started_at": second_time(raw.get("created_at")) or kept["started_at"],
        "short_sha": (convert.text(raw.get("sha")) or "")[:SHORT_SHA],
        "web_url": convert.text(raw.get("web_url")) or "",
        "failed_pipelines": max(total or 0, kept["failed_pipelines"]),
        "exact": total is not None,
    }


def _with_commit(api: ApiClient, base: str, record: RedStreak) -> RedStreak:
    """The record with its first pipeline's commit title and author (no e-mail is kept)."""
    sha = record["short_sha"]
    if not sha.isalnum():
        return record
    try:
        commit = api.get(f"{base}/repository/commits/{sha}")
    except ApiError as exc:
        if exc.status == 404:  # gone (force-pushed away), or a short sha now ambiguous
            return record
        raise
    return {
        **record,
        "commit_title": convert.text(commit.get("title"), TITLE_CHARS),
        "author_name": convert.text(commit.get("author_name"), AUTHOR_CHARS),
    }
