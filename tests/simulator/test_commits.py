"""GET /projects/:id/repository/commits/:sha: any revision, GitLab's fields and permissions."""

from __future__ import annotations

from collections import defaultdict

import requests
from sim_helpers import client

from gldash_static.simulator import Simulator, commits
from gldash_static.simulator.model import Project

COMMIT_KEYS = [
    "id", "short_id", "created_at", "parent_ids", "title", "message", "author_name",
    "author_email", "authored_date", "committer_name", "committer_email", "committed_date",
    "trailers", "extended_trailers", "web_url", "status", "project_id", "last_pipeline", "stats",
]  # fmt: skip
PIPELINE_BASIC = [
    "id", "iid", "project_id", "status", "source", "ref", "sha", "web_url", "created_at",
    "updated_at",
]  # fmt: skip


def _get(sim: Simulator, path: str, token: str | None = None, **params: str) -> requests.Response:
    return requests.get(
        f"{sim.url}/api/v4{path}",
        params=params,
        headers={"PRIVATE-TOKEN": token or sim.token},
        timeout=10,
    )


def _project(sim: Simulator) -> Project:
    return next(
        p
        for p in sorted(sim.state.projects.values(), key=lambda p: p.id)
        if len(sim.state.pipelines(p.id)) > 5 and any(pl.tag for pl in sim.state.pipelines(p.id))
    )


def test_full_and_short_sha(sim: Simulator) -> None:
    p = _project(sim)
    pl = sim.state.pipelines(p.id)[-3]
    gl = client(sim)
    got = gl.projects.get(p.id, lazy=True).commits.get(pl.sha)
    body = got.attributes
    raw = _get(sim, f"/projects/{p.id}/repository/commits/{pl.sha}").json()
    assert list(raw) == COMMIT_KEYS and body == raw  # python-gitlab reads it as it is
    assert (
        body["id"] == pl.sha and body["short_id"] == pl.sha[:8] and body["title"] == pl.commit_title
    )
    assert body["message"].startswith(pl.commit_title + "\n")
    assert body["parent_ids"] == [pl.before_sha] and body["project_id"] == p.id
    assert body["author_email"].endswith("@example.com")
    assert body["author_name"] == sim.state.users[pl.user_id].name  # who pushed it
    assert set(body["stats"]) == {"additions", "deletions", "total"}
    assert body["web_url"].endswith(f"/{p.path_with_namespace}/-/commit/{pl.sha}")
    newest = max((q for q in sim.state.pipelines(p.id) if q.sha == pl.sha), key=lambda q: q.id)
    assert list(body["last_pipeline"]) == PIPELINE_BASIC  # PipelineBasic: no name
    assert body["last_pipeline"]["id"] == newest.id and body["status"] == newest.status
    for short in (pl.sha[:8], pl.sha[:12].upper()):
        assert _get(sim, f"/projects/{p.id}/repository/commits/{short}").json()["id"] == pl.sha
    plain = _get(sim, f"/projects/{p.id}/repository/commits/{pl.sha}", stats="false").json()
    assert "stats" not in plain


def test_refs_resolve_like_git(sim: Simulator) -> None:
    p = _project(sim)
    base = f"/projects/{p.id}/repository/commits"
    for b in sim.state.branches(p.id)[:3]:
        by_name = _get(sim, f"{base}/{requests.utils.quote(b.name, safe='')}").json()
        assert by_name["id"] == b.commit_sha
    assert p.default_branch is not None
    head = next(b for b in sim.state.branches(p.id) if b.default)
    assert _get(sim, f"{base}/HEAD").json()["id"] == head.commit_sha
    tag = next(pl for pl in sim.state.pipelines(p.id) if pl.tag)
    assert _get(sim, f"{base}/{tag.ref}").json()["id"] == tag.sha


