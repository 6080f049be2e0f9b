"""Origins (scheme, host, port) of URLs, and which configured source a URL belongs to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


class HasUrl(Protocol):
    """Anything with a GitLab base URL, such as a config source."""

    @property
    def url(self) -> str:
        """The base URL."""
        ...


S = TypeVar("S", bound=HasUrl)


def origin(url: str) -> str:
    """`scheme://host:port` of `url`, lowercased, default port explicit; ValueError if none.

    Only http(s) URLs with a host have an origin: anything else can never be a GitLab
    instance, so it never matches one.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname  # lowercased, brackets and user info removed
    port = parts.port  # ValueError for a port that is not a number in range
    if scheme not in DEFAULT_PORTS or not host:
        raise ValueError("not an http(s) URL with a host")
    if ":" in host:
        host = f"[{host}]"  # IPv6
    return f"{scheme}://{host}:{port or DEFAULT_PORTS[scheme]}"


def origin_or_none(url: str) -> str | None:
    """`origin(url)`, or None when `url` has none."""
    try:
        return origin(url)
    except ValueError:
        return None


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs have the same origin (never true for URLs without one)."""
    first = origin_or_none(a)
    return first is not None and first == origin_or_none(b)


def owner_of(url: str, sources: Iterable[S]) -> S | None:
    """The first source whose instance is at `url`'s origin: the one whose token it may get."""
    return next((s for s in sources if same_origin(s.url, url)), None)
