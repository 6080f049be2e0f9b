"""Pacing by RateLimit-* and Retry-After, and the circuit breaker, on a fake clock."""

from __future__ import annotations

import email.utils

import pytest
from gitlab_fakes import FakeTime

from gldash_static.gitlab.pacing import CircuitBreaker, Pacer, retry_after_seconds

NOW = 1_700_000_000.0  # Unix time, as RateLimit-Reset counts it
RESERVE = 2


def _pacer(time: FakeTime) -> Pacer:
    return Pacer(RESERVE, clock=time.clock, sleep=time.sleep)


def _window(remaining: int, reset: float) -> dict[str, str]:
    return {"RateLimit-Remaining": str(remaining), "RateLimit-Reset": str(int(reset))}


def test_without_rate_limit_headers_nothing_waits() -> None:
    time = FakeTime(NOW)
    pacer = _pacer(time)
    pacer.observe({"Content-Type": "application/json"})
    pacer.observe({"RateLimit-Remaining": "many", "RateLimit-Reset": "soon"})  # not numbers
    for _ in range(50):
        pacer.wait()
    assert time.slept == []


def test_a_spent_window_waits_for_its_reset_and_not_longer() -> None:
    time = FakeTime(NOW)
    pacer = _pacer(time)
    pacer.observe(_window(RESERVE, NOW + 10))
    pacer.wait()
    assert NOW + 10 <= time.now <= NOW + 11


def test_requests_in_flight_count_against_the_window() -> None:
    # Workers send before the answers that would lower Remaining arrive: the pacer counts
    # them itself, so the reserve is kept even when no answer has come back yet.
    time = FakeTime(NOW)
    pacer = _pacer(time)
    pacer.observe(_window(RESERVE + 3, NOW + 30))
    sent_at = []
    for _ in range(5):
        pacer.wait()
        sent_at.append(time.now)
    assert sent_at[:3] == [NOW] * 3
    assert sent_at[3] >= NOW + 30  # the fourth waits for the new window...
    assert sent_at[4] == sent_at[3]  # ...which, with nothing known of it yet, is open


def test_a_late_answer_from_the_previous_window_does_not_refill_it() -> None:
    time = FakeTime(NOW)
    pacer = _pacer(time)
    pacer.observe(_window(RESERVE + 1, NOW + 30))
    pacer.observe(_window(500, NOW - 30))  # sent before the window turned, answered after
    pacer.wait()
    pacer.wait()
    assert time.now >= NOW + 30


def test_a_lower_remaining_of_the_same_window_is_believed() -> None:
    time = FakeTime(NOW)
    pacer = _pacer(time)
    pacer.observe(_window(100, NOW + 30))
    pacer.observe(_window(RESERVE, NOW + 30))  # other workers spent it meanwhile
    pacer.wait()
    assert time.now >= NOW + 30


def test_a_window_that_opens_early_releases_waiting_workers_within_seconds() -> None:
    time = FakeTime(NOW)

    def sleep(seconds: float) -> None:
        time.sleep(seconds)
        pacer.observe(_window(400, NOW + 120))  # another worker's answer: a fresh window

    pacer = Pacer(RESERVE, clock=time.clock, sleep=sleep)
    pacer.observe(_window(0, NOW + 60))
    pacer.wait()
    assert time.now - NOW <= 5.0


def test_retry_after_holds_back_even_when_headers_say_there_is_room() -> None:
    time = FakeTime(NOW)
    pacer = _pacer(time)
    pacer.block_for(7)
    pacer.block_for(2)  # a shorter Retry-After from another worker does not shorten it
    pacer.observe(_window(400, NOW + 60))
    pacer.wait()
    assert time.now >= NOW + 7
    pacer.wait()
    assert time.now < NOW + 8  # and once it has passed, requests flow again


def test_a_429_spends_the_window_earlier_answers_said_had_room() -> None:
    time = FakeTime(NOW)
    pacer = _pacer(time)
    pacer.observe(_window(400, NOW + 60))
    pacer.block_for(0)  # a 429 whose Retry-After says "now": yet the window is spent
    pacer.wait()
    assert time.now >= NOW + 60


def test_the_pacer_tells_time_by_its_own_clock() -> None:
    time = FakeTime(NOW)
    assert _pacer(time).now() == NOW


# -- retry_after_seconds ---------------------------------------------------------------


def _http_date(moment: float) -> str:
    return email.utils.formatdate(moment, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": " 7 "}, 7.0),
        ({"Retry-After": _http_date(NOW + 30)}, 30.0),
        ({"Retry-After": _http_date(NOW - 30)}, 0.0),  # already past: go now
        ({"RateLimit-Reset": str(int(NOW) + 12)}, 12.0),
        ({"RateLimit-Reset": str(int(NOW) - 12)}, 0.0),
        ({"Retry-After": "3", "RateLimit-Reset": str(int(NOW) + 40)}, 3.0),  # the 429's own
        ({"Retry-After": "soon", "RateLimit-Reset": str(int(NOW) + 9)}, 9.0),
    ],
)
def test_retry_after_seconds(headers: dict[str, str], wait: float) -> None:
    assert retry_after_seconds(headers, NOW) == pytest.approx(wait)


@pytest.mark.parametrize("headers", [{}, {"Retry-After": "soon"}, {"Retry-After": "-5"}])
def test_a_429_that_says_nothing_usable_waits_a_moment(headers: dict[str, str]) -> None:
    # Never 0 (that would hammer the server), never long (nothing says it must be).
    assert 0 < retry_after_seconds(headers, NOW) <= 5


# -- CircuitBreaker ----------------------------------------------------------------------


def test_breaker_opens_after_threshold_consecutive_failures_not_before() -> None:
    breaker = CircuitBreaker(3)
    breaker.failure("HTTP 502")
    breaker.failure("connection failed")
    assert not breaker.opened
    breaker.failure("request timed out")
    assert breaker.opened and breaker.last_failure == "request timed out"


def test_a_success_ends_the_failure_streak() -> None:
    breaker = CircuitBreaker(3)
    for _ in range(10):
        breaker.failure("HTTP 502")
        breaker.failure("HTTP 502")
        breaker.success()
    assert not breaker.opened


def test_an_open_breaker_stays_open() -> None:
    breaker = CircuitBreaker(1)
    breaker.failure("HTTP 500")
    breaker.success()  # a request in flight when it opened
    assert breaker.opened
