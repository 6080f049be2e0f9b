"""Client side of fetching: python-gitlab setup, retries, rate-limit pacing, circuit breaker."""

from gldash_static.gitlab.client import ApiClient, ApiError, CircuitOpenError
from gldash_static.gitlab.pacing import CircuitBreaker, Pacer
from gldash_static.gitlab.transport import RequestStats

__all__ = ["ApiClient", "ApiError", "CircuitBreaker", "CircuitOpenError", "Pacer", "RequestStats"]
