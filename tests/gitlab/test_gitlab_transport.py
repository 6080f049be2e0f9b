"""ResilientAdapter against a scripted network on a fake clock: retries, 429s, breaker, reads.

The adapter's own base class is replaced by a script (see `Adapter`), so every path of
`send` runs without a server and without sleeping.
"""

from __future__ import annotations

import email.utils
import io
from collections.abc import Callable
from typing import Any

import pytest
import requests
from gitlab_fakes import FakeTime
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from gldash_static.errors import FetchError
from gldash_static.gitlab import CircuitOpenError, adaptive, transport
from gldash_static.gitlab.pacing import CircuitBreaker, Pacer
from gldash_static.gitlab.transport import (
    RequestStats,
    ResilientAdapter,
    ResponseTooLarge,
    endpoint_of,
    read_bounded,
)

NOW = 1_700_000_000.0
URL = "https://gitlab.example.com/api/v4/projects/7/pipelines"
Answer = Callable[[requests.PreparedRequest], requests.Response] | BaseException


def answer(
    status: int = 200, body: bytes = b'{"ok": true}', headers: dict[str, str] | None = None
) -> Callable[[requests.PreparedRequest], requests.Response]:
    """A response as the network would hand it over: headers, and a body still to read."""

    def make(request: requests.PreparedRequest) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(
            {"Content-Type": "application/json", **(headers or {})}
        )
        response.raw = io.BytesIO(body)
        response.request = request
        response.url = request.url or ""
        return response

    return make


class Network(HTTPAdapter):
    """Stands in for the real HTTPAdapter: answers from a script, the last one repeating."""

    time: FakeTime
    script: list[Answer]
    sent: list[float]

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(self.time.now)
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, BaseException):
            raise item
        return item(request)


class Adapter(ResilientAdapter, Network):
    """ResilientAdapter whose `super().send` is the scripted network."""


def adapter(time: FakeTime, script: list[Answer], retries: int = 3, breaker: int = 25) -> Adapter:
    pacer = Pacer(4, clock=time.clock, sleep=time.sleep)
    made = Adapter(RequestStats(), pacer, CircuitBreaker(breaker), retries, sleep=time.sleep)
    made.time, made.script, made.sent = time, list(script), []
    return made


def get(made: Adapter, url: str = URL) -> requests.Response:
    return made.send(requests.Request("GET", url).prepare())


BARE_429 = answer(429, b'{"message": "429 Too Many Requests"}')


# -- retries -----------------------------------------------------------------------------


def test_server_errors_are_retried_until_an_answer() -> None:
    made = adapter(FakeTime(NOW), [answer(500), answer(502), answer(503), answer(200)])
    assert get(made).status_code == 200
    assert len(made.sent) == 4 and made.stats.retries == 3
    assert made.stats.calls[endpoint_of("GET", URL)] == 4  # every attempt is counted


def test_a_server_error_that_persists_is_handed_back_after_the_retries() -> None:
    made = adapter(FakeTime(NOW), [answer(502)], retries=3)
    assert get(made).status_code == 502  # python-gitlab turns it into an API error
    assert len(made.sent) == 1 + 3


@pytest.mark.parametrize("error", [requests.ConnectionError("reset"), requests.ReadTimeout("slow")])
def test_connection_failures_are_retried_then_raised(error: BaseException) -> None:
    recovered = adapter(FakeTime(NOW), [error, error, answer(200)])
    assert get(recovered).status_code == 200
    failing = adapter(FakeTime(NOW), [error], retries=2)
    with pytest.raises(type(error)):
        get(failing)
    assert len(failing.sent) == 3


def test_a_cut_off_json_body_is_retried() -> None:
    made = adapter(FakeTime(NOW), [answer(body=b'{"id": 1, "na'), answer(body=b'{"id": 1}')])
    assert get(made).json() == {"id": 1}
    assert made.stats.retries == 1


def test_a_body_that_is_not_json_is_not_judged_as_json() -> None:
    text = answer(body=b"plain text, no brace", headers={"Content-Type": "text/plain"})
    made = adapter(FakeTime(NOW), [text])
    assert get(made).text == "plain text, no brace" and len(made.sent) == 1


