"""Roles and per-feature permissions, as GitLab's ProjectPolicy computes them, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from sim_helpers import client

from gldash_static.simulator import OrgSpec, Simulator
from gldash_static.simulator.model import Project


@pytest.fixture(scope="module")
def rsim() -> Iterator[Simulator]:
    """A small organisation these tests restrict feature by feature (module-private)."""
    with Simulator(OrgSpec(projects=80, seed=11)) as s:
        yield s


def _get(sim: Simulator, token: str, path: str) -> requests.Response:
    return requests.get(f"{sim.url}/api/v4{path}", headers={"PRIVATE-TOKEN": token}, timeout=10)


def _top(sim: Simulator, p: Project) -> str:
    """The full path of the project's top-level group."""
    return sim.state.groups[p.namespace_id].full_path.split("/")[0]


def _pick(sim: Simulator, visibility: str, skip: set[int]) -> Project:
    """A group project with code and pipelines, not used by another test."""
    for p in sorted(sim.state.projects.values(), key=lambda p: p.id):
        if p.id in skip or p.namespace_kind != "group" or p.archived or p.empty_repo:
            continue
        if p.visibility == visibility and sim.state.pipelines(p.id) and not p.access:
            skip.add(p.id)
            return p
    raise AssertionError(f"no {visibility} project left")


USED: set[int] = set()


def test_private_projects_are_invisible_to_non_members(rsim: Simulator) -> None:
    private = _pick(rsim, "private", USED)
    outsider = rsim.token_for("non-member")
    assert _get(rsim, outsider, f"/projects/{private.id}").status_code == 404
    assert _get(rsim, outsider, f"/projects/{private.id}/pipelines").status_code == 404
    listed = {p.id for p in client(rsim, outsider).projects.list(get_all=True, per_page=100)}
    assert private.id not in listed
    assert listed == {p.id for p in rsim.state.projects.values() if p.visibility != "private"}
    # The administrator's token is unchanged: it sees and reads everything.
    assert _get(rsim, rsim.token, f"/projects/{private.id}/repository/branches").ok


def test_guest_of_a_private_project_reads_no_code_but_public_pipelines(rsim: Simulator) -> None:
    p = _pick(rsim, "private", USED)
    guest = rsim.token_for("guest", _top(rsim, p))
    body = _get(rsim, guest, f"/projects/{p.id}").json()
    # BasicProjectDetails exposes these only with read_code (download_code).
    assert "default_branch" not in body and "forks_count" not in body
    assert body["empty_repo"] is False and body["repository_access_level"] == "enabled"
    assert _get(rsim, guest, f"/projects/{p.id}/repository/branches").status_code == 403
    assert _get(rsim, guest, f"/projects/{p.id}/merge_requests").status_code == 403
    # public_builds & guest_access: read_pipeline and read_build.
    assert p.public_jobs
    pipelines = _get(rsim, guest, f"/projects/{p.id}/pipelines")
    assert pipelines.status_code == 200 and pipelines.json()
    rsim.set_feature_access(p.id, public_jobs=False)
    forbidden = _get(rsim, guest, f"/projects/{p.id}/pipelines")
    assert forbidden.status_code == 403 and forbidden.json() == {"message": "403 Forbidden"}
    first = rsim.state.pipelines(p.id)[-1]
    assert _get(rsim, guest, f"/projects/{p.id}/pipelines/{first.id}").status_code == 403
    reporter = rsim.token_for("reporter", _top(rsim, p))
    body = _get(rsim, reporter, f"/projects/{p.id}").json()
    assert body["default_branch"] == p.default_branch
    for path in ("repository/branches", "merge_requests", "pipelines", "jobs"):
        assert _get(rsim, reporter, f"/projects/{p.id}/{path}").status_code == 200, path


