"""Routes for a project's environments and deployments, as `lib/api/environments.rb` and
`lib/api/deployments.rb` serve them (filters and errors from `Environments::EnvironmentsFinder`
and `DeploymentsFinder`, in gitlabhq)."""

from __future__ import annotations

from datetime import datetime

from gldash_static.simulator.deploys import FINISHED, UPCOMING
from gldash_static.simulator.errors import ApiError, not_found
from gldash_static.simulator.model import Deployment, Environment
from gldash_static.simulator.pagination import single_column_order
from gldash_static.simulator.permissions import READ_ENVIRONMENT
from gldash_static.simulator.routing import Context, Reply, Request, Router
from gldash_static.simulator.serialize_deploy import (
    DeploySerializer,
    basic_project,
    last_deployment,
)

MIN_SEARCH_LENGTH = 3  # API::Environments::MIN_SEARCH_LENGTH
ENVIRONMENT_STATES = ("available", "stopping", "stopped")  # Environment.valid_states
# Deployment.statuses; DeploymentsFinder::ALLOWED_SORT_VALUES (no `ref` any more).
DEPLOYMENT_STATUSES = ("created", "running", "success", "failed", "canceled", "skipped", "blocked")
DEPLOYMENT_ORDER = ("id", "iid", "created_at", "updated_at", "finished_at")


def name_like(e: Environment, query: str) -> bool:
    """`for_name_like` or `for_name_like_within_folder`: a case-insensitive prefix."""
    q = query.lower()
    folder = e.name.split("/", 1)[1] if "/" in e.name else e.name
    return e.name.lower().startswith(q) or folder.lower().startswith(q)


def _int_param(req: Request, key: str) -> int:
    raw = req.params[key]
    if not raw.isdigit():
        raise ApiError(400, {"error": f"{key} is invalid"})
    return int(raw)


def _bad_request(reason: str) -> ApiError:
    """`bad_request!(reason)`: `{"message": "400 Bad request - <reason>"}`."""
    return ApiError(400, {"message": f"400 Bad request - {reason}"})


class EnvironmentRoutes:
    """Handlers for /projects/:id/environments... and /projects/:id/deployments..."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.state = ctx.state
        self.bodies = DeploySerializer(ctx.state, ctx.ser)

    def register(self, r: Router) -> None:
        """Add this module's routes."""
        r.add("GET", "/projects/:id/environments", self.environments)
        r.add("GET", "/projects/:id/environments/:environment_id", self.environment)
        r.add("GET", "/projects/:id/deployments", self.deployments)
        r.add("GET", "/projects/:id/deployments/:deployment_id", self.deployment)

    def environments(self, req: Request) -> Reply:
        """GET /projects/:id/environments with name, search and states."""
        # Grape validates the parameters before the endpoint runs.
        name, search, states = req.get("name"), req.get("search"), req.get("states")
        if name is not None and search is not None:
            raise ApiError(400, {"error": "name, search cannot be used together"})
        if states is not None and states not in ENVIRONMENT_STATES:
            raise ApiError(400, {"error": "states does not have a valid value"})
        p = self.ctx.project(req, "id", READ_ENVIRONMENT)
        if search and len(search) < MIN_SEARCH_LENGTH:
            raise _bad_request(f"Search query is less than {MIN_SEARCH_LENGTH} characters")
        items = [
            e
            for e in self.state.deploy_state(p.id).environments
            if (not name or e.name == name)
            and (not search or name_like(e, search))
            and (not states or e.state == states)
        ]
        project = basic_project(self.ctx.ser, p, req.viewer)
        # Offset pagination orders by id when the finder does not (`add_default_order`).
        return self.ctx.page(req, items, lambda e: self.bodies.environment_item(e, project))

    def environment(self, req: Request) -> Reply:
        """GET /projects/:id/environments/:environment_id, with its last deployment."""
        env_id = _int_param(req, "environment_id")
        p = self.ctx.project(req, "id", READ_ENVIRONMENT)
        found = self.state.deploy_state(p.id)
        env = found.environment(env_id)
        if env is None:
            raise not_found()
        return Reply(self.bodies.environment_single(env, last_deployment(found, env)))

    def deployments(self, req: Request) -> Reply:
        """GET /projects/:id/deployments, filtered and ordered as DeploymentsFinder does."""
        order = req.choice("order_by", DEPLOYMENT_ORDER, "id")
        desc = req.choice("sort", ("asc", "desc"), "asc") == "desc"
        status = req.get("status")
        if status is not None and status not in DEPLOYMENT_STATUSES:
            raise ApiError(400, {"error": "status does not have a valid value"})
        u_after, u_before = req.time("updated_after"), req.time("updated_before")
        f_after, f_before = req.time("finished_after"), req.time("finished_before")
        environment = req.get("environment")
        p = self.ctx.project(req, "id", READ_ENVIRONMENT)
        by_updated = u_after is not None or u_before is not None
        by_finished = f_after is not None or f_before is not None
        _validate(order, status, by_updated, by_finished)
        found = self.state.deploy_state(p.id)
        env_id = None
        if environment:
            env_id = next((e.id for e in found.environments if e.name == environment), -1)
        items = [
            d
            for d in found.deployments
            if (env_id is None or d.environment_id == env_id)
            and (status is None or d.status == status)
            and _within(d.updated_at, u_after, u_before, inclusive_end=True)
            and (not by_finished or _within(d.finished_at, f_after, f_before, inclusive_end=False))
        ]
        envs = {e.id: e for e in found.environments}

        def render(d: Deployment) -> object:
            return self.bodies.deployment(d, envs[d.environment_id])

        return self.ctx.page(req, _ordered(items, order, desc, by_updated, req), render)

    def deployment(self, req: Request) -> Reply:
        """GET /projects/:id/deployments/:deployment_id (its id, not its iid)."""
        dep_id = _int_param(req, "deployment_id")
        p = self.ctx.project(req, "id", READ_ENVIRONMENT)
        found = self.state.deploy_state(p.id)
        d = next((d for d in found.deployments if d.id == dep_id), None)
        env = None if d is None else found.environment(d.environment_id)
        if d is None or env is None:
            raise not_found()
        return Reply(self.bodies.deployment(d, env))


