"""Requests, replies and the route table that maps GitLab URL templates to handlers."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from gldash_static.simulator.errors import ApiError, not_found
from gldash_static.simulator.model import Group, Project, User
from gldash_static.simulator.pagination import Query, offset_page
from gldash_static.simulator.serialize import Serializer
from gldash_static.simulator.state import OrgState


@dataclass
class Request:
    """One parsed API request."""

    method: str
    path: str  # below /api/v4, still URL-encoded
    params: dict[str, str]  # path parameters, decoded
    query: Query
    user: User | None
    body: dict[str, Any]
    base_url: str  # scheme://host:port/api/v4 + path, for Link headers

    def get(self, key: str, default: str | None = None) -> str | None:
        """The last value of a query or body parameter."""
        for k, v in reversed(self.query):
            if k == key:
                return v
        value = self.body.get(key)
        return default if value is None else str(value)

    def get_list(self, key: str) -> list[str]:
        """All values of `key` or `key[]` (GitLab accepts both array spellings)."""
        return [v for k, v in self.query if k in (key, f"{key}[]")]

    def flag(self, key: str, default: bool | None = None) -> bool | None:
        """A boolean parameter; None when absent and no default."""
        value = self.get(key)
        if value is None:
            return default
        if value.lower() in ("true", "1", "yes"):
            return True
        if value.lower() in ("false", "0", "no"):
            return False
        raise ApiError(400, {"error": f"{key} is invalid"})

    def time(self, key: str) -> datetime | None:
        """An ISO 8601 parameter such as `updated_after`."""
        value = self.get(key)
        if value is None:
            return None
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(400, {"error": f"{key} is invalid"}) from None
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)

    def choice(self, key: str, allowed: Sequence[str], default: str) -> str:
        """A parameter restricted to `allowed` values."""
        value = self.get(key, default) or default
        if value not in allowed:
            raise ApiError(400, {"error": f"{key} does not have a valid value"})
        return value

    @property
    def viewer(self) -> User:
        """The authenticated user (routes that allow anonymous access never call this)."""
        assert self.user is not None
        return self.user


@dataclass
class Reply:
    """A handler's answer: a JSON-able body (or raw bytes) and extra headers."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


Handler = Callable[[Request], Reply]


@dataclass
class Route:
    """One route: method, GitLab-style template and handler."""

    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    anonymous: bool = False

    @property
    def key(self) -> str:
        """The counter key, e.g. `GET /projects/:id/pipelines`."""
        return f"{self.method} {self.template}"


class Router:
    """Maps (method, path) to a route and its decoded path parameters."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, anonymous: bool = False) -> None:
        """Register a handler; `:ref`/`:branch` may contain slashes, other params may not."""
        regex = ""
        for part in template.strip("/").split("/"):
            if part.startswith(":"):
                wide = part in (":ref", ":branch")
                regex += f"/(?P<{part[1:]}>{'.+' if wide else '[^/]+'})"
            else:
                regex += "/" + re.escape(part)
        self.routes.append(Route(method, template, re.compile(regex + "$"), handler, anonymous))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for a request, or None."""
        for route in self.routes:
            if route.method != method:
                continue
            m = route.pattern.match(path)
            if m:
                return route, {k: unquote(v) for k, v in m.groupdict().items()}
        return None


class Context:
    """What handlers share: the state, the serializer, and lookup helpers honouring visibility."""

    def __init__(self, state: OrgState, total_limit: int) -> None:
        self.state = state
        self.ser = Serializer(state)
        self.total_limit = total_limit

    def project(self, req: Request, key: str = "id", *abilities: str) -> Project:
        """The project named by a path parameter: 404 if missing or invisible, 403 if the
        asking user lacks one of `abilities` (e.g. "read_pipeline") on it."""
        p = self.state.find_project(req.params[key])
        if p is None or not self.state.can_see_project(req.viewer, p):
            raise not_found("Project")
        if abilities:
            granted = self.state.abilities(req.viewer, p)
            if not all(granted.allows(a) for a in abilities):
                raise ApiError(403, {"message": "403 Forbidden"})
        return p

    def group(self, req: Request, key: str = "id") -> Group:
        """The group named by a path parameter, or 404 if missing or invisible."""
        g = self.state.find_group(req.params[key])
        if g is None or not self.state.can_see_group(req.viewer, g):
            raise not_found("Group")
        return g

    def page(self, req: Request, items: Sequence[Any], render: Callable[[Any], Any]) -> Reply:
        """An offset-paginated reply."""
        chunk, headers = offset_page(items, req.query, req.base_url, total_limit=self.total_limit)
        return Reply([render(it) for it in chunk], headers=headers)


def sort_items(items: list[Any], key: Callable[[Any], Any], descending: bool) -> list[Any]:
    """Sort with id as the tie-breaker, as GitLab's SQL ordering does."""
    return sorted(items, key=lambda it: (key(it), it.id), reverse=descending)
