"""Rate-limit header modes and application limits, through HTTP as GitLab answers them."""

from __future__ import annotations

import pytest
import requests
from sim_helpers import steady

from gldash_static.simulator import OrgSpec, Simulator
from gldash_static.simulator.ratelimit import APP_LIMIT_BODY, AppLimits, RateLimiter

# Counting tests use 30 s windows, aligned to the epoch like GitLab's, on a clock that stays
# inside one (sim_helpers.steady): no window edge can fall between a test's few requests (one
# did in CI: [200, 200, 200]), and no test waits for a window to begin.
LONG = 30.0

COMMON = {
    "RateLimit-Name",
    "RateLimit-Limit",
    "RateLimit-Observed",
    "RateLimit-Remaining",
    "RateLimit-Reset",
}
THROTTLED = COMMON | {"Retry-After", "RateLimit-ResetTime"}


def _get(sim: Simulator, path: str, token: str | None = None) -> requests.Response:
    headers = {"PRIVATE-TOKEN": token or sim.token}
    return requests.get(f"{sim.url}/api/v4{path}", headers=headers, timeout=10)


def _ratelimit_headers(response: requests.Response) -> set[str]:
    return {k for k in response.headers if k.startswith("RateLimit-") or k == "Retry-After"}


def test_gitlab_com_mode_sends_headers_on_every_answer() -> None:
    with steady(
        Simulator(
            OrgSpec(projects=5),
            rate_limit_per_minute=2,
            rate_limit_window_s=LONG,
            rate_limit_headers="gitlab.com",
        )
    ) as sim:
        answers = [_get(sim, "/version") for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert _ratelimit_headers(answers[0]) == COMMON
    assert answers[1].headers["RateLimit-Remaining"] == "0"
    assert _ratelimit_headers(answers[2]) == THROTTLED
    assert answers[2].text == "Retry later"


def test_self_managed_mode_is_the_default_and_sends_headers_only_when_throttled() -> None:
    with steady(
        Simulator(OrgSpec(projects=5), rate_limit_per_minute=2, rate_limit_window_s=LONG)
    ) as sim:
        assert sim.rate_limit_headers == "self-managed"
        answers = [_get(sim, "/version") for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert _ratelimit_headers(answers[0]) == _ratelimit_headers(answers[1]) == set()
    assert _ratelimit_headers(answers[2]) == THROTTLED
    assert answers[2].headers["RateLimit-Observed"] == "3"


def test_unknown_header_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="rate_limit_headers"):
        Simulator(OrgSpec(projects=5), rate_limit_headers="gitlab")


def test_application_limit_is_a_bare_429_per_route_and_user() -> None:
    with steady(
        Simulator(
            OrgSpec(projects=5),
            rate_limit_per_minute=1000,
            rate_limit_window_s=LONG,
            rate_limit_headers="gitlab.com",
            app_limits={"GET /projects/:id": 2},
        )
    ) as sim:
        pid = next(iter(sim.state.projects))
        other = sim.user_token(sim.state.users[2].username)
        answers = [_get(sim, f"/projects/{pid}") for _ in range(3)]
        assert [r.status_code for r in answers] == [200, 200, 429]
        limited = answers[2]
        assert limited.json() == APP_LIMIT_BODY
        assert limited.headers["Content-Type"].startswith("application/json")
        # No Retry-After, and no RateLimit-* even in GitLab.com mode: its header middleware
        # leaves every 429 alone.
        assert _ratelimit_headers(limited) == set()
        assert "RateLimit-Remaining" in answers[0].headers  # the throttle's, not the limit's
        assert _get(sim, "/projects").status_code == 200  # another route: its own count
        assert _get(sim, f"/projects/{pid}", other).status_code in (200, 404)  # another user
        assert sim.counters[("GET /projects/:id", 429)] == 1


def test_application_limit_window_scales_and_opens_again() -> None:
    # 2 "a minute" scaled to 0.5 s windows: a third request waits for the next window.
    now = [1_000.0]  # the start of a window
    with steady(
        Simulator(OrgSpec(projects=5), rate_limit_window_s=0.5, app_limits={"GET /version": 2}),
        now,
    ) as sim:
        assert [_get(sim, "/version").status_code for _ in range(3)] == [200, 200, 429]
        now[0] += 0.49  # still the same window
        assert _get(sim, "/version").status_code == 429
        now[0] += 0.01  # the next one
        assert _get(sim, "/version").status_code == 200


def test_all_routes_limit_shares_one_bucket_per_user() -> None:
    with steady(
        Simulator(OrgSpec(projects=5), rate_limit_window_s=LONG, app_limits={"*": 3})
    ) as sim:
        codes = [_get(sim, path).status_code for path in ("/version", "/projects", "/groups")]
        assert codes == [200, 200, 200]
        limited = _get(sim, "/user")
        assert limited.status_code == 429 and limited.json() == APP_LIMIT_BODY
        sim.set_app_limits(None)
        assert _get(sim, "/user").status_code == 200


def test_windows_are_aligned_to_the_epoch() -> None:
    now = [119.5]
    limiter = RateLimiter(1, 60.0, headers="gitlab.com", clock=lambda: now[0])
    assert limiter.hit("t")[0]
    allowed, headers = limiter.hit("t")
    assert not allowed
    assert headers["Retry-After"] == "1" and headers["RateLimit-Reset"] == "120"
    now[0] = 120.0  # Rack::Attack's next period: the count starts again
    assert limiter.hit("t")[0]
    limits = AppLimits({"GET /x": 1}, 60.0, clock=lambda: now[0])
    assert limits.allows("GET /x", "u") and not limits.allows("GET /x", "u")
    now[0] = 180.0
    assert limits.allows("GET /x", "u")
