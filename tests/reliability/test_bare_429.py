"""`gldash build` against a self-managed GitLab with application limits: bare 429s, no headers.

Application limits (`check_rate_limit!`) answer 429 with a JSON body and neither
Retry-After nor RateLimit-*; a self-managed instance sends RateLimit-* only with its own
throttle's 429s. The fetch must still end with a clean fetch's data, and an instance that
answers nothing but 429s must end the run with one clear error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import (
    TOKEN,
    assert_one_clear_error,
    clean_fetch,
    comparable,
    grant_token,
    make_workspace,
    read_snapshot,
)

from gldash_static.gitlab import adaptive
from gldash_static.simulator import OrgSpec, Reply, Simulator
from gldash_static.simulator.ratelimit import APP_LIMIT_BODY

EVERY_VISIBILITY = "    visibility: [public, internal, private]\n"
# "Per minute" limits scaled to half-second windows, so the fetch meets them several times in
# a couple of seconds: the busiest routes of this organisation's fetch (about 170 requests).
APP_LIMITS = {
    "GET /projects/:id/pipelines/:pipeline_id": 24,
    "GET /projects/:id/pipelines": 6,
    "GET /projects/:id/repository/branches": 6,
    "GET /groups/:id/projects": 600,  # GitLab.com's own limit: never reached here
}


def test_bare_429s_end_with_the_data_of_a_clean_fetch(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Simulator(
        OrgSpec(projects=30, seed=4, pipelines_per_project=6),
        rate_limit_per_minute=60,  # the throttle: its 429s carry Retry-After and RateLimit-*
        rate_limit_window_s=0.5,
        rate_limit_headers="self-managed",
        app_limits=APP_LIMITS,
    ) as sim:
        grant_token(sim)
        monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
        ws = make_workspace(sim, tmp_path / "ws", source=EVERY_VISIBILITY)
        result = run_cli("build", "-c", str(ws.config_path), "--quiet")
        assert result.code == 0, result.err
        assert "Traceback" not in result.err
        assert sim.app_limited > 0  # bare 429s really came (the throttle's come with headers)
        sim.set_app_limits(None)
        sim.set_rate_limit(None)
        reference = clean_fetch(ws.config())
    snapshot = read_snapshot(ws.snapshot)
    projects = snapshot["sources"][0]["projects"]
    assert len(projects) >= 20
    assert not [p["path_with_namespace"] for p in projects if p["stale"]]
    assert snapshot["fetch"]["rate_limited"] > 0
    assert snapshot["fetch"]["errors"] == []
    assert comparable(snapshot) == comparable(reference)


def test_only_429s_end_the_run_with_one_clear_error(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adaptive, "STALL_S", 0.5)  # GitLab's patience is 15 minutes
    with Simulator(OrgSpec(projects=10, seed=4)) as sim:
        grant_token(sim)
        monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
        ws = make_workspace(sim, tmp_path / "ws")
        sim.on_request(lambda template, path, query: Reply(APP_LIMIT_BODY, status=429))
        result = run_cli("build", "-c", str(ws.config_path), "--quiet")
    assert result.code == 1, result.err
    assert_one_clear_error(result.err, "429")
    assert not ws.snapshot.exists()
