"""Bounds on following GitLab's next-page links: our own base URL, no repeats, a page cap."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

log = logging.getLogger("gldash.gitlab")

# 10,000 pages of 100 are a million rows of one list: far beyond any real project's
# pipelines or a group's projects, yet reached in minutes by a server that never ends a list.
MAX_PAGES = 10_000

PageKey = tuple[tuple[str, str], ...]


def _key(pairs: list[tuple[str, str]]) -> PageKey:
    return tuple(sorted(pairs))


def next_page_url(api_url: str, path: str, link: str) -> str:
    """The page a next-page link names, on our own base URL and listing path.

    GitLab writes its *external* URL into `Link`, which may not be the URL this runner
    reaches it by (or may be anything at all): only the page or cursor parameters are taken.
    """
    query = urlsplit(link).query
    return f"{api_url}{path}?{query}" if query else f"{api_url}{path}"


def total_of(headers: Mapping[str, str]) -> int | None:
    """X-Total as a number, or None when absent or not a plain count."""
    value = (headers.get("X-Total") or "").strip()
    return int(value) if value.isdigit() and len(value) <= 12 else None


class PageGuard:
    """Decides whether one listing may read another page; warns once when it may not."""

    def __init__(self, path: str, first: Mapping[str, Any], limit: int | None = None) -> None:
        self.path = path
        self.limit = MAX_PAGES if limit is None else limit  # read late: tests lower MAX_PAGES
        self.pages = 0
        self.items = 0
        self.cut_short = False
        # The first request names no page; GitLab's links back to it say page=1.
        first_page = {"page": "1", **{str(k): str(v) for k, v in first.items()}}
        self._seen = {_key(list(first_page.items()))}

    def read(self, items: int) -> None:
        """One page arrived with `items` items."""
        self.pages += 1
        self.items += items

    def admit(self, next_url: str) -> bool:
        """Whether to read the page at `next_url`; False (with a warning) ends the listing."""
        key = _key(parse_qsl(urlsplit(next_url).query, keep_blank_values=True))
        if key in self._seen:
            return self._stop("GitLab's next-page link points back at a page already read")
        if self.pages >= self.limit:
            return self._stop(f"more than {self.limit:,} pages")
        self._seen.add(key)
        return True

    def _stop(self, why: str) -> bool:
        self.cut_short = True
        log.warning(
            "%s: %s; the list ends here with the %d item(s) of %d page(s) read",
            self.path,
            why,
            self.items,
            self.pages,
        )
        return False
