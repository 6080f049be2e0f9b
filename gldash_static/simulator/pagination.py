"""GitLab's offset and keyset pagination: slicing plus the x-* and Link headers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from gldash_static.simulator.errors import ApiError

T = TypeVar("T")
Query = list[tuple[str, str]]

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
TOTAL_LIMIT = 10_000  # above this GitLab stops counting: no x-total, no rel="last"


def _int(query: Query, key: str, default: int) -> int:
    for k, v in query:
        if k == key:
            try:
                return int(v)
            except ValueError:
                raise ApiError(400, {"error": f"{key} is invalid"}) from None
    return default


def per_page(query: Query) -> int:
    """`per_page` clamped the way GitLab clamps it."""
    n = _int(query, "per_page", DEFAULT_PER_PAGE)
    return DEFAULT_PER_PAGE if n < 1 else min(n, MAX_PER_PAGE)


def _link(base: str, query: Query, **changes: str) -> str:
    q = [(k, v) for k, v in query if k not in changes] + list(changes.items())
    return f"{base}?{urlencode(q)}"


def offset_page(
    items: Sequence[T],
    query: Query,
    base: str,
    *,
    total_limit: int = TOTAL_LIMIT,
    max_offset: int | None = None,
) -> tuple[Sequence[T], dict[str, str]]:
    """One page of `items` and GitLab's offset pagination headers for it."""
    size = per_page(query)
    page = max(1, _int(query, "page", 1))
    if max_offset is not None and (page - 1) * size >= max_offset:
        raise ApiError(
            405,
            {
                "message": f"Offset pagination has a maximum allowed offset of {max_offset} for "
                "requests that return objects of type Project. Remaining records can be "
                "retrieved using keyset pagination."
            },
        )
    total = len(items)
    pages = max(1, -(-total // size))
    chunk = items[(page - 1) * size : page * size]
    has_next = page * size < total
    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(size),
        "X-Next-Page": str(page + 1) if has_next else "",
        "X-Prev-Page": str(page - 1) if page > 1 else "",
    }
    q = [(k, v) for k, v in query if k not in ("page", "per_page")] + [("per_page", str(size))]
    links = []
    if page > 1:
        links.append(f'<{_link(base, q, page=str(page - 1))}>; rel="prev"')
    if has_next:
        links.append(f'<{_link(base, q, page=str(page + 1))}>; rel="next"')
    links.append(f'<{_link(base, q, page="1")}>; rel="first"')
    if total <= total_limit:
        headers["X-Total"] = str(total)
        headers["X-Total-Pages"] = str(pages)
        links.append(f'<{_link(base, q, page=str(pages))}>; rel="last"')
    headers["Link"] = ", ".join(links)
    return chunk, headers


def keyset_page(
    items: Sequence[T], query: Query, base: str, key: Callable[[T], int], descending: bool
) -> tuple[Sequence[T], dict[str, str]]:
    """One keyset page (`id_after`/`id_before`) of items already sorted by id."""
    size = per_page(query)
    after = _int(query, "id_after", -1)
    before = _int(query, "id_before", -1)
    if descending and before >= 0:
        start = next((i for i, it in enumerate(items) if key(it) < before), len(items))
    elif not descending and after >= 0:
        lo, hi = 0, len(items)
        while lo < hi:  # ids ascend: binary search for the first id > after
            mid = (lo + hi) // 2
            if key(items[mid]) <= after:
                lo = mid + 1
            else:
                hi = mid
        start = lo
    else:
        start = 0
    chunk = items[start : start + size]
    headers: dict[str, str] = {"X-Per-Page": str(size)}
    if start + size < len(items) and chunk:
        cursor = "id_before" if descending else "id_after"
        q = [(k, v) for k, v in query if k not in ("id_after", "id_before", "per_page", "page")]
        q.append(("per_page", str(size)))
        link = _link(base, q, **{cursor: str(key(chunk[-1]))})
        headers["Link"] = f'<{link}>; rel="next"'
    return chunk, headers


def single_column_order(
    items: Sequence[T],
    key: Callable[[T], Any],
    ident: Callable[[T], int],
    descending: bool,
    query: Query,
) -> list[T]:
    """Items in `ORDER BY <one column>` order, as PostgreSQL returns one page of them.

    Without a tie-breaker the order of equal keys is whatever the plan produces, and with
    LIMIT/OFFSET (a top-N heap sort) it differs from one page's query to the next: a listing
    whose ties straddle a page boundary repeats some rows and never shows others.
    """
    salt = f"{_int(query, 'page', 1)}:{per_page(query)}"
    shuffled = sorted(items, key=lambda it: hashlib.sha1(f"{salt}:{ident(it)}".encode()).digest())
    return sorted(shuffled, key=key, reverse=descending)  # stable: ties keep the page's order
