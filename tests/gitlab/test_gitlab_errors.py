"""One error map for every GitLab call: short, clean lines, whichever client asked."""

from __future__ import annotations

from collections.abc import Callable

import gitlab.exceptions
import pytest
import requests

from gldash_static.config import FetchSettings
from gldash_static.errors import FetchError, GldashError
from gldash_static.gitlab import ApiClient, ApiError, CircuitOpenError, http, pipelines
from gldash_static.gitlab.errors import FAILURES, failure

SECRET = "glpat-not-a-real-token"
LEAKY_URL = f"https://gitlab.example.com/api/v4/projects?private_token={SECRET}"
HTML_PAGE = "<html>\n<body>\n<h1>502 Bad Gateway</h1>\n" + "<p>nginx</p>\n" * 200 + "</body>"


@pytest.mark.parametrize(
    ("exc", "status", "says"),
    [
        (gitlab.exceptions.GitlabAuthenticationError("401 Unauthorized", 401), 401, "token"),
        (gitlab.exceptions.GitlabGetError("404 Project Not Found", 404), 404, "404"),
        (gitlab.exceptions.GitlabHttpError(HTML_PAGE, 502), 502, "502"),
        (gitlab.exceptions.GitlabParsingError("Failed to parse the server message"), None, "JSON"),
        (RecursionError("maximum recursion depth exceeded"), None, "JSON"),
        (http.ForeignOriginError("refusing a request to https://evil.test:443"), None, "evil"),
        (requests.ReadTimeout(f"read timed out: {LEAKY_URL}"), None, "12 s"),
        (requests.ConnectionError(f"Max retries exceeded with url: {LEAKY_URL}"), None, "connect"),
        (requests.exceptions.SSLError(f"certificate verify failed: {LEAKY_URL}"), None, "SSL"),
        (requests.exceptions.InvalidURL(LEAKY_URL), None, "InvalidURL"),
    ],
)
def test_each_failure_is_one_short_line_without_urls_or_bodies(
    exc: BaseException, status: int | None, says: str
) -> None:
    assert isinstance(exc, FAILURES)
    described = failure(exc, timeout_s=12.0)
    assert described.status == status
    assert says in described.message
    assert "\n" not in described.message and len(described.message) <= 240  # a snippet at most
    assert SECRET not in described.message and "/api/v4" not in described.message


def test_a_status_without_detail_is_just_the_status() -> None:
    described = failure(gitlab.exceptions.GitlabHttpError("", 503), timeout_s=30)
    assert described.message == f"HTTP {described.status}" and described.status == 503


def _raising(exc: BaseException) -> Callable[[], object]:
    def action() -> object:
        raise exc

    return action


@pytest.mark.parametrize(
    "exc",
    [
        gitlab.exceptions.GitlabHttpError("500 Internal Server Error", 500),
        requests.ConnectionError(LEAKY_URL),
        requests.ConnectTimeout(LEAKY_URL),
    ],
)
def test_every_client_wraps_the_same_line_in_its_own_error(exc: BaseException) -> None:
    line = failure(exc, timeout_s=pipelines.TIMEOUT_S).message
    with pytest.raises(pipelines.PipelineApiError) as caught:
        pipelines._guard("trigger pipeline on main", _raising(exc), "gone", "denied")
    assert isinstance(caught.value, GldashError)  # one line at the CLI, no traceback
    assert str(caught.value) == f"trigger pipeline on main: {line}"
    assert caught.value.__suppress_context__ and SECRET not in str(caught.value)

    api = ApiClient("https://gitlab.example.com", SECRET, timeout_s=pipelines.TIMEOUT_S)
    with pytest.raises(ApiError) as raised:
        api._call("/projects", lambda _gl: _raising(exc)())
    assert str(raised.value) == line and raised.value.path == "/projects"
    assert raised.value.__suppress_context__


@pytest.mark.parametrize(("status", "says"), [(404, "gone"), (403, "denied")])
def test_the_caller_words_404_and_403_itself(status: int, says: str) -> None:
    exc = gitlab.exceptions.GitlabGetError("message", status)
    with pytest.raises(pipelines.PipelineApiError, match=f"^schedule: {says}$"):
        pipelines._guard("schedule", _raising(exc), "gone", "denied")


def test_an_error_of_gldash_itself_passes_through_the_guard() -> None:
    own = pipelines.PipelineApiError("schedule: GitLab listed more than 10,000 schedules")
    with pytest.raises(pipelines.PipelineApiError) as caught:
        pipelines._guard("schedule", _raising(own), "gone", "denied")
    assert caught.value is own


def test_an_open_breaker_is_not_translated() -> None:
    # The fetch keeps previous data on CircuitOpenError; as an ApiError it would not.
    assert issubclass(CircuitOpenError, FetchError)
    assert not issubclass(CircuitOpenError, FAILURES)
    api = ApiClient("https://gitlab.example.com", SECRET)
    with pytest.raises(CircuitOpenError):
        api._call("/projects", lambda _gl: _raising(CircuitOpenError("GitLab kept failing"))())


def test_a_client_without_a_config_fetches_as_the_default_config_does() -> None:
    defaults = FetchSettings()
    api = ApiClient("https://gitlab.example.com", SECRET)
    assert api.timeout_s == defaults.timeout_s
    assert api.max_retries == defaults.max_retries
    assert api.breaker.threshold == defaults.circuit_breaker
    configured = ApiClient("https://gitlab.example.com", SECRET, concurrency=defaults.concurrency)
    assert api.pacer.reserve == configured.pacer.reserve


def test_gitlabs_message_reaches_the_log_without_terminal_escapes_or_bidi_controls() -> None:
    # GitLab's error text is untrusted: an ANSI escape could rewrite a CI log line and a
    # bidi override could show it in another order.
    hostile = "bad \x1b[2J\x1b[31mref\x1b[0m \u202eevil\u202c\x00" + "x" * 5000
    described = failure(gitlab.exceptions.GitlabHttpError(hostile, 400), timeout_s=30)
    assert not any(ch in described.message for ch in "\x1b\u202e\u202c\x00")
    assert described.message.startswith("HTTP 400: bad ")
    assert len(described.message) <= 220
