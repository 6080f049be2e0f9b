"""Authentication, 404s and GitLab's visibility rules."""

from __future__ import annotations

import gitlab
import pytest
import requests
from sim_helpers import client

from gldash_static.simulator import Simulator


def _status(sim: Simulator, path: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.get(f"{sim.url}/api/v4{path}", headers=headers or {}, timeout=10)


def test_missing_and_wrong_token_get_401(sim: Simulator) -> None:
    for headers in ({}, {"PRIVATE-TOKEN": "glpat-wrong"}, {"Authorization": "Bearer nope"}):
        r = _status(sim, "/projects", headers)
        assert r.status_code == 401 and r.json() == {"message": "401 Unauthorized"}
    ok = _status(sim, "/projects", {"Authorization": f"Bearer {sim.token}"})
    assert ok.status_code == 200
    with pytest.raises(gitlab.GitlabAuthenticationError):
        client(sim, "glpat-wrong").projects.list(get_all=False)


def test_revoked_token(fresh_sim: Simulator) -> None:
    token = fresh_sim.user_token(fresh_sim.state.users[2].username)
    assert _status(fresh_sim, "/user", {"PRIVATE-TOKEN": token}).status_code == 200
    fresh_sim.revoke_token(token)
    assert _status(fresh_sim, "/user", {"PRIVATE-TOKEN": token}).status_code == 401


def test_404_bodies(sim: Simulator) -> None:
    admin = {"PRIVATE-TOKEN": sim.token}
    r = _status(sim, "/projects/999999999", admin)
    assert r.status_code == 404 and r.json() == {"message": "404 Project Not Found"}
    r = _status(sim, "/groups/no%2Fsuch", admin)
    assert r.json() == {"message": "404 Group Not Found"}
    pid = next(p.id for p in sim.state.projects.values() if not p.empty_repo)
    assert _status(sim, f"/projects/{pid}/pipelines/1", admin).json() == {
        "message": "404 Not found"
    }
    r = _status(sim, f"/projects/{pid}/repository/branches/no%2Fsuch", admin)
    assert r.json() == {"message": "404 Branch Not Found"}
    r = _status(sim, "/no/such/route", admin)
    assert r.status_code == 404 and r.json() == {"error": "404 Not Found"}
    with pytest.raises(gitlab.GitlabGetError) as info:
        client(sim).projects.get(999999999)
    assert info.value.response_code == 404


def test_visibility_for_a_regular_user(sim: Simulator) -> None:
    state = sim.state
    user = next(
        u
        for u in state.users.values()
        if not u.is_admin
        and state.member_groups(u.id)
        and any(
            p.visibility == "private" and state.is_project_member(u, p)
            for p in state.projects.values()
        )
    )
    gl = client(sim, sim.user_token(user.username))
    seen = {p.id for p in gl.projects.list(get_all=True, per_page=100)}
    expected = {
        p.id
        for p in state.projects.values()
        if p.visibility != "private" or state.is_project_member(user, p)
    }
    assert seen == expected
    hidden = next(
        p
        for p in state.projects.values()
        if p.visibility == "private" and not state.is_project_member(user, p)
    )
    with pytest.raises(gitlab.GitlabGetError):
        gl.projects.get(hidden.id)
    with pytest.raises(gitlab.GitlabListError):
        gl.projects.get(hidden.id, lazy=True).pipelines.list(get_all=False)
    mine = {p.id for p in gl.projects.list(get_all=True, membership=True, per_page=100)}
    assert mine == {p.id for p in state.projects.values() if state.is_project_member(user, p)}
    groups = {g.id for g in gl.groups.list(get_all=True)}
    assert groups == set(state.member_groups(user.id))
    every = {g.id for g in gl.groups.list(get_all=True, all_available=True)}
    assert every == {g.id for g in state.groups.values() if state.can_see_group(user, g)}
    private_groups = [g for g in state.groups.values() if not state.can_see_group(user, g)]
    if private_groups:
        with pytest.raises(gitlab.GitlabGetError):
            gl.groups.get(private_groups[0].id)


def test_admin_sees_private_projects(sim: Simulator, gl: gitlab.Gitlab) -> None:
    ids = {p.id for p in gl.projects.list(get_all=True, per_page=100)}
    assert ids == set(sim.state.projects)
    assert any(p.visibility == "private" for p in sim.state.projects.values())
    assert {p.visibility for p in sim.state.projects.values()} == {"public", "internal", "private"}
