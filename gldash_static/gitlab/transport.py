"""A requests adapter that owns retries, pacing, request counting and the circuit breaker."""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from gldash_static.errors import FetchError
from gldash_static.gitlab.adaptive import Ticket
from gldash_static.gitlab.pacing import CircuitBreaker, Pacer, is_bare_429, retry_after_seconds
from gldash_static.gitlab.server_clock import ServerClock

TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
MAX_RATE_LIMITED_RETRIES = 60  # 429s with Retry-After are waited out, but never forever

_ID_AFTER = {
    "projects": ":id",
    "groups": ":id",
    "pipelines": ":pipeline_id",
    "jobs": ":job_id",
    "merge_requests": ":merge_request_iid",
    "branches": ":branch",
    "commits": ":sha",
    "pipeline_schedules": ":schedule_id",
    "users": ":user_id",
}


def endpoint_of(method: str, url: str) -> str:
    """Route template of a request, e.g. 'GET /projects/:id/pipelines/:pipeline_id'."""
    path = urlsplit(url).path
    if "/api/v4" in path:
        path = path.split("/api/v4", 1)[1]
    parts = [p for p in path.split("/") if p]
    out: list[str] = []
    for index, part in enumerate(parts):
        previous = parts[index - 1] if index else ""
        if previous in _ID_AFTER and not (previous == "jobs" and part == "artifacts"):
            out.append(_ID_AFTER[previous])
        else:
            out.append(unquote(part) if part.isascii() and part.isidentifier() else ":value")
    return f"{method} /" + "/".join(out)


class CircuitOpenError(FetchError):
    """The circuit breaker is open: the fetch has stopped asking GitLab."""


class TransientResponseError(Exception):
    """A response that arrived but cannot be used (cut-off JSON)."""


class RequestStats:
    """Counts of requests by endpoint, retries, 429s and the server's own clock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.retries = 0
        self.rate_limited = 0
        self.server_clock = ServerClock()

    def count(self, endpoint: str) -> None:
        """One request was sent."""
        with self._lock:
            self.calls[endpoint] += 1

    def retried(self, rate_limited: bool) -> None:
        """A request is about to be repeated."""
        with self._lock:
            self.retries += 1
            if rate_limited:
                self.rate_limited += 1

    def saw_date(self, headers: Mapping[str, str]) -> None:
        """Track the server's clock from the Date header (immune to runner clock skew)."""
        value = headers.get("Date")
        if not value:
            return
        try:
            parsed = email.utils.parsedate_to_datetime(value)
            if parsed.tzinfo is None:
                return  # HTTP dates are GMT; one without a zone is not a clock reading
            moment = parsed.timestamp()
        except (TypeError, ValueError, OverflowError, IndexError):
            return
        self.server_clock.saw(moment, time.time())

    @property
    def server_time_first(self) -> float | None:
        """The server's clock at the first answer the run's other answers agree with."""
        return self.server_clock.reading().first

    @property
    def server_time_last(self) -> float | None:
        """The server's clock at the last answer the run's other answers agree with."""
        return self.server_clock.reading().last

    @property
    def total(self) -> int:
        """All requests sent."""
        return sum(self.calls.values())


