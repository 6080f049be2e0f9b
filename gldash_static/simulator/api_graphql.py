"""POST /api/graphql: the slice of GitLab's GraphQL schema a dashboard refresh asks for.

The schema is real GraphQL (graphql-core parses, validates and executes every query), so an
unknown field or a wrong argument type fails here as it fails on GitLab: HTTP 200 with an
`errors` list. Types, names and global IDs follow GitLab's GraphQL reference.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    build_schema,
    get_named_type,
    graphql_sync,
    parse,
    validate,
)

from gldash_static.simulator.model import Pipeline, Project, User
from gldash_static.simulator.routing import Context, Reply, Request, Router
from gldash_static.simulator.serialize import ts

GRAPHQL_TEMPLATE = "/api/graphql"  # beside /api/v4, not below it
MAX_PAGE_SIZE = 100  # GitLab's max_page_size
MAX_COMPLEXITY = 250  # GitLab's limit for authenticated requests
MAX_QUERY_CHARS = 10_000  # GitLab rejects longer query strings

SDL = """
scalar Time

enum PipelineStatusEnum {
  CREATED WAITING_FOR_RESOURCE PREPARING WAITING_FOR_CALLBACK PENDING RUNNING
  FAILED SUCCESS CANCELED CANCELING SKIPPED MANUAL SCHEDULED
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type Pipeline {
  id: ID!
  iid: String!
  status: PipelineStatusEnum!
  ref: String
  sha: String
  source: String
  createdAt: Time!
  updatedAt: Time!
}

type PipelineConnection {
  count: Int!
  nodes: [Pipeline]
  pageInfo: PageInfo!
}

type Project {
  id: ID!
  name: String!
  fullPath: ID!
  lastActivityAt: Time
  pipelines(
    status: PipelineStatusEnum, ref: String, sha: String,
    updatedAfter: Time, updatedBefore: Time,
    first: Int, after: String
  ): PipelineConnection
}

type ProjectConnection {
  count: Int!
  nodes: [Project]
  pageInfo: PageInfo!
}

type UserCore {
  id: ID!
  username: String!
}

type Query {
  currentUser: UserCore
  project(fullPath: ID!): Project
  projects(ids: [ID!], fullPaths: [String!], first: Int, after: String): ProjectConnection
}
"""


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise GraphQLError("Time must be an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise GraphQLError(f"{value!r} is not a valid ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _schema() -> GraphQLSchema:
    # Time stays a string scalar and resolvers parse it: the scalar-hook API differs
    # between graphql-core 3.2 and 3.3.
    return build_schema(SDL)


def global_id(kind: str, number: int) -> str:
    """GitLab's global ID, e.g. `gid://gitlab/Project/12`."""
    return f"gid://gitlab/{kind}/{number}"


def _id_of(gid: str, kind: str) -> int:
    prefix = f"gid://gitlab/{kind}/"
    if not gid.startswith(prefix) or not gid[len(prefix) :].isdigit():
        raise GraphQLError(f"{gid!r} is not a valid ID for {kind}.")
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


def _connection(
    items: Sequence[Any], args: dict[str, Any], node: Callable[[Any], Any], page_size: int
) -> Any:
    """A GitLab connection over `items`: `first` capped at the page size, opaque cursors."""
    first = args.get("first")
    size = page_size if first is None else max(0, min(int(first), page_size))
    start = _offset(args.get("after"))
    chunk = items[start : start + size]
    end = start + len(chunk)
    return {
        "count": len(items),
        "nodes": [node(item) for item in chunk],
        "pageInfo": {
            "hasNextPage": end < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": _cursor(start) if chunk else None,
            "endCursor": _cursor(end) if chunk else None,
        },
    }


@dataclass
class GraphqlLimits:
    """GitLab's GraphQL limits; tests lower them to exercise a client's paging and errors."""

    max_complexity: int = MAX_COMPLEXITY
    page_size: int = MAX_PAGE_SIZE


class GraphqlRoutes:
    """The GraphQL endpoint, answering from the same state as the REST routes."""

    def __init__(self, ctx: Context, limits: GraphqlLimits) -> None:
        self.ctx = ctx
        self.state = ctx.state
        self.schema = _schema()
        self.limits = limits

    def register(self, r: Router) -> None:
        """Add the endpoint."""
        r.add("POST", GRAPHQL_TEMPLATE, self.query, anonymous=True)

    def query(self, req: Request) -> Reply:
        """Execute one query document; errors come back as GitLab sends them (HTTP 200)."""
        source = req.body.get("query")
        if not isinstance(source, str) or not source.strip():
            return Reply({"errors": [{"message": "No query string was present"}]})
        if len(source) > MAX_QUERY_CHARS:
            return Reply({"errors": [{"message": "Query too large"}]})
        variables = req.body.get("variables")
        try:
            document = parse(source)
            problems = validate(self.schema, document)
        except GraphQLError as exc:
            problems = [exc]
        if problems:
            return Reply({"errors": [{"message": p.message} for p in problems]})
        cost = complexity(self.schema, document, variables, self.limits.page_size)
        if cost > self.limits.max_complexity:
            message = (
                f"Query has complexity of {cost}, which exceeds max complexity of "
                f"{self.limits.max_complexity}"
            )
            return Reply({"errors": [{"message": message}]})
        result = graphql_sync(
            self.schema,
            source,
            root_value=self._root(req.user),
            variable_values=variables if isinstance(variables, dict) else None,
            operation_name=req.body.get("operationName"),
        )
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [{"message": e.message, "path": e.path} for e in result.errors]
        return Reply(body)

