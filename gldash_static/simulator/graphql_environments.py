"""GraphQL's Project.environments, Project.environment and what an Environment holds.

Sources (gitlabhq): `app/graphql/types/project_type.rb` (`environments` with
Gitlab::Graphql::Limit::FieldCallCount at 1, `environment` from EnvironmentsResolver.single),
`resolvers/environments_resolver.rb` and `app/finders/environments/environments_finder.rb`
(name, search as a name or in-folder prefix, states, type), `types/environment_type.rb`
(`authorize :read_environment`; `deployments` limited to one environment a request;
`lastDeployment` from `resolvers/environments/last_deployment_resolver.rb`),
`resolvers/deployments_resolver.rb` with DeploymentsFinder, `types/deployment_type.rb`
(`authorize :read_deployment`, `job` is the deployable build, `triggerer` is `deployed_by`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError

from gldash_static.simulator import permissions
from gldash_static.simulator.api_environments import name_like
from gldash_static.simulator.deploys import FINISHED, UPCOMING, DeployState
from gldash_static.simulator.graphql_paging import connection, global_id, graphql_time
from gldash_static.simulator.model import Deployment, Environment, Project, User
from gldash_static.simulator.state import OrgState

ENVIRONMENT_STATES = ("available", "stopping", "stopped")  # Environment.valid_states
# (project, pipeline id, job id, asking user) -> the CiJob node, or None.
JobNode = Callable[[Project, int, int, User | None], Any]


class InternalServerError(Exception):
    """An exception GitLab does not rescue in a resolver: GraphqlController answers 500."""


class CallCounts:
    """Gitlab::Graphql::Limit::FieldCallCount: how often each limited field ran in a request."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()

    def hit(self, owner: str, field: str, limit: int = 1) -> None:
        """Count one resolution; past the limit GitLab raises a LimitError (an ExecutionError)."""
        self.calls[(owner, field)] += 1
        if self.calls[(owner, field)] > limit:
            raise GraphQLError(
                f'"{field}" field can be requested only for {limit} {owner}(s) at a time.'
            )


class EnvironmentFields:
    """Resolvers for the environment fields of one Project node."""

    def __init__(self, state: OrgState, page_size: Callable[[], int], job: JobNode) -> None:
        self.state = state
        self.page_size = page_size
        self.job = job

    def for_project(self, p: Project, user: User | None, calls: CallCounts) -> dict[str, Any]:
        """The `environments` and `environment` fields of a Project node."""

        def many(_info: Any, **args: Any) -> Any:
            calls.hit("Project", "environments")
            # The connection orders by id, newest first, when the finder sets no order.
            found = sorted(self._find(p, user, args), key=lambda e: -e.id)
            return connection(
                found, args, lambda e: self._node(p, e, user, calls), self.page_size()
            )

        def one(_info: Any, **args: Any) -> Any:
            # `.single` takes the relation's `first`: the lowest id.
            found = sorted(self._find(p, user, args), key=lambda e: e.id)
            return self._node(p, found[0], user, calls) if found else None

        return {"environments": many, "environment": one}

    def _readable(self, p: Project, user: User | None) -> bool:
        if user is None:
            return permissions.read_environment(None, p, 0)
        return self.state.abilities(user, p).read_environment

    def _find(self, p: Project, user: User | None, args: dict[str, Any]) -> list[Environment]:
        """Environments::EnvironmentsFinder; the type's authorization leaves out the rest."""
        states = args.get("states")
        if states and any(s not in ENVIRONMENT_STATES for s in states):
            raise GraphQLError("Requested states are invalid")
        if p.empty_repo or not self._readable(p, user):
            return []
        name, search, kind = args.get("name"), args.get("search"), args.get("type")
        return [
            e
            for e in self.state.deploy_state(p.id).environments
            if (not name or e.name == name)
            and (not search or name_like(e, search))
            and (not kind or _folder(e) == kind)
            and (not states or e.state in states)
        ]

    def _node(
        self, p: Project, e: Environment, user: User | None, calls: CallCounts
    ) -> dict[str, Any]:
        found = self.state.deploy_state(p.id)

        def last(_info: Any, status: str) -> Any:
            chosen = _last_deployment(found, e, status.lower())
            return None if chosen is None else self._deployment(p, chosen, user)

        def deployments(_info: Any, **args: Any) -> Any:
            calls.hit("Environment", "deployments")
            items = _deployments(found, e, args)
            return connection(items, args, lambda d: self._deployment(p, d, user), self.page_size())

        return {
            "id": global_id("Environment", e.id),
            "name": e.name,
            "slug": e.slug,
            "state": e.state,
            "tier": e.tier.upper(),
            "externalUrl": e.external_url,
            "environmentType": _folder(e),
            # EnvironmentPresenter#path: project_environment_path.
            "path": f"/{p.path_with_namespace}/-/environments/{e.id}",
            "description": e.description,
            "createdAt": graphql_time(e.created_at),
            "updatedAt": graphql_time(e.updated_at),
            "autoStopAt": graphql_time(e.auto_stop_at),
            "lastDeployment": last,
            "deployments": deployments,
        }

    def _deployment(self, p: Project, d: Deployment, user: User | None) -> dict[str, Any]:
        u = self.state.users.get(d.user_id)

        def job(_info: Any) -> Any:
            if d.job_id is None or d.pipeline_id is None:
                return None  # created through the API: no deployable
            return self.job(p, d.pipeline_id, d.job_id, user)

        return {
            "id": global_id("Deployment", d.id),
            "iid": str(d.iid),
            "ref": d.ref,
            "sha": d.sha,
            "tag": d.tag,
            "status": d.status.upper(),
            "createdAt": graphql_time(d.created_at),
            "updatedAt": graphql_time(d.updated_at),
            "finishedAt": graphql_time(d.finished_at),
            "triggerer": None if u is None else {"name": u.name, "username": u.username},
            "job": job,
        }


