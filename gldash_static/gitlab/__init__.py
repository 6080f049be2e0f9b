"""Client side of fetching: python-gitlab setup, retries, rate-limit pacing, circuit breaker."""

from gldash_static.gitlab.client import ApiClient, ApiError
from gldash_static.gitlab.transport import CircuitOpenError, RequestStats

__all__ = ["ApiClient", "ApiError", "CircuitOpenError", "RequestStats"]
