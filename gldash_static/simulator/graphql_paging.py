"""GraphQL values and connections as GitLab's schema shapes them: times, global IDs, pages."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError


def graphql_time(moment: datetime | None) -> str | None:
    """Types::TimeType#coerce_result: `value.iso8601`, whole seconds (GitLab's own example:
    2021-03-09T14:58:50+00:00)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise GraphQLError("Time must be an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise GraphQLError(f"{value!r} is not a valid ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def global_id(kind: str, number: int) -> str:
    """GitLab's global ID, e.g. `gid://gitlab/Project/12`."""
    return f"gid://gitlab/{kind}/{number}"


def id_of(gid: str, kind: str) -> int:
    # GitlabSchema.parse_gid's two messages: not a global ID at all, or one of another type.
    if not gid.startswith("gid://gitlab/"):
        raise GraphQLError(f"{gid} is not a valid GitLab ID.")
    prefix = f"gid://gitlab/{kind}/"
    if not gid.startswith(prefix) or not gid[len(prefix) :].isdigit():
        raise GraphQLError(f"{gid} is not a valid ID for {kind}.")
    return int(gid[len(prefix) :])


def _cursor(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        data = json.loads(base64.b64decode(cursor))
        return max(0, int(data["offset"]))
    except (ValueError, KeyError, TypeError):
        raise GraphQLError("Please provide a valid cursor") from None


def _count(total: int) -> Callable[..., int]:
    """CountableConnectionType#count: "Returns limit + 1 for counts greater than the limit"."""

    def count(_info: Any, limit: int | None = None) -> int:
        if limit is None:
            return total
        if limit <= 0:  # its `validates: { numericality: { greater_than: 0 } }`
            raise GraphQLError("limit must be greater than 0")
        return min(total, limit + 1)

    return count


def connection(
    items: Sequence[Any], args: dict[str, Any], node: Callable[[Any], Any], page_size: int
) -> Any:
    """A GitLab connection over `items`: `first` capped at the page size, opaque cursors."""
    first = args.get("first")
    size = page_size if first is None else max(0, min(int(first), page_size))
    start = _offset(args.get("after"))
    chunk = items[start : start + size]
    end = start + len(chunk)
    nodes = [node(item) for item in chunk]
    return {
        "count": _count(len(items)),
        "edges": [{"cursor": _cursor(start + k + 1), "node": n} for k, n in enumerate(nodes)],
        "nodes": nodes,
        "pageInfo": {
            "hasNextPage": end < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": _cursor(start) if chunk else None,
            "endCursor": _cursor(end) if chunk else None,
        },
    }