    # --- resolvers ---------------------------------------------------------------------------

    def _root(self, user: User | None) -> dict[str, Any]:
        return {
            "currentUser": (
                None
                if user is None
                else {"id": global_id("User", user.id), "username": user.username}
            ),
            "project": lambda _info, fullPath: self._find(user, fullPath),
            "projects": lambda _info, **args: self._projects(user, args),
        }

    def _visible(self, user: User | None, p: Project | None) -> Project | None:
        if p is None:
            return None
        if user is None:
            return p if p.visibility == "public" else None
        return p if self.state.can_see_project(user, p) else None

    def _find(self, user: User | None, full_path: str) -> Any:
        p = self._visible(user, self.state.find_project(full_path))
        return None if p is None else self._project(p, user)

    def _projects(self, user: User | None, args: dict[str, Any]) -> Any:
        wanted: list[Project | None]
        if args.get("ids") is not None:
            ids = {_id_of(gid, "Project") for gid in args["ids"]}
            wanted = [self.state.projects.get(i) for i in ids]
        elif args.get("fullPaths") is not None:
            wanted = [self.state.find_project(path) for path in args["fullPaths"]]
        else:
            wanted = list(self.state.projects.values())
        # Unknown and invisible projects are silently left out, as on GitLab.
        found = {p.id: p for p in (self._visible(user, w) for w in wanted) if p is not None}
        ordered = [found[i] for i in sorted(found, reverse=True)]
        return _connection(ordered, args, lambda p: self._project(p, user), self.limits.page_size)

    def _project(self, p: Project, user: User | None) -> dict[str, Any]:
        return {
            "id": global_id("Project", p.id),
            "name": p.name,
            "fullPath": p.path_with_namespace,
            "lastActivityAt": ts(p.last_activity_at),
            "pipelines": lambda _info, **args: self._pipelines(p, args, user),
        }

    def _pipelines(self, p: Project, args: dict[str, Any], user: User | None) -> Any:
        # GitLab answers "no access" with an empty connection, not an error.
        if p.empty_repo or user is None or not self.state.can_use_feature(user, p, "builds"):
            return _connection([], args, self._pipeline, self.limits.page_size)
        status = args.get("status")
        after, before = (
            None if args.get(key) is None else _parse_time(args[key])
            for key in ("updatedAfter", "updatedBefore")
        )
        items = [
            pl
            for pl in sorted(self.state.pipelines(p.id), key=lambda pl: -pl.id)
            if (status is None or pl.status == status.lower())
            and (args.get("ref") is None or pl.ref == args["ref"])
            and (args.get("sha") is None or pl.sha == args["sha"])
            and (after is None or pl.updated_at > after)
            and (before is None or pl.updated_at < before)
        ]
        return _connection(items, args, self._pipeline, self.limits.page_size)

    @staticmethod
    def _pipeline(pl: Pipeline) -> dict[str, Any]:
        return {
            "id": global_id("Ci::Pipeline", pl.id),
            "iid": str(pl.iid),
            "status": pl.status.upper(),
            "ref": pl.ref,
            "sha": pl.sha,
            "source": pl.source,
            "createdAt": ts(pl.created_at),
            "updatedAt": ts(pl.updated_at),
        }


def complexity(
    schema: GraphQLSchema, document: DocumentNode, variables: Any, page_size: int
) -> int:
    """GitLab's query complexity, approximately: 1 a field plus its children, and a
    connection costs 1 % more for every item it may return (so `first: 100` doubles it)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    values = variables if isinstance(variables, dict) else {}

    def limit(field: FieldNode) -> int:
        for arg in field.arguments or ():
            if arg.name.value != "first":
                continue
            value: Any = None
            if isinstance(arg.value, IntValueNode):
                value = int(arg.value.value)
            elif isinstance(arg.value, VariableNode):
                value = values.get(arg.value.name.value)
            if isinstance(value, int):
                return max(0, min(value, page_size))
        return page_size

    def cost(selection_set: SelectionSetNode | None, parent: GraphQLObjectType) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                total += cost(fragment.selection_set if fragment else None, parent)
            elif isinstance(selection, InlineFragmentNode):
                total += cost(selection.selection_set, parent)
            elif isinstance(selection, FieldNode) and selection.name.value in parent.fields:
                kind = get_named_type(parent.fields[selection.name.value].type)
                child = (
                    cost(selection.selection_set, kind)
                    if isinstance(kind, GraphQLObjectType)
                    else 0
                )
                here = 1 + child
                if kind.name.endswith("Connection"):
                    here += here * limit(selection) // 100
                total += here
        return total

    query = schema.query_type
    assert query is not None
    return sum(
        cost(d.selection_set, query)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )
