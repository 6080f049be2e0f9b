"""Offset and keyset pagination with GitLab's headers, including the 10,000-row cut-off."""

from __future__ import annotations

import gitlab
import requests
from sim_helpers import client

from gldash_static.simulator import OrgSpec, Simulator


def _get(sim: Simulator, path: str) -> requests.Response:
    return requests.get(f"{sim.url}/api/v4{path}", headers={"PRIVATE-TOKEN": sim.token}, timeout=10)


def test_offset_headers(sim: Simulator) -> None:
    total = len(sim.state.projects)
    r = _get(sim, "/projects?per_page=7&page=2&order_by=id&sort=asc")
    h = r.headers
    assert (h["x-page"], h["x-per-page"], h["x-prev-page"], h["x-next-page"]) == (
        "2",
        "7",
        "1",
        "3",
    )
    assert h["x-total"] == str(total) and h["x-total-pages"] == str(-(-total // 7))
    assert [p["id"] for p in r.json()] == sorted(sim.state.projects)[7:14]
    assert {'rel="prev"', 'rel="next"', 'rel="first"', 'rel="last"'} <= {
        part.split("; ")[1] for part in h["Link"].split(", ")
    }
    last = _get(sim, f"/projects?per_page=7&page={h['x-total-pages']}")
    assert last.headers["x-next-page"] == "" and 'rel="next"' not in last.headers["Link"]
    default = _get(sim, "/groups")
    assert default.headers["x-per-page"] == "20"
    assert _get(sim, "/groups?per_page=1000").headers["x-per-page"] == "100"


def test_python_gitlab_follows_every_page(sim: Simulator, gl: gitlab.Gitlab) -> None:
    it = gl.projects.list(iterator=True, per_page=13)
    assert it.total == len(sim.state.projects)
    assert sorted(p.id for p in it) == sorted(sim.state.projects)


def test_totals_omitted_above_the_limit() -> None:
    with Simulator(OrgSpec(projects=60, seed=2), total_limit=50) as sim:
        r = _get(sim, "/projects?per_page=10")
        assert "x-total" not in r.headers and "x-total-pages" not in r.headers
        assert 'rel="last"' not in r.headers["Link"] and r.headers["x-next-page"] == "2"
        it = client(sim).projects.list(iterator=True, per_page=10)
        assert it.total is None and len(list(it)) == 60


def test_real_10000_row_cutoff() -> None:
    with Simulator(OrgSpec(projects=10_001, seed=5, pipelines_per_project=0)) as sim:
        r = _get(sim, "/projects?per_page=100")
        assert "x-total" not in r.headers and 'rel="last"' not in r.headers["Link"]
    with Simulator(OrgSpec(projects=9_999, seed=5, pipelines_per_project=0)) as sim:
        assert _get(sim, "/projects?per_page=100").headers["x-total"] == "9999"


def test_offset_stops_at_50000_rows(sim: Simulator) -> None:
    r = _get(sim, "/projects?per_page=100&page=501")
    assert r.status_code == 405 and "keyset" in r.json()["message"]


def test_keyset_pagination(sim: Simulator, gl: gitlab.Gitlab) -> None:
    r = _get(sim, "/projects?pagination=keyset&order_by=id&sort=asc&per_page=20")
    assert "x-total" not in r.headers and "x-page" not in r.headers
    assert r.headers["Link"].endswith('rel="next"') and "id_after=" in r.headers["Link"]
    got = gl.projects.list(
        iterator=True, pagination="keyset", order_by="id", sort="asc", per_page=17
    )
    assert [p.id for p in got] == sorted(sim.state.projects)
    desc = gl.projects.list(
        iterator=True, pagination="keyset", order_by="id", sort="desc", per_page=17
    )
    assert [p.id for p in desc] == sorted(sim.state.projects, reverse=True)
    assert _get(sim, "/projects?pagination=keyset&order_by=name").status_code == 405
