"""The simulator options that play a differently set-up GitLab: external URL, page size, hooks."""

from __future__ import annotations

import requests

from gldash_static.simulator import OrgSpec, Reply, Simulator


def test_links_name_the_external_url_and_pages_shrink_to_max_per_page() -> None:
    with Simulator(
        OrgSpec(projects=20, seed=3), external_url="https://gitlab.example.com/", max_per_page=4
    ) as sim:
        r = requests.get(
            f"{sim.url}/api/v4/projects",
            params={"per_page": 100},
            headers={"PRIVATE-TOKEN": sim.token},
            timeout=5,
        )
    assert r.status_code == 200 and len(r.json()) == 4
    assert r.headers["X-Per-Page"] == "4"
    assert r.links["next"]["url"].startswith("https://gitlab.example.com/api/v4/projects?")
    assert "per_page=4" in r.links["next"]["url"]


def test_a_hook_that_returns_a_reply_answers_the_request() -> None:
    moved = Reply(b"", status=302, headers={"Location": "http://127.0.0.2:9/x?sig=1"})
    with Simulator(OrgSpec(projects=5, seed=3)) as sim:
        sim.on_request(lambda template, path, query: moved if template == "GET /version" else None)
        redirected = requests.get(f"{sim.url}/api/v4/version", allow_redirects=False, timeout=5)
        other = requests.get(
            f"{sim.url}/api/v4/user", headers={"PRIVATE-TOKEN": sim.token}, timeout=5
        )
        counted = sim.counters
    assert redirected.status_code == 302
    assert redirected.headers["Location"] == "http://127.0.0.2:9/x?sig=1"
    assert other.status_code == 200  # a hook answering None lets the simulator answer
    assert counted[("GET /version", 302)] == 1