def test_public_jobs_off_hides_jobs_from_non_members(rsim: Simulator) -> None:
    p = _pick(rsim, "public", USED)
    rsim.set_feature_access(p.id, public_jobs=False)
    outsider = rsim.token_for("non-member")
    # The list needs read_pipeline and read_build; one pipeline needs only read_pipeline,
    # and its jobs list is empty rather than forbidden (Ci::JobsFinder).
    assert _get(rsim, outsider, f"/projects/{p.id}/pipelines").status_code == 403
    assert _get(rsim, outsider, f"/projects/{p.id}/jobs").status_code == 403
    pl = rsim.state.pipelines(p.id)[-1]
    assert _get(rsim, outsider, f"/projects/{p.id}/pipelines/{pl.id}").status_code == 200
    jobs = _get(rsim, outsider, f"/projects/{p.id}/pipelines/{pl.id}/jobs")
    assert jobs.status_code == 200 and jobs.json() == []
    assert _get(rsim, outsider, f"/projects/{p.id}/repository/branches").status_code == 200
    body = _get(rsim, outsider, f"/projects/{p.id}").json()
    assert body["public_jobs"] is False and body["default_branch"] == p.default_branch
    reporter = rsim.token_for("reporter", _top(rsim, p))
    assert _get(rsim, reporter, f"/projects/{p.id}/pipelines").status_code == 200


def test_members_only_features_of_a_public_project(rsim: Simulator) -> None:
    p = _pick(rsim, "public", USED)
    rsim.set_feature_access(p.id, builds="private", merge_requests="private")
    outsider = rsim.token_for("non-member")
    guest = rsim.token_for("guest", _top(rsim, p))
    reporter = rsim.token_for("reporter", _top(rsim, p))
    for token in (outsider, guest):
        assert _get(rsim, token, f"/projects/{p.id}/merge_requests").status_code == 403
    assert _get(rsim, outsider, f"/projects/{p.id}/pipelines").status_code == 403
    # A members-only CI/CD opens to Guests; members-only merge requests need Reporter.
    assert _get(rsim, guest, f"/projects/{p.id}/pipelines").status_code == 200
    assert _get(rsim, reporter, f"/projects/{p.id}/merge_requests").status_code == 200
    flags = _get(rsim, outsider, f"/projects/{p.id}").json()
    assert flags["merge_requests_access_level"] == "private"
    assert flags["merge_requests_enabled"] is False and flags["jobs_enabled"] is False
    assert _get(rsim, reporter, f"/projects/{p.id}").json()["merge_requests_enabled"] is True
    group = rsim.state.groups[p.namespace_id].id
    listed = _get(rsim, outsider, f"/groups/{group}/merge_requests?state=all&per_page=100")
    assert all(m["project_id"] != p.id for m in listed.json())
    rsim.set_feature_access(p.id, repository="private", builds="private", merge_requests="private")
    assert _get(rsim, outsider, f"/projects/{p.id}/repository/branches").status_code == 403
    assert "default_branch" not in _get(rsim, outsider, f"/projects/{p.id}").json()
    assert _get(rsim, guest, f"/projects/{p.id}/repository/branches").status_code == 200


def test_disabled_features_are_forbidden_to_everyone(rsim: Simulator) -> None:
    p = _pick(rsim, "public", USED)
    rsim.set_feature_access(p.id, builds="disabled", merge_requests="disabled")
    for token in (rsim.token, rsim.token_for("maintainer", _top(rsim, p))):
        assert _get(rsim, token, f"/projects/{p.id}/pipelines").status_code == 403
        assert _get(rsim, token, f"/projects/{p.id}/merge_requests").status_code == 403
        assert _get(rsim, token, f"/projects/{p.id}/repository/branches").status_code == 200


def test_group_access_token_bot(rsim: Simulator) -> None:
    p = _pick(rsim, "private", USED)
    top = _top(rsim, p)
    token = rsim.token_for("reporter", top, bot=True)
    assert token == rsim.token_for("reporter", top, bot=True)  # the same bot again
    me = _get(rsim, token, "/user").json()
    group_id = rsim.state.find_group(top).id  # type: ignore[union-attr]
    assert me["bot"] is True and me["username"].startswith(f"group_{group_id}_bot_")
    assert len(me["username"].rsplit("_", 1)[1]) == 32
    assert _get(rsim, token, f"/projects/{p.id}/repository/branches").status_code == 200
    elsewhere = next(
        q
        for q in rsim.state.projects.values()
        if q.visibility == "private" and q.namespace_kind == "group" and _top(rsim, q) != top
    )
    assert _get(rsim, token, f"/projects/{elsewhere.id}").status_code == 404
    with pytest.raises(ValueError):
        rsim.token_for("non-member", top, bot=True)
    with pytest.raises(ValueError):
        rsim.token_for("superuser")
