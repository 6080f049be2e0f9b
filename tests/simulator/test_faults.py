"""Injected faults, rate limiting and python-gitlab's reaction to them."""

from __future__ import annotations

import http.client
import json
import time

import gitlab
import pytest
import requests
from sim_helpers import client, steady

from gldash_static.simulator import Faults, OrgSpec, Simulator


def _get(sim: Simulator, path: str, timeout: float = 10) -> requests.Response:
    return requests.get(
        f"{sim.url}/api/v4{path}", headers={"PRIVATE-TOKEN": sim.token}, timeout=timeout
    )


def test_errors_and_python_gitlab_retries(
    fresh_sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh_sim.set_faults(Faults(error_rate=1.0, seed=1))
    statuses = {_get(fresh_sim, "/projects").status_code for _ in range(30)}
    assert statuses == {500, 502, 503}
    fresh_sim.set_faults(Faults(error_rate=0.5, seed=1))
    # python-gitlab's backoff between retries is recorded, not slept through.
    waits: list[float] = []
    monkeypatch.setattr("gitlab.utils.time.sleep", waits.append)
    gl = client(fresh_sim, retry_transient_errors=True)
    got = gl.projects.list(get_all=True, per_page=5, max_retries=30)
    assert len(got) == len(fresh_sim.state.projects)
    counts = fresh_sim.counters
    failed = sum(n for (route, s), n in counts.items() if s >= 500)
    assert failed > 30 and len(waits) == failed - 30  # every retry after a 5xx waited first


def test_faults_per_route_pattern(fresh_sim: Simulator) -> None:
    pid = next(iter(fresh_sim.state.projects))
    fresh_sim.set_faults(Faults(routes={"GET /projects/:id/pipelines": Faults(error_rate=1.0)}))
    assert _get(fresh_sim, f"/projects/{pid}").status_code == 200
    assert _get(fresh_sim, f"/projects/{pid}/pipelines").status_code >= 500
    fresh_sim.set_faults(Faults(routes={f"/api/v4/projects/{pid}": Faults(error_rate=1.0)}))
    assert _get(fresh_sim, f"/projects/{pid}").status_code >= 500
    assert _get(fresh_sim, f"/projects/{pid}/pipelines").status_code == 200


def test_latency_and_jitter(fresh_sim: Simulator) -> None:
    fresh_sim.set_faults(Faults(latency_ms=150, jitter_ms=20))
    start = time.monotonic()
    _get(fresh_sim, "/version")
    assert 0.12 <= time.monotonic() - start < 2


def test_stall_exceeds_client_timeout(fresh_sim: Simulator) -> None:
    fresh_sim.set_faults(Faults(stall_rate=1.0, stall_s=3))
    with pytest.raises(requests.exceptions.ReadTimeout):
        _get(fresh_sim, "/version", timeout=0.3)


def test_connection_reset(fresh_sim: Simulator) -> None:
    fresh_sim.set_faults(Faults(reset_rate=1.0))
    with pytest.raises(requests.exceptions.ConnectionError):
        _get(fresh_sim, "/version")
    assert fresh_sim.counters[("GET /version", 0)] == 1


def test_truncated_body_short_length(fresh_sim: Simulator) -> None:
    fresh_sim.set_faults(Faults(truncate_rate=1.0, truncate_mode="short"))
    r = _get(fresh_sim, "/projects")
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    with pytest.raises(gitlab.GitlabParsingError):
        client(fresh_sim).projects.list(get_all=False)


def test_truncated_body_full_length(fresh_sim: Simulator) -> None:
    fresh_sim.set_faults(Faults(truncate_rate=1.0, truncate_mode="full"))
    conn = http.client.HTTPConnection("127.0.0.1", fresh_sim.port, timeout=5)
    conn.request("GET", "/api/v4/projects", headers={"PRIVATE-TOKEN": fresh_sim.token})
    resp = conn.getresponse()
    with pytest.raises(http.client.IncompleteRead):
        resp.read()
    conn.close()
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _get(fresh_sim, "/projects")


def test_token_revoked_after_n_requests(fresh_sim: Simulator) -> None:
    fresh_sim.set_faults(Faults(revoke_after=3))
    codes = [_get(fresh_sim, "/version").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 401, 401]


def test_server_down_refuses(fresh_sim: Simulator) -> None:
    url = fresh_sim.url
    fresh_sim.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{url}/api/v4/version", timeout=2)


def test_rate_limit_headers_and_429() -> None:
    # A 30 s window aligned to the epoch, on a clock that stays inside one (see test_ratelimit).
    with steady(
        Simulator(
            OrgSpec(projects=10),
            rate_limit_per_minute=3,
            rate_limit_window_s=30,
            rate_limit_headers="gitlab.com",
        )
    ) as sim:
        rs = [_get(sim, "/version") for _ in range(4)]
        assert [r.status_code for r in rs] == [200, 200, 200, 429]
        first, limited = rs[0].headers, rs[3]
        # GitLab scales RateLimit-Limit to 60 s: 3 per 30 s is sent as 6.
        assert first["RateLimit-Limit"] == "6" and first["RateLimit-Remaining"] == "2"
        assert first["RateLimit-Name"] == "throttle_authenticated_api"
        assert {"RateLimit-Observed", "RateLimit-Reset"} <= set(first)
        assert limited.text == "Retry later"
        assert limited.headers["Content-Type"].startswith("text/plain")
        assert 1 <= int(limited.headers["Retry-After"]) <= 30


def test_python_gitlab_obeys_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # python-gitlab is asked to wait Retry-After (at least 1 s, as GitLab says); it really
    # waits one short window instead, which is all the limit below needs to open again.
    window = 0.25
    waits: list[float] = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        real_sleep(window)

    monkeypatch.setattr("gitlab.utils.time.sleep", sleep)
    with Simulator(
        OrgSpec(projects=30), rate_limit_per_minute=4, rate_limit_window_s=window
    ) as sim:
        gl = client(sim)
        projects = gl.projects.list(get_all=True, per_page=3)  # 10 requests, 4 per window
        assert len(projects) == 30
        assert waits and all(w >= 1 for w in waits), waits
        assert sim.counters[("GET /projects", 429)] == len(waits)
        assert sim.counters[("GET /projects", 200)] == 10
