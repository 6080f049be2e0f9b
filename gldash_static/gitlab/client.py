"""One python-gitlab client per worker thread, sharing stats, pacing and the circuit breaker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import gitlab
import requests

from gldash_static.config.settings import FetchSettings
from gldash_static.gitlab import http
from gldash_static.gitlab.errors import FAILURES, failure
from gldash_static.gitlab.pacing import CircuitBreaker, Pacer
from gldash_static.gitlab.paging import PageGuard, next_page_url, total_of
from gldash_static.gitlab.transport import RequestStats, ResilientAdapter

PER_PAGE = 100
GRAPHQL_BREAKER = 3  # consecutive failed GraphQL attempts before the fetch stops asking it
# The config's defaults, so a client built without a config (tests, tools) fetches alike.
_DEFAULTS = FetchSettings()


class ApiError(Exception):
    """A request failed for good; `status` is the HTTP status, or None when none arrived."""

    def __init__(self, status: int | None, message: str, path: str) -> None:
        self.status = status
        self.path = path
        super().__init__(message)


def encode_path(full_path: str) -> str:
    """URL-encode a group or project full path for use as an :id."""
    return quote(full_path, safe="")


class ApiClient:
    """Thread-safe access to one GitLab instance: a separate python-gitlab client per thread."""

    def __init__(
        self,
        url: str,
        token: str,
        timeout_s: float = _DEFAULTS.timeout_s,
        max_retries: int = _DEFAULTS.max_retries,
        breaker_threshold: int = _DEFAULTS.circuit_breaker,
        concurrency: int = _DEFAULTS.concurrency,
        backoff_s: float = 0.25,
    ) -> None:
        self.url = url.rstrip("/")
        self.api_url = f"{self.url}/api/v4"
        self._token = token
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.stats = RequestStats()
        # Up to 3 x concurrency requests can be in flight (project and detail threads).
        self.pacer = Pacer(reserve=max(4, 3 * concurrency))
        self.breaker = CircuitBreaker(breaker_threshold)
        # GraphQL is an optimisation with a REST fallback: its failures get their own small
        # breaker and one retry, so a GraphQL outage never stops the REST fetch.
        self.graphql_breaker = CircuitBreaker(GRAPHQL_BREAKER)
        self._local = threading.local()
        self._sessions: list[http.OriginSession] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ApiClient({self.url!r})"  # never the token

    def _gitlab(self, graphql: bool = False) -> gitlab.Gitlab:
        name = "graphql_client" if graphql else "client"
        client: gitlab.Gitlab | None = getattr(self._local, name, None)
        if client is None:
            adapter = ResilientAdapter(
                self.stats,
                self.pacer,
                self.graphql_breaker if graphql else self.breaker,
                min(1, self.max_retries) if graphql else self.max_retries,
                self.backoff_s,
            )
            session = http.session(self.url, adapter=adapter)
            with self._lock:
                self._sessions.append(session)
            # Retries and 429 handling live in the adapter, shared by all threads.
            client = http.gitlab_client(
                self.url, token=self._token, timeout=self.timeout_s, http=session, per_page=PER_PAGE
            )
            setattr(self._local, name, client)
        return client

    def close(self) -> None:
        """Close every thread's HTTP session."""
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        """GET one object as a dictionary."""
        result = self._call(
            path,
            lambda gl: gl.http_get(path, query_data=params, obey_rate_limit=False, max_retries=0),
        )
        if not isinstance(result, dict):
            raise ApiError(None, "unexpected response (not a JSON object)", path)
        return result

    def iterate(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Iterate every item of a paginated list, page after page on our own base URL."""
        params.setdefault("per_page", PER_PAGE)
        for item, _total in self._pages(path, params, PageGuard(path, params)):
            yield item

    def _pages(
        self, path: str, params: dict[str, Any], guard: PageGuard
    ) -> Iterator[tuple[dict[str, Any], int | None]]:
        """Each item of a list with the X-Total of the page it came on; pages load lazily.

        Next-page links are followed on our base URL only (see `next_page_url`), never twice
        to the same page and at most `paging.MAX_PAGES` times; `guard` says if it was cut short.
        """
        target: str = path
        query: dict[str, Any] | None = params
        while True:
            response = self._page(path, target, query)
            items = _json_list(response, path)
            guard.read(len(items))
            total = total_of(response.headers)
            for item in items:
                if isinstance(item, dict):
                    yield item, total
            link = response.links.get("next", {}).get("url")
            if not link:
                return
            target, query = next_page_url(self.api_url, path, str(link)), None
            if not guard.admit(target):
                return

    def _page(self, path: str, target: str, query: dict[str, Any] | None) -> requests.Response:
        response: requests.Response = self._call(
            path,
            lambda gl: gl.http_request(
                "get", target, query_data=query, obey_rate_limit=False, max_retries=0
            ),
        )
        return response

    def list_stable(self, path: str, passes: int = 3, **params: Any) -> list[dict[str, Any]]:
        """Every item of an offset-paginated list, read again if it changed while being paged.

        When an item before the current page is deleted, later items move up one place and
        the first of the next page is never seen. A pass is trusted when every page reported
        the same X-Total and that many distinct items arrived; otherwise the list is read
        again (up to `passes` times; then the passes are merged). Lists above 10,000 rows
        carry no X-Total and are trusted as read.
        """
        params.setdefault("per_page", PER_PAGE)
        merged: dict[int, dict[str, Any]] = {}
        for _ in range(passes):
            guard = PageGuard(path, params)
            found, totals = self._read_pass(path, params, guard)
            merged.update(found)
            if guard.cut_short:
                break  # a list that does not end will not end on a second reading either
            if totals in ({None}, set()) or totals == {len(found)}:
                return list(found.values())  # GitLab stopped counting, or a consistent pass
        return list(merged.values())

    def _read_pass(
        self, path: str, params: dict[str, Any], guard: PageGuard
    ) -> tuple[dict[int, dict[str, Any]], set[int | None]]:
        """One pass over a list: items by id, and every X-Total its pages reported."""
        found: dict[int, dict[str, Any]] = {}
        totals: set[int | None] = set()
        for item, total in self._pages(path, params, guard):
            totals.add(total)
            key = item.get("id")
            if isinstance(key, int) and not isinstance(key, bool):
                found[key] = item  # an item without an integer id is not a group or project
        return found, totals

    def first_page(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """One page of a list (no further requests)."""
        result = self._call(
            path,
            lambda gl: gl.http_list(
                path, query_data=params, get_all=False, obey_rate_limit=False, max_retries=0
            ),
        )
        return [item for item in result if isinstance(item, dict)]

    def first_page_total(self, path: str, **params: Any) -> tuple[list[dict[str, Any]], int | None]:
        """One page of a list and its X-Total (None: GitLab did not count, as above 10,000)."""
        response = self._page(path, path, params)
        items = [item for item in _json_list(response, path) if isinstance(item, dict)]
        return items, total_of(response.headers)

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run a GraphQL query through the same pacing, retries and breaker; returns `data`.

        GitLab answers query errors with HTTP 200 and an `errors` list: those raise ApiError
        too, so a caller never reads half an answer.
        """
        path = "/api/graphql"
        result = self._call(
            path,
            lambda gl: gl.http_post(
                f"{self.url}{path}",
                post_data={"query": query, "variables": variables},
                obey_rate_limit=False,
                max_retries=0,
            ),
            graphql=True,
        )
        if not isinstance(result, dict):
            raise ApiError(None, "unexpected GraphQL response (not a JSON object)", path)
        errors = result.get("errors")
        if errors:
            first = errors[0] if isinstance(errors, list) and errors else errors
            message = first.get("message") if isinstance(first, dict) else first
            raise ApiError(None, f"GraphQL error: {str(message)[:200]}", path)
        data = result.get("data")
        if not isinstance(data, dict):
            raise ApiError(None, "GraphQL response without data", path)
        return data

    def _call(self, path: str, action: Any, graphql: bool = False) -> Any:
        # transport.CircuitOpenError is none of FAILURES: it reaches the caller as it is.
        try:
            return action(self._gitlab(graphql))
        except FAILURES as exc:
            failed = failure(exc, self.timeout_s)
            raise ApiError(failed.status, failed.message, path) from None  # see gitlab.errors


def _json_list(response: requests.Response, path: str) -> list[Any]:
    try:
        data = response.json()
    except ValueError:
        raise ApiError(None, "GitLab sent a response that is not valid JSON", path) from None
    if not isinstance(data, list):
        raise ApiError(None, "unexpected response (not a JSON list)", path)
    return data
