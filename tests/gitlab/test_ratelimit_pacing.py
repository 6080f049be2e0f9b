"""Pacing by bare 429s (no Retry-After, no RateLimit-*), on a fake clock: no test sleeps."""

from __future__ import annotations

import math
import random

import pytest
from gitlab_fakes import FakeTime

from gldash_static.gitlab import adaptive
from gldash_static.gitlab.adaptive import ClassPacer, ClassState, Ticket
from gldash_static.gitlab.pacing import CircuitBreaker, is_bare_429


def _pacer(time: FakeTime, seed: int = 1, stall_s: float | None = None) -> ClassPacer:
    return ClassPacer(time.clock, time.sleep, random.Random(seed), stall_s)


def _fetch_against_window(
    limit: int, window_s: float, requests: int, service_s: float
) -> tuple[float, int]:
    """Send `requests` answers' worth through a fixed-window limiter; (wall, 429s)."""
    time = FakeTime()
    pacer = _pacer(time)
    counts: dict[int, int] = {}
    done = limited = 0
    while done < requests:
        ticket = pacer.acquire("GET /projects/:id")
        time.now += service_s
        window = math.floor(time.now / window_s)
        counts[window] = counts.get(window, 0) + 1
        if counts[window] > limit:
            limited += 1
            assert pacer.limited(ticket)  # never a failure while windows keep opening
        else:
            done += 1
            pacer.succeeded(ticket)
    return time.now - 1000.3, limited


@pytest.mark.parametrize(
    ("limit", "window_s", "requests", "service_s"),
    [(2000, 6.0, 18_500, 0.002), (400, 60.0, 3000, 0.01), (10, 1.0, 200, 0.01)],
)
def test_converges_near_the_limit_without_hammering(
    limit: int, window_s: float, requests: int, service_s: float
) -> None:
    wall, limited = _fetch_against_window(limit, window_s, requests, service_s)
    # At the limit the requests need (requests / limit) windows; learning may cost a fraction.
    at_limit = requests / limit * window_s
    assert wall <= 1.5 * at_limit
    # Each window ends in one 429, then a few probes while the backoff doubles (log2 of
    # BACKOFF_MAX_S / BACKOFF_BASE_S is about 8): never a 429 for every request held back.
    windows = math.ceil(requests / limit)
    assert limited <= 10 * windows + 5


def test_rate_is_halved_once_per_event_not_per_429_in_flight() -> None:
    state = ClassState()
    for t in range(100):  # 20 successes a second for 5 s
        state.admit(t / 20)
        state.succeeded(t / 20, Ticket("GET /x", t / 20))
    in_flight = [Ticket("GET /x", 4.96 + i / 1000) for i in range(8)]
    for ticket in in_flight:
        state.limited(5.0, ticket, jitter=0.5)
    assert state.streak == 1
    assert state.rate == pytest.approx(10, rel=0.1)  # half the measured 20 a second
    assert state.blocked_until == pytest.approx(5.0 + 0.5 * adaptive.BACKOFF_BASE_S)


def test_backoff_doubles_with_full_jitter_up_to_the_cap() -> None:
    state = ClassState()
    caps = []
    now = 0.0
    for _ in range(12):
        _delay, probe = state.admit(state.blocked_until)
        now = state.blocked_until
        state.limited(now, Ticket("GET /x", now, probe), jitter=0.999)
        caps.append(round(state.blocked_until - now, 2))
    assert caps[:4] == [0.25, 0.5, 1.0, 2.0]
    assert max(caps) == pytest.approx(adaptive.BACKOFF_MAX_S, rel=0.01)
    assert state.rate is None  # nothing measured yet: backoff alone paces the class


def test_one_probe_at_a_time_after_a_backoff() -> None:
    state = ClassState()
    state.admit(0.0)
    state.limited(0.0, Ticket("GET /x", 0.0), jitter=0.0)
    delay, probe = state.admit(0.0)
    assert (delay, probe) == (0.0, True)
    assert state.admit(0.01) == (adaptive.POLL_S, False)  # the others wait for its answer
    state.succeeded(0.02, Ticket("GET /x", 0.0, probe=True))
    assert state.admit(0.02)[0] == 0.0 and not state.probing


def test_success_grows_the_rate_additively() -> None:
    busy = ClassState(rate=100.0)  # 5 % a second: GROWTH per success, 100 successes a second
    for i in range(100):
        busy.succeeded(i / 100, Ticket("GET /x", i / 100))
    assert busy.rate == pytest.approx(100.0 + 100 * adaptive.GROWTH)
    slow = ClassState(rate=2.0)  # at least MIN_GROWTH_S more each second of sending
    for i in range(4):
        slow.succeeded(i / 2, Ticket("GET /x", i / 2))
    assert slow.rate is not None and slow.rate >= 2.0 + 2 * adaptive.MIN_GROWTH_S - 0.5


def test_classes_are_paced_independently() -> None:
    time = FakeTime()
    pacer = _pacer(time)
    ticket = pacer.acquire("GET /projects/:id")
    pacer.limited(ticket)
    assert pacer.state("GET /projects/:id").probing
    before = time.now
    pacer.acquire("GET /groups/:id/projects")
    assert time.now == before  # another class did not wait


def test_a_class_that_only_gets_429s_stalls_and_stops() -> None:
    time = FakeTime()
    pacer = _pacer(time, stall_s=30.0)
    attempts = 0
    while True:
        attempts += 1
        if not pacer.limited(pacer.acquire("GET /x")):
            break
    assert 30.0 <= time.now - 1000.3 <= 30.0 + adaptive.BACKOFF_MAX_S
    assert attempts < 40  # exponential backoff: a handful of probes, not a hammering


def test_released_probe_lets_the_next_one_go() -> None:
    time = FakeTime()
    pacer = _pacer(time)
    pacer.limited(pacer.acquire("GET /x"))
    probe = pacer.acquire("GET /x")
    assert probe.probe
    pacer.released(probe)  # e.g. a timeout: it says nothing about the limit
    assert pacer.acquire("GET /x").probe


def test_bare_429_is_one_without_retry_after_or_reset() -> None:
    assert is_bare_429({})
    assert is_bare_429({"Content-Type": "application/json", "Retry-After": " "})
    assert not is_bare_429({"Retry-After": "7"})
    assert not is_bare_429({"RateLimit-Reset": "1700000000"})


def test_breaker_trip_opens_at_once() -> None:
    breaker = CircuitBreaker(25)
    breaker.trip("only HTTP 429")
    assert breaker.opened and breaker.last_failure == "only HTTP 429"