def _folder(e: Environment) -> str | None:
    """Environment#set_environment_type: the first part of a name with a `/`."""
    parts = e.name.split("/")
    return parts[0] if len(parts) > 1 else None


def _last_deployment(found: DeployState, e: Environment, status: str) -> Deployment | None:
    """LastDeploymentResolver: `last_<status>_deployment`, by finished_at or (upcoming) by id."""
    if status not in FINISHED and status not in UPCOMING:
        raise GraphQLError(f'"{status}" status is not supported.')
    mine = [d for d in found.of(e.id) if d.status == status]
    if not mine:
        return None
    if status in FINISHED:
        return max(mine, key=lambda d: (d.finished_at or d.updated_at, d.id))
    return max(mine, key=lambda d: d.id)


def _deployments(found: DeployState, e: Environment, args: dict[str, Any]) -> list[Deployment]:
    """DeploymentsResolver: DeploymentsFinder over one environment, in its order."""
    order_by = args.get("orderBy")
    column = direction = None
    if order_by is not None:
        given = {k: v for k, v in order_by.items() if k in ("createdAt", "finishedAt")}
        if len(given) != 1:  # DeploymentsOrderByInputType#prepare
            raise GraphQLError("orderBy parameter must contain one key-value pair.")
        column, direction = next(iter(given.items()))
    statuses = [s.lower() for s in args.get("statuses") or []]
    finished = FINISHED.intersection(statuses)
    # DeploymentsFinder#validate! raises InefficientQueryError, which nothing rescues.
    if column == "finishedAt" and not finished:
        raise InternalServerError("`finished_at` sort requires a finished status")
    if finished and UPCOMING.intersection(statuses):
        raise InternalServerError("finished and upcoming statuses queried together")
    items = [d for d in found.of(e.id) if not statuses or d.status in statuses]
    desc = direction == "DESC"
    if column == "finishedAt":
        # finished_at, then the connection's own tie-breaker: id, descending.
        by_id = sorted(items, key=lambda d: -d.id)
        return sorted(by_id, key=lambda d: d.finished_at or d.updated_at, reverse=desc)
    return sorted(items, key=lambda d: d.id, reverse=desc)  # createdAt sorts as id
