"""A fast path for the simulator's GraphQL answers; graphql-core answers everything else.

graphql-core spends about 20 µs on each field it resolves, and a 100-project batch of the
fetch's pipelines query resolves some 150,000: three seconds of one core for an answer the
test double could give in a fraction of that, so a benchmark measured the simulator instead
of the client. This executor walks the same parsed and validated document over the same
resolvers, and coerces arguments and variables with graphql-core's own functions, but only
for plain queries: fields (with aliases and arguments) of object, list, non-null and leaf
types. Anything else (fragments, directives, introspection, abstract types, a null in a
non-null field, an error in a resolver) raises Unsupported, and the caller lets graphql-core
execute the whole document again from scratch, so every answer is graphql-core's answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    is_leaf_type,
)
from graphql.execution.values import get_argument_values, get_variable_values

Resolver = Callable[..., Any]


class Unsupported(Exception):
    """Something the fast path does not do; graphql-core answers instead."""


class FieldInfo(NamedTuple):
    """The part of GraphQLResolveInfo the simulator's resolvers read."""

    field_name: str


class _Step(NamedTuple):
    key: str  # the response key: the alias, else the field's name
    info: FieldInfo
    field: Any  # GraphQLField
    node: FieldNode


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != len(document.definitions):
        raise Unsupported("fragment definitions")
    chosen = [o for o in operations if name is None or (o.name and o.name.value == name)]
    if len(chosen) != 1 or chosen[0].operation != OperationType.QUERY:
        raise Unsupported("not exactly one query")
    return chosen[0]


class _Executor:
    def __init__(self, resolver: Resolver, variables: Any) -> None:
        self.resolver = resolver
        self.variables = variables
        self.plans: dict[tuple[int, str], list[_Step]] = {}

    def plan(self, parent: GraphQLObjectType, selections: SelectionSetNode) -> list[_Step]:
        """The fields of one selection set, checked once however many objects it selects."""
        key = (id(selections), parent.name)
        found = self.plans.get(key)
        if found is not None:
            return found
        steps: list[_Step] = []
        seen: set[str] = set()
        for node in selections.selections:
            if not isinstance(node, FieldNode) or node.directives:
                raise Unsupported("fragment or directive")
            name = node.name.value
            response_key = node.alias.value if node.alias else name
            if name.startswith("__") or response_key in seen or name not in parent.fields:
                raise Unsupported(f"field {name}")
            seen.add(response_key)
            field = parent.fields[name]
            if field.resolve is not None:
                raise Unsupported(f"own resolver on {name}")
            steps.append(_Step(response_key, FieldInfo(name), field, node))
        self.plans[key] = steps
        return steps

    def object(
        self, parent: GraphQLObjectType, selections: SelectionSetNode, source: Any
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for step in self.plan(parent, selections):
            args = get_argument_values(step.field, step.node, self.variables)
            value = self.resolver(source, step.info, **args)
            out[step.key] = self.complete(step.field.type, step.node, value)
        return out

    def complete(self, type_: Any, node: FieldNode, value: Any) -> Any:
        if isinstance(type_, GraphQLNonNull):
            if value is None:
                raise Unsupported("null in a non-null field")  # graphql-core's error path
            type_ = type_.of_type
        if value is None:
            return None
        if isinstance(value, Exception):
            raise Unsupported("a resolver returned an error")
        if isinstance(type_, GraphQLList):
            if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
                raise Unsupported("not a list")
            return [self.complete(type_.of_type, node, item) for item in value]
        if is_leaf_type(type_):
            serialized = type_.serialize(value)
            if serialized is None:
                raise Unsupported("a leaf that does not serialize")
            return serialized
        if isinstance(type_, GraphQLObjectType) and node.selection_set is not None:
            return self.object(type_, node.selection_set, value)
        raise Unsupported(f"type {type_}")


def execute(
    schema: GraphQLSchema,
    document: DocumentNode,
    root: Any,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    resolver: Resolver,
) -> dict[str, Any] | None:
    """The `data` of a plain query over `root`, or None when graphql-core must answer.

    `document` must have passed validation; `resolver` is the field resolver graphql-core
    would be given (every field of the simulator's schema uses it).
    """
    try:
        operation = _operation(document, operation_name)
        coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
        if isinstance(coerced, list):
            return None  # graphql-core words the variable errors
        query = schema.query_type
        if query is None:
            return None
        return _Executor(resolver, coerced).object(query, operation.selection_set, root)
    except Exception:  # whatever it was, graphql-core decides the answer
        return None
