"""The commits a project's repository holds here, and how GitLab finds one from a revision.

Known commits: every pipeline's (its title is the pipeline's `commit_title`), the branch
heads, and commits pushed without a pipeline (activity.py). GitLab answers
GET .../repository/commits/:sha with `Project#commit`, which asks Gitaly for any revision:
a full sha, a branch or tag name, `HEAD`, or an abbreviated sha of at least four hex digits
(git's minimum) that names exactly one commit; git tries a full sha first, then refs, then
abbreviations, and an ambiguous or unknown one finds nothing (404 "404 Commit Not Found").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from gldash_static.simulator import names
from gldash_static.simulator.model import Pipeline, Project, ProjectDetail

_FULL_SHA = re.compile(r"[0-9a-fA-F]{40}")
_SHORT_SHA = re.compile(r"[0-9a-fA-F]{4,39}")


@dataclass(frozen=True, slots=True)
class CommitInfo:
    """One commit as the commits API shows it."""

    sha: str
    parent_sha: str
    title: str
    author_id: int
    committed_at: datetime


def _pipeline_commit(p: Pipeline) -> CommitInfo:
    # Committed a little before it was pushed; no random draw (the sha decides).
    before_push = timedelta(seconds=5 + int(p.sha[:6], 16) % 600)
    return CommitInfo(
        p.sha, p.before_sha, p.commit_title, p.user_id, names.ms(p.created_at - before_push)
    )


def known(detail: ProjectDetail) -> dict[str, CommitInfo]:
    """Every commit the project's history names, by sha."""
    # A commit several records name (a pushed pipeline's commit that is now a branch head, a
    # head that a schedule built) is described by the earliest of them: the push.
    found: dict[str, CommitInfo] = {}

    def offer(c: CommitInfo) -> None:
        old = found.get(c.sha)
        if old is None or c.committed_at < old.committed_at:
            found[c.sha] = c

    for p in detail.pipelines:
        offer(_pipeline_commit(p))
    for c in detail.commits:
        offer(CommitInfo(c.sha, c.parent_sha, c.title, c.author_id, c.committed_at))
    for b in detail.branches:
        offer(CommitInfo(b.commit_sha, b.parent_sha, b.commit_title, b.author_id, b.committed_at))
    return found


def resolve(project: Project, detail: ProjectDetail, revision: str) -> CommitInfo | None:
    """The commit `revision` names, as `git rev-parse` finds it, or None."""
    commits = known(detail)
    if _FULL_SHA.fullmatch(revision):
        return commits.get(revision.lower())
    heads = {b.name: b.commit_sha for b in detail.branches}
    if revision == "HEAD" and project.default_branch is not None:
        revision = project.default_branch
    sha = heads.get(revision)
    if sha is None:
        sha = next((p.sha for p in detail.pipelines if p.tag and p.ref == revision), None)
    if sha is not None:
        return commits.get(sha)
    if _SHORT_SHA.fullmatch(revision):
        matches = [c for s, c in commits.items() if s.startswith(revision.lower())]
        if len(matches) == 1:
            return matches[0]
    return None


def stats(sha: str) -> dict[str, int]:
    """Lines added and deleted, derived from the sha (GitLab counts them from the diff)."""
    r = names.rng("stats", sha)
    additions = int(r.paretovariate(1.2) * 8) - 4
    deletions = int(r.paretovariate(1.4) * 5) - 3
    additions, deletions = max(0, additions), max(0, deletions)
    return {"additions": additions, "deletions": deletions, "total": additions + deletions}


def trailers(sha: str, name: str, email: str) -> tuple[str, dict[str, str], dict[str, list[str]]]:
    """Message tail, `trailers` and `extended_trailers`: one commit in eight is signed off."""
    if int(sha[-2:], 16) % 8:
        return "", {}, {}
    value = f"{name} <{email}>"
    return f"\nSigned-off-by: {value}\n", {"Signed-off-by": value}, {"Signed-off-by": [value]}