def test_backoff_is_jittered_grows_and_is_capped() -> None:
    time = FakeTime(NOW)
    made = adapter(time, [answer(503)], retries=40, breaker=1000)
    get(made)
    caps = [min(10.0, made.backoff_s * 2**attempt) for attempt in range(40)]
    assert len(time.slept) == 40
    assert all(0 <= slept <= cap for slept, cap in zip(time.slept, caps, strict=True))
    assert len(set(time.slept)) > 30  # jittered: workers failing together spread out
    assert max(time.slept) > 2.0  # and it does grow beyond the first steps


# -- 429s --------------------------------------------------------------------------------


def test_retry_after_holds_the_next_attempt_back() -> None:
    made = adapter(FakeTime(NOW), [answer(429, headers={"Retry-After": "7"}), answer(200)])
    assert get(made).status_code == 200
    assert made.sent[1] - made.sent[0] >= 7
    assert made.stats.rate_limited == 1


def test_retry_after_as_an_http_date_is_honoured() -> None:
    later = email.utils.formatdate(NOW + 20, usegmt=True)
    made = adapter(FakeTime(NOW), [answer(429, headers={"Retry-After": later}), answer(200)])
    get(made)
    assert made.sent[1] >= NOW + 20


def test_ratelimit_reset_is_honoured_without_retry_after() -> None:
    reset = {"RateLimit-Reset": str(int(NOW) + 20), "RateLimit-Remaining": "0"}
    made = adapter(FakeTime(NOW), [answer(429, headers=reset), answer(200)])
    get(made)
    assert made.sent[1] >= NOW + 20


def test_429s_with_retry_after_are_waited_out_but_not_forever() -> None:
    made = adapter(FakeTime(NOW), [answer(429, headers={"Retry-After": "1"})])
    assert get(made).status_code == 429
    assert len(made.sent) == transport.MAX_RATE_LIMITED_RETRIES + 1
    assert not made.breaker.opened  # being told to wait is not a failure


def test_a_429_is_not_a_failure_of_the_breaker() -> None:
    made = adapter(
        FakeTime(NOW),
        [BARE_429, BARE_429, answer(429, headers={"Retry-After": "1"}), answer(200)],
        breaker=1,
    )
    assert get(made).status_code == 200
    assert not made.breaker.opened and made.stats.rate_limited == 3


def test_only_bare_429s_for_the_stall_time_open_the_breaker_with_one_clear_error() -> None:
    time = FakeTime(NOW)
    made = adapter(time, [BARE_429])
    with pytest.raises(CircuitOpenError, match="only HTTP 429") as caught:
        get(made)
    assert "GET /projects/:id/pipelines" in str(caught.value)
    assert time.now - NOW >= adaptive.STALL_S
    sent = len(made.sent)
    assert sent < 100  # backoff: a few probes over those minutes, not a hammering
    with pytest.raises(CircuitOpenError):
        get(made)
    assert len(made.sent) == sent  # an open breaker sends nothing


# -- the breaker -------------------------------------------------------------------------


def test_the_breaker_counts_every_failed_attempt_and_stops_the_run() -> None:
    made = adapter(FakeTime(NOW), [answer(500)], retries=10, breaker=4)
    with pytest.raises(CircuitOpenError, match="HTTP 500") as caught:
        get(made)
    assert isinstance(caught.value, FetchError)  # shown as one line, no traceback
    assert len(made.sent) == 4  # each retry counts: the breaker opened before the retries ran out
    with pytest.raises(CircuitOpenError):
        get(made, URL.replace("pipelines", "branches"))
    assert len(made.sent) == 4


def test_a_success_ends_the_breakers_streak() -> None:
    script: list[Answer] = [answer(500), answer(500), answer(200)] * 5
    made = adapter(FakeTime(NOW), script, retries=5, breaker=3)
    for _ in range(5):
        assert get(made).status_code == 200
    assert not made.breaker.opened


# -- bounded reads -----------------------------------------------------------------------


class SlowBody(io.BytesIO):
    """A body whose every chunk takes `seconds` on the fake clock."""

    def __init__(self, body: bytes, time: FakeTime, seconds: float) -> None:
        super().__init__(body)
        self.time, self.seconds = time, seconds

    def read(self, size: int | None = -1) -> bytes:
        self.time.now += self.seconds
        return super().read(size)