def test_unknown_and_ambiguous_revisions_are_404(sim: Simulator) -> None:
    p = _project(sim)
    base = f"/projects/{p.id}/repository/commits"
    for revision in ("0" * 40, "deadbeefcafe", "no-such-branch", "abc"):
        reply = _get(sim, f"{base}/{revision}")
        assert reply.status_code == 404 and reply.json() == {"message": "404 Commit Not Found"}
    # Two commits of one project sharing their first four hex digits: the prefix names none.
    for q in sorted(sim.state.projects.values(), key=lambda q: q.id):
        by_prefix: dict[str, list[str]] = defaultdict(list)
        for sha in commits.known(sim.state.detail(q.id)):
            by_prefix[sha[:4]].append(sha)
        shared = next((k for k, v in by_prefix.items() if len(v) > 1), None)
        if shared is None:
            continue
        reply = _get(sim, f"/projects/{q.id}/repository/commits/{shared}")
        assert reply.status_code == 404 and reply.json() == {"message": "404 Commit Not Found"}
        longer = by_prefix[shared][0][:12]
        assert _get(sim, f"/projects/{q.id}/repository/commits/{longer}").status_code == 200
        return
    raise AssertionError("no two commits share a prefix")


def test_commits_without_pipelines(fresh_sim: Simulator) -> None:
    p = next(
        p
        for p in sorted(fresh_sim.state.projects.values(), key=lambda p: p.id)
        if p.default_branch and fresh_sim.state.pipelines(p.id) and not p.archived
    )
    assert p.default_branch is not None
    before = next(b for b in fresh_sim.state.branches(p.id) if b.default).commit_sha
    branch = fresh_sim.state.push(p.id, p.default_branch, pipeline=False)
    body = _get(fresh_sim, f"/projects/{p.id}/repository/commits/{branch.commit_sha}").json()
    assert body["title"] == branch.commit_title and body["title"].endswith("[skip ci]")
    assert body["parent_ids"] == [before]
    assert body["last_pipeline"] is None and body["status"] is None
    parent = _get(fresh_sim, f"/projects/{p.id}/repository/commits/{before}")
    assert parent.status_code == 200


def test_signed_off_trailers(sim: Simulator) -> None:
    p = _project(sim)
    for pl in sim.state.pipelines(p.id):
        body = _get(sim, f"/projects/{p.id}/repository/commits/{pl.sha}").json()
        if body["trailers"]:
            value = body["trailers"]["Signed-off-by"]
            assert value.endswith("@example.com>") and f"Signed-off-by: {value}" in body["message"]
            assert body["extended_trailers"] == {"Signed-off-by": [value]}
            return
        assert body["extended_trailers"] == {}
    raise AssertionError("no signed-off commit")


def test_repository_access(fresh_sim: Simulator) -> None:
    sim = fresh_sim
    projects = sorted(sim.state.projects.values(), key=lambda p: p.id)
    open_ = next(
        p
        for p in projects
        if p.visibility != "private" and p.namespace_kind == "group" and sim.state.pipelines(p.id)
    )
    sha = sim.state.pipelines(open_.id)[-1].sha
    path = f"/projects/{open_.id}/repository/commits/{sha}"
    outsider = sim.token_for("non-member")
    assert _get(sim, path, outsider).status_code == 200
    sim.set_feature_access(open_.id, repository="private")
    # require_repository_enabled! comes first: a members-only repository is "not found".
    hidden = _get(sim, path, outsider)
    assert hidden.status_code == 404 and hidden.json() == {"message": "404 Repository Not Found"}
    member = sim.token_for("reporter", sim.state.groups[open_.namespace_id].full_path)
    assert _get(sim, path, member).status_code == 200
    private = next(
        p
        for p in projects
        if p.visibility == "private" and p.namespace_kind == "group" and sim.state.pipelines(p.id)
    )
    psha = sim.state.pipelines(private.id)[-1].sha
    ppath = f"/projects/{private.id}/repository/commits/{psha}"
    gone = _get(sim, ppath, outsider)
    assert gone.status_code == 404 and gone.json() == {"message": "404 Project Not Found"}
    # A guest of a private project passes the feature check but has no read_code: 403.
    guest = sim.token_for("guest", sim.state.groups[private.namespace_id].full_path)
    denied = _get(sim, ppath, guest)
    assert denied.status_code == 403 and denied.json() == {"message": "403 Forbidden"}
    empty = next((p for p in projects if p.empty_repo), None)
    if empty is not None:
        none = _get(sim, f"/projects/{empty.id}/repository/commits/HEAD")
        assert none.status_code == 404 and none.json() == {"message": "404 Commit Not Found"}
