"""GitLab's GraphQL query complexity and depth, computed over the query AST before execution.

GitLab (`app/graphql/types/base_field.rb`, `app/graphql/resolvers/base_resolver.rb`) replaces
graphql-ruby's own connection rule with its own:

- a plain field costs 1 (`DEFAULT_COMPLEXITY`), 2 if it `calls_gitaly`, or the positive
  `complexity:` it declares, plus its children;
- a field backed by a resolver costs its children plus the resolver's complexity (1, +1 with
  `sort`, +5 with `search`, plus what the resolver adds), +1 if it calls Gitaly; a connection
  then adds `cost * min(first, last, max page size) * multiplier` (multiplier 0.01, 0 when
  `iid`/`iids` is given), truncated to an integer.

graphql-ruby merges selections of one response key (also through fragments) before it asks a
field for its cost, and skips `@skip`/`@include`d fields; so does this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    get_named_type,
    get_variable_values,
)
from graphql.execution.values import get_argument_values, get_directive_values

DEFAULT_COMPLEXITY = 1  # Types::BaseField::DEFAULT_COMPLEXITY
DEFAULT_MULTIPLIER = 0.01  # BaseResolver.complexity_multiplier: 100 items double the cost

Args = Mapping[str, Any]


@dataclass(frozen=True)
class FieldRule:
    """How GitLab declares one field, as far as complexity goes."""

    source: str  # where GitLab declares it (path in gitlabhq), for the reader
    resolver: bool = False  # backed by a resolver class: complexity is computed from args
    calls_gitaly: bool = False
    extra: Callable[[Args], int] | None = None  # the resolver's own `resolver_complexity` adds


def _pipeline_filters(args: Args) -> int:
    # ResolvesPipelines.resolver_complexity: filtering by sha or ref costs 2 each.
    return 2 * (args.get("sha") is not None) + 2 * (args.get("ref") is not None)


# Fields not listed are plain fields without `calls_gitaly` (complexity 1 plus children),
# which is what GitLab declares for every other field the simulator serves.
RULES: dict[tuple[str, str], FieldRule] = {
    ("Query", "project"): FieldRule(
        "app/graphql/types/query_type.rb, app/graphql/resolvers/project_resolver.rb",
        resolver=True,
    ),
    ("Query", "projects"): FieldRule(
        "app/graphql/types/query_type.rb, app/graphql/resolvers/projects_resolver.rb",
        resolver=True,
    ),
    ("Pipeline", "jobs"): FieldRule(
        "app/graphql/types/ci/pipeline_type.rb (resolver: Resolvers::Ci::JobsResolver)",
        resolver=True,
    ),
    ("Project", "environments"): FieldRule(
        "app/graphql/types/project_type.rb (resolver: Resolvers::EnvironmentsResolver)",
        resolver=True,
    ),
    ("Project", "environment"): FieldRule(
        "app/graphql/types/project_type.rb (resolver: Resolvers::EnvironmentsResolver.single)",
        resolver=True,
    ),
    ("Environment", "deployments"): FieldRule(
        "app/graphql/types/environment_type.rb (resolver: Resolvers::DeploymentsResolver)",
        resolver=True,
    ),
    ("Environment", "lastDeployment"): FieldRule(
        "app/graphql/types/environment_type.rb "
        "(resolver: Resolvers::Environments::LastDeploymentResolver)",
        resolver=True,
    ),
    ("Project", "pipelines"): FieldRule(
        "app/graphql/resolvers/ci/project_pipelines_resolver.rb, "
        "app/graphql/resolvers/concerns/resolves_pipelines.rb (calls_gitaly!)",
        resolver=True,
        calls_gitaly=True,
        extra=_pipeline_filters,
    ),
}


def base_resolver_complexity(args: Args) -> int:
    """BaseResolver.resolver_complexity: 1, +1 with `sort`, +5 with `search`."""
    return 1 + (args.get("sort") is not None) + 5 * (args.get("search") is not None)


def complexity_multiplier(args: Args) -> float:
    """BaseResolver.complexity_multiplier: none when asking for specific iids."""
    return (
        0.0 if args.get("iid") is not None or args.get("iids") is not None else DEFAULT_MULTIPLIER
    )


def resolver_field_complexity(
    child: int,
    args: Args,
    *,
    resolver_complexity: int,
    calls_gitaly: bool,
    connection: bool,
    page_size: int,
    multiplier: float,
) -> int:
    """BaseField#field_resolver_complexity, step by step (Ruby's float maths and `to_i`)."""
    cost: float = child + resolver_complexity
    if calls_gitaly:
        cost += 1
    if connection:
        limits = [v for v in (args.get("first"), args.get("last"), page_size) if v is not None]
        cost += cost * (min(limits) * multiplier)
    return int(cost)


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: Any  # graphql-core's coerced variables (a dict in 3.2, VariableValues in 3.3)
    page_size: int

    def included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (skip and skip.get("if") is True) and not (
            include and include.get("if") is False
        )

    def collect(
        self, sets: Iterable[SelectionSetNode], parent: GraphQLObjectType, seen: set[str]
    ) -> dict[str, list[FieldNode]]:
        """Fields by response key, through fragments whose type condition applies."""
        out: dict[str, list[FieldNode]] = {}
        for selection_set in sets:
            for sel in selection_set.selections:
                if not self.included(sel):
                    continue
                if isinstance(sel, FieldNode):
                    key = sel.alias.value if sel.alias else sel.name.value
                    out.setdefault(key, []).append(sel)
                    continue
                inner: SelectionSetNode | None = None
                condition = None
                if isinstance(sel, InlineFragmentNode):
                    inner, condition = sel.selection_set, sel.type_condition
                elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
                    fragment = self.fragments.get(sel.name.value)
                    if fragment is not None:
                        seen = seen | {sel.name.value}
                        inner, condition = fragment.selection_set, fragment.type_condition
                if inner is None or (condition and condition.name.value != parent.name):
                    continue  # the simulator's schema has no interfaces or unions
                for key, nodes in self.collect([inner], parent, seen).items():
                    out.setdefault(key, []).extend(nodes)
        return out

    def field_def(self, parent: GraphQLObjectType, name: str) -> GraphQLField | None:
        if name == "__typename":
            return TypeNameMetaFieldDef
        if parent is self.schema.query_type and name in ("__schema", "__type"):
            return SchemaMetaFieldDef if name == "__schema" else TypeMetaFieldDef
        found: GraphQLField | None = parent.fields.get(name)
        return found

    def cost(self, sets: Iterable[SelectionSetNode], parent: GraphQLObjectType) -> int:
        total = 0
        for nodes in self.collect(sets, parent, set()).values():
            name = nodes[0].name.value
            definition = self.field_def(parent, name)
            if definition is None:
                continue  # validation reports it
            named = get_named_type(definition.type)
            children = [n.selection_set for n in nodes if n.selection_set is not None]
            child = self.cost(children, named) if isinstance(named, GraphQLObjectType) else 0
            total += self.field_cost(parent, name, definition, nodes[0], child)
        return total

    def field_cost(
        self,
        parent: GraphQLObjectType,
        name: str,
        definition: GraphQLField,
        node: FieldNode,
        child: int,
    ) -> int:
        rule = RULES.get((parent.name, name))
        if rule is None or not rule.resolver:
            gitaly = rule is not None and rule.calls_gitaly
            return DEFAULT_COMPLEXITY + gitaly + child
        try:
            args = get_argument_values(definition, node, self.variables)
        except GraphQLError:
            return child  # graphql-ruby: arguments that do not coerce cost only the children
        extra = rule.extra(args) if rule.extra else 0
        return resolver_field_complexity(
            child,
            args,
            resolver_complexity=base_resolver_complexity(args) + extra,
            calls_gitaly=rule.calls_gitaly,
            connection=get_named_type(definition.type).name.endswith("Connection"),
            page_size=self.page_size,
            multiplier=complexity_multiplier(args),
        )

    def depth(self, sets: Iterable[SelectionSetNode], parent: GraphQLObjectType) -> int:
        deepest = 0
        for nodes in self.collect(sets, parent, set()).values():
            definition = self.field_def(parent, nodes[0].name.value)
            if definition is None:
                continue
            named = get_named_type(definition.type)
            children = [n.selection_set for n in nodes if n.selection_set is not None]
            below = self.depth(children, named) if isinstance(named, GraphQLObjectType) else 0
            deepest = max(deepest, 1 + below)
        return deepest


@dataclass(frozen=True)
class Analysis:
    """What GitLab's analyzers measure of one operation before running it."""

    complexity: int
    depth: int


def operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs: the named one, or the only one."""
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        return next((o for o in ops if o.name and o.name.value == name), None)
    return ops[0] if len(ops) == 1 else None


def analyse(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    page_size: int,
    operation_name: str | None = None,
) -> Analysis:
    """Complexity and depth of the operation a request selects (0 when there is none)."""
    op = operation(document, operation_name)
    query = schema.query_type
    if op is None or query is None or op.operation.value != "query":
        return Analysis(0, 0)
    coerced = get_variable_values(schema, op.variable_definitions or (), dict(variables or {}))
    values = None if isinstance(coerced, list) else coerced  # errors: as if none were given
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(schema, fragments, values, page_size)
    return Analysis(walk.cost([op.selection_set], query), walk.depth([op.selection_set], query))