def _response(body: io.BytesIO, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.headers = CaseInsensitiveDict(headers or {})
    response.raw = body
    return response


def test_a_body_within_the_limits_is_read_whole() -> None:
    body = b"[" + b"1," * 100_000 + b"1]"
    response = _response(io.BytesIO(body))
    read_bounded(response)
    assert response.content == body


def test_a_declared_length_over_the_limit_is_refused_unread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(transport, "MAX_BODY_BYTES", 1000)
    raw = io.BytesIO(b"x" * 5000)
    with pytest.raises(ResponseTooLarge, match="5,000 bytes"):
        read_bounded(_response(raw, {"Content-Length": "5000"}))
    assert raw.closed or raw.tell() == 0


def test_an_undeclared_body_over_the_limit_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "MAX_BODY_BYTES", 100_000)
    with pytest.raises(ResponseTooLarge):
        read_bounded(_response(io.BytesIO(b"x" * 300_000)))


def test_a_body_trickling_in_past_the_time_bound_is_cut_off() -> None:
    time = FakeTime(0.0)
    chunk_s = transport.MAX_BODY_SECONDS / 3  # every chunk alone is within any read timeout
    body = SlowBody(b"x" * (5 << 16), time, chunk_s)
    with pytest.raises(ResponseTooLarge):
        read_bounded(_response(body), clock=time.clock)
    assert time.now <= transport.MAX_BODY_SECONDS + 2 * chunk_s  # stopped soon after the bound


def test_a_huge_answer_is_one_error_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "MAX_BODY_BYTES", 1000)
    made = adapter(FakeTime(NOW), [answer(body=b"[" + b"1," * 5000 + b"1]")])
    with pytest.raises(ResponseTooLarge):
        get(made)
    assert len(made.sent) == 1  # the same request would bring the same answer


# -- endpoint_of and the server clock ------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("/projects/7/pipelines/100", "/projects/acme%2Fweb/pipelines/2"),
        ("/projects/7/jobs/31", "/projects/8/jobs/32"),
        ("/projects/7/repository/branches/main", "/projects/7/repository/branches/feat%2Fx"),
        ("/groups/acme/projects?page=2", "/groups/12/projects"),
        ("/projects/7/merge_requests/3", "/projects/9/merge_requests/11"),
    ],
)
def test_requests_to_one_route_share_an_endpoint_class(one: str, other: str) -> None:
    base = "https://gitlab.example.com/api/v4"
    assert endpoint_of("GET", base + one) == endpoint_of("GET", base + other)
    assert "7" not in endpoint_of("GET", base + one).split("/")  # no id in a class name


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("/projects/7/pipelines", "/projects/7/pipelines/100"),
        ("/projects/7/pipelines", "/projects/7/merge_requests"),
        ("/groups/7/projects", "/projects/7"),
        ("/projects/7/jobs/31", "/projects/7/jobs/artifacts/main/download"),
    ],
)
def test_different_routes_are_different_classes(one: str, other: str) -> None:
    base = "https://gitlab.example.com/api/v4"
    assert endpoint_of("GET", base + one) != endpoint_of("GET", base + other)


def test_artifacts_by_ref_are_named_as_gitlab_documents_the_route() -> None:
    # The class names a route in the breaker's message: "artifacts" is not a job id there.
    route = "https://gitlab.example.com/api/v4/projects/7/jobs/artifacts/main/download"
    assert endpoint_of("GET", route).startswith("GET /projects/:id/jobs/artifacts/")


def test_method_and_graphql_name_their_own_classes() -> None:
    assert endpoint_of("POST", URL) != endpoint_of("GET", URL)
    graphql = endpoint_of("POST", "https://gitlab.example.com/api/graphql")
    assert graphql == endpoint_of("POST", "https://gitlab.example.com/api/graphql?x=1")
    assert graphql != endpoint_of("POST", URL)


def test_the_server_clock_comes_from_date_headers_with_a_zone() -> None:
    stats = RequestStats()
    stats.saw_date({"Date": "Tue, 14 Nov 2023 22:13:20 +0100"})  # not GMT, but a zone
    stats.saw_date({"Date": "yesterday"})
    stats.saw_date({"Date": "Tue, 14 Nov 2023 20:13:20 -0000"})  # RFC 2822: zone unknown
    stats.saw_date({})
    assert stats.server_time_first == NOW - 3600 and stats.server_time_last == NOW - 3600
