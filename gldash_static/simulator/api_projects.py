"""Routes for the instance, the current user, groups and projects."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from gldash_static.simulator.errors import ApiError
from gldash_static.simulator.model import Group, Project
from gldash_static.simulator.pagination import keyset_page, offset_page
from gldash_static.simulator.routing import Context, Reply, Request, Router, sort_items

_PROJECT_ORDER = (
    "id",
    "name",
    "path",
    "created_at",
    "updated_at",
    "last_activity_at",
    "star_count",
    "similarity",
)
_PAGING_KEYS = {"page", "per_page", "id_after", "id_before"}


def _project_key(order_by: str) -> Any:
    if order_by in ("created_at", "name", "path", "last_activity_at", "star_count"):
        return lambda p: getattr(p, order_by)
    if order_by == "updated_at":
        return lambda p: p.last_activity_at
    return lambda p: p.id


def _filter_projects(ctx: Context, req: Request, items: list[Project]) -> list[Project]:
    archived = req.flag("archived")
    visibility = req.get("visibility")
    search = (req.get("search") or "").lower()
    after, before = req.time("last_activity_after"), req.time("last_activity_before")
    topic = req.get("topic")
    out = []
    for p in items:
        if archived is not None and p.archived != archived:
            continue
        if visibility and p.visibility != visibility:
            continue
        if search and search not in p.name.lower() and search not in p.path.lower():
            continue
        if after and p.last_activity_at <= after:
            continue
        if before and p.last_activity_at >= before:
            continue
        if topic and topic not in p.topics:
            continue
        out.append(p)
    return out


class ProjectRoutes:
    """Handlers for /version, /user, /groups... and /projects..."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.state = ctx.state
        # Listing 50,000 projects page by page must not re-filter and re-sort for every page.
        self._cache: OrderedDict[tuple[Any, ...], list[Project]] = OrderedDict()

    def register(self, r: Router) -> None:
        """Add this module's routes."""
        r.add("GET", "/version", self.version)
        r.add("GET", "/user", self.user)
        r.add("GET", "/groups", self.groups)
        r.add("GET", "/groups/:id", self.group)
        r.add("GET", "/groups/:id/subgroups", self.subgroups)
        r.add("GET", "/groups/:id/descendant_groups", self.descendants)
        r.add("GET", "/groups/:id/projects", self.group_projects)
        r.add("GET", "/projects", self.projects)
        r.add("GET", "/projects/:id", self.project)

    def version(self, req: Request) -> Reply:
        """GET /version."""
        return Reply(
            {
                "version": "17.6.0",
                "revision": "3e8a5f1b2c4",
                "enterprise": False,
                "kas": {"enabled": False, "externalUrl": None, "version": None},
            }
        )

    def user(self, req: Request) -> Reply:
        """GET /user."""
        return Reply(self.ctx.ser.current_user(req.viewer))

    def _groups_reply(self, req: Request, groups: list[Group]) -> Reply:
        search = (req.get("search") or "").lower()
        if search:
            groups = [g for g in groups if search in g.name.lower() or search in g.path.lower()]
        skip = {int(s) for s in req.get_list("skip_groups") if s.isdigit()}
        groups = [g for g in groups if g.id not in skip]
        order = req.choice("order_by", ("name", "path", "id", "similarity"), "name")
        desc = req.choice("sort", ("asc", "desc"), "asc") == "desc"
        attr = "full_name" if order == "name" else "full_path" if order == "path" else "id"
        ordered = sort_items(groups, lambda g: getattr(g, attr), desc)
        return self.ctx.page(req, ordered, self.ctx.ser.group)

    def groups(self, req: Request) -> Reply:
        """GET /groups: members' groups by default, all visible with all_available=true."""
        user = req.viewer
        every = req.flag("all_available", user.is_admin)
        if every:
            groups = [g for g in self.state.groups.values() if self.state.can_see_group(user, g)]
        else:
            mine = self.state.member_groups(user.id)
            groups = [g for g in self.state.groups.values() if g.id in mine]
        if req.flag("top_level_only", False):
            groups = [g for g in groups if g.parent_id is None]
        return self._groups_reply(req, groups)

    def group(self, req: Request) -> Reply:
        """GET /groups/:id, with the group's own projects unless with_projects=false."""
        g = self.ctx.group(req)
        body = self.ctx.ser.group(g)
        if req.flag("with_projects", True):
            # Entities::GroupDetail: up to 100 (GroupProjectsFinder::DEFAULT_PROJECTS_LIMIT)
            # projects of the group itself and 100 shared with it, newest first, each the
            # full project entity: costly, so clients that list projects pass false.
            visible = [
                p
                for p in sorted(self.state.projects.values(), key=lambda p: -p.id)
                if self.state.can_see_project(req.viewer, p)
            ]
            own = [p for p in visible if p.namespace_kind == "group" and p.namespace_id == g.id]
            shared = [p for p in visible if g.id in p.shared_with_group_ids]
            body["shared_with_groups"] = []  # group-to-group shares are not modelled
            if g.parent_id is None:
                body["prevent_sharing_groups_outside_hierarchy"] = False
            body["projects"] = [self.ctx.ser.project(p, viewer=req.viewer) for p in own[:100]]
            body["shared_projects"] = [
                self.ctx.ser.project(p, viewer=req.viewer) for p in shared[:100]
            ]
        return Reply(body)

    def subgroups(self, req: Request) -> Reply:
        """GET /groups/:id/subgroups: direct children."""
        g = self.ctx.group(req)
        kids = [
            c
            for c in self.state.groups.values()
            if c.parent_id == g.id and self.state.can_see_group(req.viewer, c)
        ]
        return self._groups_reply(req, kids)

    def descendants(self, req: Request) -> Reply:
        """GET /groups/:id/descendant_groups: every level below."""
        g = self.ctx.group(req)
        ids = self.state.subtree(g.id)[1:]
        kids = [
            self.state.groups[i]
            for i in ids
            if self.state.can_see_group(req.viewer, self.state.groups[i])
        ]
        return self._groups_reply(req, kids)

    def _cached(self, req: Request, scope: tuple[Any, ...], build: Any) -> list[Project]:
        key = (
            req.viewer.id,
            self.state.version,
            len(self.state._steps),
            scope,
            tuple(sorted((k, v) for k, v in req.query if k not in _PAGING_KEYS)),
        )
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = build()
            if len(self._cache) > 64:
                self._cache.popitem(last=False)
        return hit

    def _ordered(self, req: Request, items: list[Project], default: str) -> list[Project]:
        order = req.choice("order_by", _PROJECT_ORDER, default)
        desc = req.choice("sort", ("asc", "desc"), "desc") == "desc"
        return sort_items(items, _project_key(order), desc)

    def group_projects(self, req: Request) -> Reply:
        """GET /groups/:id/projects with include_subgroups, with_shared, archived, simple."""
        g = self.ctx.group(req)

        def build() -> list[Project]:
            ids = set(self.state.subtree(g.id)) if req.flag("include_subgroups", False) else {g.id}
            shared = req.flag("with_shared", True)
            user = req.viewer
            items = [
                p
                for p in self.state.projects.values()
                if (
                    (p.namespace_kind == "group" and p.namespace_id in ids)
                    or (shared and any(s in ids for s in p.shared_with_group_ids))
                )
                and self.state.can_see_project(user, p)
            ]
            return self._ordered(req, _filter_projects(self.ctx, req, items), "created_at")

        items = self._cached(req, ("group", g.id), build)
        simple = bool(req.flag("simple", False))
        return self.ctx.page(req, items, lambda p: self.ctx.ser.project(p, simple, req.viewer))

    def projects(self, req: Request) -> Reply:
        """GET /projects with membership, last_activity_after and keyset pagination."""
        keyset = req.get("pagination") == "keyset"
        if keyset and req.get("order_by", "id") != "id":
            raise ApiError(405, {"error": "Keyset pagination is not supported for this order"})

        def build() -> list[Project]:
            user = req.viewer
            membership = req.flag("membership", False)
            items = [
                p
                for p in self.state.projects.values()
                if self.state.can_see_project(user, p)
                and (not membership or self.state.is_project_member(user, p))
            ]
            if req.flag("owned", False):
                items = [p for p in items if p.creator_id == user.id]
            return self._ordered(
                req, _filter_projects(self.ctx, req, items), "id" if keyset else "created_at"
            )

        items = self._cached(req, ("projects",), build)
        simple = bool(req.flag("simple", False))
        if keyset:
            desc = req.get("sort", "desc") == "desc"
            chunk, headers = keyset_page(items, req.query, req.base_url, lambda p: p.id, desc)
        else:
            chunk, headers = offset_page(
                items, req.query, req.base_url, total_limit=self.ctx.total_limit, max_offset=50_000
            )
        return Reply([self.ctx.ser.project(p, simple, req.viewer) for p in chunk], headers=headers)

    def project(self, req: Request) -> Reply:
        """GET /projects/:id (numeric id or URL-encoded path)."""
        return Reply(self.ctx.ser.project(self.ctx.project(req), viewer=req.viewer))
