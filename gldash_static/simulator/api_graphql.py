"""POST /api/graphql: the slice of GitLab's GraphQL schema a dashboard refresh asks for.

The schema is real GraphQL (graphql-core parses, validates and executes every query), so an
unknown field or a wrong argument type fails here as it fails on GitLab: HTTP 200 with an
`errors` list. Types, names and global IDs follow GitLab's GraphQL reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    build_schema,
    graphql_sync,
    parse,
    validate,
)

from gldash_static.gitlab import failure_reasons
from gldash_static.simulator import graphql_fast
from gldash_static.simulator.graphql_complexity import analyse
from gldash_static.simulator.graphql_environments import (
    CallCounts,
    EnvironmentFields,
    InternalServerError,
)
from gldash_static.simulator.graphql_paging import (
    connection,
    global_id,
    graphql_time,
    id_of,
    parse_time,
)
from gldash_static.simulator.graphql_sdl import SDL
from gldash_static.simulator.model import Job, Pipeline, Project, User
from gldash_static.simulator.routing import Context, Reply, Request, Router

# Status labels of lib/gitlab/ci/status/*.rb (`label`) where they differ from the status.
_LABELS = {"success": "passed", "waiting_for_resource": "waiting for resource"}

GRAPHQL_TEMPLATE = "/api/graphql"  # beside /api/v4, not below it
MAX_PAGE_SIZE = 100  # GitLab's default_max_page_size
# GitlabSchema's max complexity: anonymous, authenticated and administrator requests.
ANONYMOUS_COMPLEXITY, AUTHENTICATED_COMPLEXITY, ADMIN_COMPLEXITY = 200, 250, 300
ANONYMOUS_DEPTH, AUTHENTICATED_DEPTH = 15, 20  # GitlabSchema's max depth
MAX_QUERY_CHARS = 10_000  # GraphqlController::MAX_QUERY_SIZE
# GraphqlController#authorize_access_api!: a token that names no user.
INVALID_TOKEN = {"errors": [{"message": "Invalid token"}]}


def _schema() -> GraphQLSchema:
    # Time stays a string scalar and resolvers parse it: the scalar-hook API differs
    # between graphql-core 3.2 and 3.3.
    return build_schema(SDL)


@dataclass
class GraphqlLimits:
    """GitLab's GraphQL limits; tests lower them to exercise a client's paging and errors."""

    max_complexity: int | None = None  # None: GitLab's limit for the asking user
    page_size: int = MAX_PAGE_SIZE
    # Tests play a hostile or broken GitLab: the answer body passes through this and what
    # it returns is sent (a Reply as it is).
    rewrite: Callable[[dict[str, Any]], dict[str, Any] | Reply] | None = None

    def complexity_for(self, user: User | None) -> int:
        """GitlabSchema.max_query_complexity, unless a test set one for everybody."""
        if self.max_complexity is not None:
            return self.max_complexity
        if user is None:
            return ANONYMOUS_COMPLEXITY
        return ADMIN_COMPLEXITY if user.is_admin else AUTHENTICATED_COMPLEXITY


def _field(source: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    """graphql-core's default resolver without its generality: a quarter faster on the
    10,000 job nodes of a 100-project batch, where the simulator spent most of its time."""
    value = (
        source.get(info.field_name)
        if isinstance(source, Mapping)
        else getattr(source, info.field_name, None)
    )
    return value(info, **args) if callable(value) else value


class GraphqlRoutes:
    """The GraphQL endpoint, answering from the same state as the REST routes."""

    def __init__(self, ctx: Context, limits: GraphqlLimits) -> None:
        self.ctx = ctx
        self.state = ctx.state
        self.schema = _schema()
        self.limits = limits
        self.environments = EnvironmentFields(ctx.state, lambda: limits.page_size, self._job_node)

    def register(self, r: Router) -> None:
        """Add the endpoint."""
        r.add("POST", GRAPHQL_TEMPLATE, self.query, anonymous=True)

    def query(self, req: Request) -> Reply:
        """Execute one query document; errors come back as GitLab sends them (HTTP 200)."""
        source = req.body.get("query")
        if isinstance(source, str) and len(source) > MAX_QUERY_CHARS:
            # GraphqlController#limit_query_size raises an ArgumentError: HTTP 422.
            return Reply({"errors": [{"message": "Query too large"}]}, status=422)
        if not isinstance(source, str) or not source.strip():
            return Reply({"errors": [{"message": "No query string was present"}]})
        raw_variables = req.body.get("variables")
        variables = raw_variables if isinstance(raw_variables, dict) else None
        operation_name = req.body.get("operationName")
        operation_name = operation_name if isinstance(operation_name, str) else None
        try:
            document = parse(source)
            problems = validate(self.schema, document)
        except GraphQLError as exc:
            problems = [exc]
        if problems:
            return Reply({"errors": [{"message": p.message} for p in problems[:5]]})
        measured = analyse(self.schema, document, variables, self.limits.page_size, operation_name)
        limit = self.limits.complexity_for(req.user)
        max_depth = ANONYMOUS_DEPTH if req.user is None else AUTHENTICATED_DEPTH
        errors = []
        if measured.depth > max_depth:
            errors.append(
                f"Query has depth of {measured.depth}, which exceeds max depth of {max_depth}"
            )
        if measured.complexity > limit:
            errors.append(
                f"Query has complexity of {measured.complexity}, which exceeds max "
                f"complexity of {limit}"
            )
        if errors:
            return Reply({"errors": [{"message": m} for m in errors]})
        complexity = {"limit": limit, "score": measured.complexity}
        root = self._root(req.user, complexity, CallCounts())
        data = graphql_fast.execute(self.schema, document, root, variables, operation_name, _field)
        if data is not None:
            return self._reply({"data": data})
        result = graphql_sync(
            self.schema,
            source,
            # A fresh root: the fast path may have counted calls before it gave up.
            root_value=self._root(req.user, complexity, CallCounts()),
            variable_values=variables,
            operation_name=operation_name,
            field_resolver=_field,
        )
        if any(isinstance(e.original_error, InternalServerError) for e in result.errors or ()):
            # GraphqlController#handle_internal_error, outside development: no details.
            return Reply({"errors": [{"message": "Internal server error"}]}, status=500)
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [{"message": e.message, "path": e.path} for e in result.errors]
        return self._reply(body)

    def _reply(self, body: dict[str, Any]) -> Reply:
        rewritten = self.limits.rewrite(body) if self.limits.rewrite else body
        return rewritten if isinstance(rewritten, Reply) else Reply(rewritten)

    # --- resolvers ---------------------------------------------------------------------------

    def _root(
        self, user: User | None, complexity: dict[str, int], calls: CallCounts
    ) -> dict[str, Any]:
        return {
            "project": lambda _info, fullPath: self._find(user, fullPath, calls),
            "projects": lambda _info, **args: self._projects(user, args, calls),
            # QueryComplexityType: `limit` is the query's max complexity, `score` its own.
            "queryComplexity": complexity,
        }

    def _visible(self, user: User | None, p: Project | None) -> Project | None:
        if p is None:
            return None
        if user is None:
            return p if p.visibility == "public" else None
        return p if self.state.can_see_project(user, p) else None

    def _find(self, user: User | None, full_path: str, calls: CallCounts) -> Any:
        p = self._visible(user, self.state.find_project(full_path))
        return None if p is None else self._project(p, user, calls)

    def _projects(self, user: User | None, args: dict[str, Any], calls: CallCounts) -> Any:
        wanted: list[Project | None]
        if args.get("ids") is not None:
            ids = {id_of(gid, "Project") for gid in args["ids"]}
            wanted = [self.state.projects.get(i) for i in ids]
        elif args.get("fullPaths") is not None:
            wanted = [self.state.find_project(path) for path in args["fullPaths"]]
        else:
            wanted = list(self.state.projects.values())
        # Unknown and invisible projects are silently left out, as on GitLab.
        found = {p.id: p for p in (self._visible(user, w) for w in wanted) if p is not None}
        ordered = [found[i] for i in sorted(found, reverse=True)]
        return connection(
            ordered, args, lambda p: self._project(p, user, calls), self.limits.page_size
        )

    def _project(self, p: Project, user: User | None, calls: CallCounts) -> dict[str, Any]:
        return {
            "id": global_id("Project", p.id),
            "name": p.name,
            "nameWithNamespace": p.name_with_namespace,
            "path": p.path,
            "fullPath": p.path_with_namespace,
            "webUrl": f"{self.ctx.ser.web}/{p.path_with_namespace}",
            "visibility": p.visibility,
            "lastActivityAt": graphql_time(p.last_activity_at),
            "pipelines": lambda _info, **args: self._pipelines(p, args, user),
        } | self.environments.for_project(p, user, calls)

    def _pipelines(self, p: Project, args: dict[str, Any], user: User | None) -> Any:
        # Ci::PipelinesFinder answers "no access" with no pipelines, not an error.
        if p.empty_repo or user is None or not self.state.abilities(user, p).read_pipeline:
            return connection([], args, lambda pl: None, self.limits.page_size)
        status = args.get("status")
        after, before = (
            None if args.get(key) is None else parse_time(args[key])
            for key in ("updatedAfter", "updatedBefore")
        )
        # Inclusive bounds, as Ci::PipelinesFinder#by_updated_at (UpdatedAtFilterable's
        # `updated_at >= ?` and `<= ?`).
        items = [
            pl
            for pl in sorted(self.state.pipelines(p.id), key=lambda pl: -pl.id)
            if (status is None or pl.status == status.lower())
            and all(
                args.get(key) is None or getattr(pl, key) == args[key]
                for key in ("ref", "sha", "source")
            )
            and (after is None or pl.updated_at >= after)
            and (before is None or pl.updated_at <= before)
        ]
        return connection(
            items, args, lambda pl: self._pipeline(p, pl, user), self.limits.page_size
        )

    def _pipeline(self, p: Project, pl: Pipeline, user: User) -> dict[str, Any]:
        return {
            "id": global_id("Ci::Pipeline", pl.id),
            "iid": str(pl.iid),
            "status": pl.status.upper(),
            "ref": pl.ref,
            "sha": pl.sha,
            "source": pl.source,
            "createdAt": graphql_time(pl.created_at),
            "updatedAt": graphql_time(pl.updated_at),
            "startedAt": graphql_time(pl.started_at),
            "finishedAt": graphql_time(pl.finished_at),
            "duration": pl.duration,
            "queuedDuration": pl.queued_duration,
            "coverage": None if pl.coverage is None else float(pl.coverage),
            "path": f"/{p.path_with_namespace}/-/pipelines/{pl.id}",
            "user": lambda _info: self._user(pl.user_id),
            "jobs": lambda _info, **args: self._jobs(p, pl, args, user),
        }

    def _user(self, user_id: int) -> dict[str, Any] | None:
        u = self.state.users.get(user_id)
        return None if u is None else {"name": u.name, "username": u.username}

    def _job_node(self, p: Project, pipeline_id: int, job_id: int, user: User | None) -> Any:
        """A deployment's job, as Pipeline.jobs shows it; null for who may not read jobs."""
        if user is None or not self.state.abilities(user, p).read_build:
            return None
        pl = self.state.pipeline(p.id, pipeline_id)
        if pl is None:
            return None
        jobs = self.state.all_jobs(p.id, pl.id)
        stages = {name: n for n, name in enumerate(dict.fromkeys(j.stage for j in jobs), 1)}
        job = next((j for j in jobs if j.id == job_id), None)
        return None if job is None else self._job(p, pl, job, stages[job.stage])

    def _jobs(self, p: Project, pl: Pipeline, args: dict[str, Any], user: User) -> Any:
        """Pipeline.jobs: null without read_commit_status (the field's `authorize:`)."""
        if not self.state.abilities(user, p).read_build:
            return None
        # Resolvers::Ci::JobsResolver: `retried: true` the retried attempts only, `false`
        # the latest only, absent or null both; builds only (no bridges here).
        jobs = self.state.all_jobs(p.id, pl.id)
        # A stage's id is the pipeline's, whichever of its jobs a filter leaves.
        stages = {name: n for n, name in enumerate(dict.fromkeys(j.stage for j in jobs), 1)}
        retried = args.get("retried")
        if retried is not None:
            jobs = [j for j in jobs if j.retried is retried]
        if args.get("jobKind") == "BRIDGE":
            jobs = []
        statuses = args.get("statuses")
        if statuses:
            jobs = [j for j in jobs if j.status.upper() in statuses]
        newest_first = sorted(jobs, key=lambda j: -j.id)
        return connection(
            newest_first,
            args,
            lambda j: self._job(p, pl, j, stages[j.stage]),
            self.limits.page_size,
        )

    @staticmethod
    def _job(p: Project, pl: Pipeline, j: Job, stage: int) -> dict[str, Any]:
        label = _LABELS.get(j.status, j.status)
        tip, message = label, None
        if j.status == "failed":
            reason = j.failure_reason or "unknown_failure"
            label = "failed (allowed to fail)" if j.allow_failure else "failed"
            tip = failure_reasons.tooltip(reason, j.allow_failure)
            if reason == "unmet_prerequisites":  # failed_unmet_prerequisites.rb: no reason
                tip = "Failed"
            message = failure_reasons.callout(reason)  # BuildPresenter#failure_message
        if j.retried:  # Status::Build::Retried, the factory's last extension
            tip += " (retried)"
        return {
            "id": global_id("Ci::Build", j.id),
            "name": j.name,
            "status": j.status.upper(),
            "allowFailure": j.allow_failure,
            "createdAt": graphql_time(j.created_at),
            "startedAt": graphql_time(j.started_at),
            "finishedAt": graphql_time(j.finished_at),
            # CiJob.duration is an Int: graphql-ruby's Int#coerce_result truncates (to_i).
            "duration": None if j.duration is None else int(j.duration),
            "failureMessage": message,
            "queuedDuration": j.queued_duration,
            "retried": j.retried,
            "webPath": f"/{p.path_with_namespace}/-/jobs/{j.id}",
            "stage": {
                "id": global_id("Ci::Stage", pl.id * 100 + stage),
                "name": j.stage,
                "status": None,
            },
            "detailedStatus": {
                "id": f"{j.status}-{j.id}",
                "label": label,
                "name": j.status.upper(),
                "tooltip": tip,
            },
        }