class ResilientAdapter(HTTPAdapter):
    """Sends each request with pacing, bounded jittered retries and breaker bookkeeping."""

    def __init__(
        self,
        stats: RequestStats,
        pacer: Pacer,
        breaker: CircuitBreaker,
        max_retries: int,
        backoff_s: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
        pool_size: int = 4,
    ) -> None:
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.stats = stats
        self.pacer = pacer
        self.breaker = breaker
        self.retry_limit = max_retries
        self.backoff_s = backoff_s
        self._sleep = sleep
        self._random = random.Random()

    def _backoff(self, attempt: int) -> None:
        # Full jitter keeps a burst of failing workers from retrying in lockstep.
        self._sleep(self._random.uniform(0, min(10.0, self.backoff_s * 2**attempt)))

    def _circuit_open(self) -> CircuitOpenError:
        return CircuitOpenError(
            f"GitLab kept failing ({self.breaker.last_failure}); stopped asking"
        )

    def _bare_429(self, ticket: Ticket) -> None:
        # A bare 429 is never a failure while its class still gets answers; a class that
        # gets nothing else for ClassPacer.stall_s ends the run with one clear error.
        self.stats.retried(rate_limited=True)
        if not self.pacer.classes.limited(ticket):
            stall = self.pacer.classes.stall_s
            self.breaker.trip(f"only HTTP 429 for {stall:g} s on {ticket.endpoint}")
            raise self._circuit_open()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send `request`, retrying transient failures; the last failure is re-raised."""
        endpoint = endpoint_of(request.method or "GET", request.url or "")
        failures = 0
        limited = 0
        while True:
            response: requests.Response | None = None
            if self.breaker.opened:
                raise self._circuit_open()
            ticket = self.pacer.classes.acquire(endpoint)
            settled = False  # every ticket ends as succeeded, limited or released, once
            try:
                self.pacer.wait()
                self.stats.count(endpoint)
                response = super().send(request, **kwargs)
                if not kwargs.get("stream"):
                    read_bounded(response)
                self.stats.saw_date(response.headers)
                self.pacer.observe(response.headers)
                if response.status_code == 429 and is_bare_429(response.headers):
                    settled = True
                    self._bare_429(ticket)
                    continue
                if response.status_code == 429:
                    limited += 1
                    if limited > MAX_RATE_LIMITED_RETRIES:
                        return response
                    self.pacer.block_for(retry_after_seconds(response.headers, self.pacer.now()))
                    self.stats.retried(rate_limited=True)
                    continue
                if response.status_code in TRANSIENT_STATUSES:
                    raise TransientResponseError(f"HTTP {response.status_code}")
                if not kwargs.get("stream") and _looks_truncated(response):
                    raise TransientResponseError("truncated response body")
                self.breaker.success()
                settled = True
                self.pacer.classes.succeeded(ticket)
                return response
            except (
                requests.ConnectionError,
                requests.Timeout,
                TransientResponseError,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                failures += 1
                self.breaker.failure(_describe(exc))
                if self.breaker.opened:
                    # Also for requests in flight when it opened: one outage, one error kind.
                    raise self._circuit_open() from None
                if failures > self.retry_limit:
                    if response is not None:
                        return response  # python-gitlab turns it into a proper API error
                    raise
                self.stats.retried(rate_limited=False)
            finally:
                if not settled:
                    self.pacer.classes.released(ticket)
            self._backoff(failures - 1)


class ResponseTooLarge(requests.RequestException):
    """An answer larger, or slower to arrive, than any GitLab API answer we read."""


# A page of 100 items is well under a megabyte even with GitLab's longest texts; a GraphQL
# answer for 100 projects a few. 64 MB is far above both and far below a runner's memory.
MAX_BODY_BYTES = 64 * 1024 * 1024
# The read timeout applies to each chunk: a server trickling bytes forever needs an overall
# bound too.
MAX_BODY_SECONDS = 300.0


def read_bounded(response: requests.Response, clock: Callable[[], float] = time.monotonic) -> None:
    """Read the body now, within MAX_BODY_BYTES and MAX_BODY_SECONDS; ResponseTooLarge if not."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        response.close()
        raise ResponseTooLarge(f"answer of {int(declared):,} bytes is over the read limit")
    deadline = clock() + MAX_BODY_SECONDS
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(1 << 16):
        size += len(chunk)
        if size > MAX_BODY_BYTES or clock() > deadline:
            response.close()
            raise ResponseTooLarge(
                f"answer over {MAX_BODY_BYTES:,} bytes or {MAX_BODY_SECONDS:g} s; not read"
            )
        chunks.append(chunk)
    response._content = b"".join(chunks)


def _looks_truncated(response: requests.Response) -> bool:
    if "json" not in response.headers.get("Content-Type", ""):
        return False
    body = response.content.rstrip()  # reading here surfaces cut-off bodies as errors
    return bool(body) and body[-1:] not in (b"}", b"]")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, requests.Timeout):
        return "request timed out"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    return str(exc) or type(exc).__name__
