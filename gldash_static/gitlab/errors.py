"""The one translation of python-gitlab and requests failures into a short, clean line.

Callers wrap the line in their own error (ApiError, PipelineApiError, ArchiveError) and
raise it `from None`: python-gitlab's exceptions carry response bodies and requests' carry
full URLs (signed storage links among them); neither belongs in a log line.
"""

from __future__ import annotations

from dataclasses import dataclass

import gitlab.exceptions
import requests

from gldash_static.gitlab.http import ForeignOriginError
from gldash_static.rules.text import clean

# What `failure` can describe; catch these, and nothing broader, around a GitLab call.
# RecursionError: JSON nested deeper than Python's parser can follow.
FAILURES: tuple[type[BaseException], ...] = (
    gitlab.exceptions.GitlabError,
    requests.RequestException,
    RecursionError,
)
DETAIL_CHARS = 200  # of GitLab's own error message: enough for "409 Conflict: ..." texts


@dataclass(frozen=True)
class Failure:
    """A failed GitLab request: the HTTP status when one arrived, and one short line."""

    status: int | None
    message: str


def failure(exc: BaseException, timeout_s: float) -> Failure:
    """Describe one of FAILURES in a line with no URL and no response body beyond a snippet."""
    if isinstance(exc, gitlab.exceptions.GitlabAuthenticationError):
        return Failure(401, "GitLab refused the token (401)")
    if isinstance(exc, (gitlab.exceptions.GitlabParsingError, RecursionError)):
        return Failure(None, "GitLab sent a response that is not valid JSON")
    if isinstance(exc, gitlab.exceptions.GitlabError):
        status = exc.response_code
        detail = _detail(exc.error_message)
        head = f"HTTP {status}" if status is not None else "GitLab request failed"
        return Failure(status, f"{head}: {detail}" if detail else head)
    if isinstance(exc, ForeignOriginError):
        return Failure(None, str(exc))  # names origins only, never a path or query
    if isinstance(exc, requests.Timeout):
        return Failure(None, f"timed out after {timeout_s:g} s")
    if isinstance(exc, requests.ConnectionError):
        # SSLError and ProxyError are ConnectionErrors too: their name says what to fix.
        kind = type(exc).__name__
        named = "" if kind == "ConnectionError" else f" ({kind})"
        return Failure(None, f"cannot connect to GitLab{named}")
    return Failure(None, f"request failed ({type(exc).__name__})")


def _detail(message: object) -> str:
    # The rule every page uses for untrusted text: one line (a proxy's HTML error page would
    # split the message), no terminal escapes or bidi controls in a log, bounded.
    return clean(message, DETAIL_CHARS).strip(": ")