def _validate(order: str, status: str | None, by_updated: bool, by_finished: bool) -> None:
    """DeploymentsFinder#validate!, in its order; API::Deployments answers each with 400."""
    if by_updated and by_finished:
        raise _bad_request("Both `updated_at` filter and `finished_at` filter can not be specified")
    if by_updated and order != "updated_at":
        raise _bad_request("`updated_at` filter requires `updated_at` sort")
    if by_finished and order != "finished_at":
        raise _bad_request("`finished_at` filter requires `finished_at` sort.")
    statuses = [status] if status else []
    if order == "finished_at" and not (by_finished or FINISHED.intersection(statuses)):
        raise _bad_request(
            "`finished_at` sort requires `finished_at` filter or a filter with at least one "
            "of the finished statuses."
        )
    if by_finished and statuses != ["success"]:
        raise _bad_request("`finished_at` filter must be combined with `success` status filter.")
    if FINISHED.intersection(statuses) and UPCOMING.intersection(statuses):
        raise _bad_request("finished statuses and upcoming statuses must be separately queried.")


def _within(
    at: datetime | None, after: datetime | None, before: datetime | None, *, inclusive_end: bool
) -> bool:
    """`updated_after`/`updated_before` (>=, <=, UpdatedAtFilterable) or `finished_after`
    (>=) and `finished_before` (<, Deployment.finished_before)."""
    if after is None and before is None:
        return True
    if at is None:
        return False
    if after is not None and at < after:
        return False
    return before is None or (at <= before if inclusive_end else at < before)


def _ordered(
    items: list[Deployment], order: str, desc: bool, by_updated: bool, req: Request
) -> list[Deployment]:
    """DeploymentsFinder#optimize_sort_params!: created_at and iid sort as id; updated_at with
    id as the tie-breaker; finished_at alone, so ties fall as the database returns them."""
    if by_updated:
        order = "updated_at"
    if order in ("id", "iid", "created_at"):
        return sorted(items, key=lambda d: d.id, reverse=desc)
    if order == "updated_at":
        return sorted(items, key=lambda d: (d.updated_at, d.id), reverse=desc)
    return single_column_order(items, lambda d: d.finished_at, lambda d: d.id, desc, req.query)
