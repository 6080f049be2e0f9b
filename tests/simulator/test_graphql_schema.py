"""The simulator's GraphQL schema is GitLab's: every type, field and argument it serves exists in
GitLab's published schema (the excerpt in tests/fixtures) with the same type and nullability."""

from __future__ import annotations

from pathlib import Path

import requests
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    build_client_schema,
    build_schema,
    get_introspection_query,
    is_non_null_type,
    parse,
    validate,
)

from gldash_static.fetch.changes import QUERY as FETCH_PROBE
from gldash_static.simulator import Simulator

EXCERPT = Path(__file__).resolve().parents[1] / "fixtures" / "gitlab-graphql-subset.graphql"
BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}

# Fields the simulator serves on a type the excerpt lists only in part (`@subset`), with where
# GitLab defines each (path in gitlabhq). Nothing else may be missing from the excerpt.
ALLOWED_MISSING: dict[tuple[str, str], str] = {}

# Types the excerpt names without defining them (a stub of the same kind) or leaves out, which
# a served argument needs: their definitions as GitLab's source gives them (path in gitlabhq).
FROM_SOURCE: dict[str, str] = {
    "DeploymentsOrderByInput": "app/graphql/types/deployments_order_by_input_type.rb",
    "SortDirectionEnum": "app/graphql/types/sort_direction_enum.rb",
}
SOURCE_SDL = """
enum SortDirectionEnum { ASC DESC }
input DeploymentsOrderByInput { createdAt: SortDirectionEnum finishedAt: SortDirectionEnum }
type Query { unused: Int }
"""
STUB_KINDS = {"INPUT_OBJECT": "GraphQLInputObjectType", "ENUM": "GraphQLEnumType"}


def _excerpt() -> tuple[GraphQLSchema, set[str], set[str]]:
    """GitLab's schema excerpt, the names of its `@subset` types and of its stubs."""
    text = EXCERPT.read_text(encoding="utf-8")
    document = parse(text)
    subset = {
        d.name.value
        for d in document.definitions
        if isinstance(d, ObjectTypeDefinitionNode)
        and any(x.name.value == "subset" for x in d.directives or ())
    }
    stubs = {
        d.name.value
        for d in document.definitions
        if isinstance(d, ScalarTypeDefinitionNode)
        and any(x.name.value == "stub" for x in d.directives or ())
    }
    return build_schema(text), subset, stubs


def _served(sim: Simulator) -> GraphQLSchema:
    """The schema the running simulator reports through GraphQL introspection."""
    reply = requests.post(
        f"{sim.url}/api/graphql",
        json={"query": get_introspection_query()},
        headers={"Authorization": f"Bearer {sim.token}"},
        timeout=10,
    )
    body = reply.json()
    assert "errors" not in body, body
    return build_client_schema(body["data"])


def _kind(t: GraphQLNamedType) -> str:
    return type(t).__name__


def differences(served: GraphQLSchema, gitlab: GraphQLSchema) -> list[str]:
    """Every place where the served schema says something GitLab's does not."""
    _, subset, stubs = _excerpt()
    found: list[str] = []
    query = served.query_type
    if query is None or query.name != "Query":
        found.append("the query root is not `Query`")
    for name, mine in sorted(served.type_map.items()):
        if name.startswith("__") or name in BUILT_IN:
            continue
        theirs = gitlab.type_map.get(name)
        if name in FROM_SOURCE:
            found += _from_source(mine, theirs, name in stubs)
            continue
        if theirs is None or name in stubs:
            found.append(f"type {name}: not in GitLab's schema excerpt")
            continue
        if _kind(mine) != _kind(theirs):
            found.append(f"type {name}: {_kind(mine)} here, {_kind(theirs)} on GitLab")
            continue
        if isinstance(mine, GraphQLEnumType) and isinstance(theirs, GraphQLEnumType):
            for value in sorted(set(mine.values) - set(theirs.values)):
                found.append(f"enum {name}: value {value} not on GitLab")
        if isinstance(mine, GraphQLObjectType) and isinstance(theirs, GraphQLObjectType):
            found += _field_differences(mine, theirs, name in subset)
    return found


def _stub_kind(name: str) -> str | None:
    """The real kind the excerpt gives a stub, e.g. INPUT_OBJECT."""
    for d in parse(EXCERPT.read_text(encoding="utf-8")).definitions:
        if isinstance(d, ScalarTypeDefinitionNode) and d.name.value == name:
            for directive in d.directives or ():
                for arg in directive.arguments or ():
                    return str(getattr(arg.value, "value", ""))
    return None


def _from_source(mine: GraphQLNamedType, theirs: object, stub: bool) -> list[str]:
    """A served type defined from GitLab's source: the same definition, the stub's kind."""
    expected = build_schema(SOURCE_SDL).type_map[mine.name]
    found = []
    if theirs is not None and not stub:
        found.append(f"type {mine.name}: the excerpt defines it now; compare with that")
    if stub and STUB_KINDS.get(_stub_kind(mine.name) or "") != _kind(mine):
        found.append(f"type {mine.name}: {_kind(mine)} here, another kind in the excerpt")
    if isinstance(mine, GraphQLEnumType) and isinstance(expected, GraphQLEnumType):
        if set(mine.values) != set(expected.values):
            found.append(f"enum {mine.name}: {sorted(mine.values)} here")
    elif isinstance(mine, GraphQLInputObjectType) and isinstance(expected, GraphQLInputObjectType):
        ours = {k: str(v.type) for k, v in mine.fields.items()}
        if ours != {k: str(v.type) for k, v in expected.fields.items()}:
            found.append(f"input {mine.name}: {ours} here")
    else:
        found.append(f"type {mine.name}: {_kind(mine)} here, {_kind(expected)} in GitLab")
    return found


def _field_differences(
    mine: GraphQLObjectType, theirs: GraphQLObjectType, subset: bool
) -> list[str]:
    found = []
    for field_name, field in sorted(mine.fields.items()):
        where = f"{mine.name}.{field_name}"
        gitlab_field = theirs.fields.get(field_name)
        if gitlab_field is None:
            if not (subset and (mine.name, field_name) in ALLOWED_MISSING):
                found.append(f"{where}: not in GitLab's schema excerpt")
            continue
        if str(field.type) != str(gitlab_field.type):
            found.append(f"{where}: {field.type} here, {gitlab_field.type} on GitLab")
        for arg_name, arg in sorted(field.args.items()):
            gitlab_arg = gitlab_field.args.get(arg_name)
            if gitlab_arg is None:
                found.append(f"{where}({arg_name}:): no such argument on GitLab")
            elif str(arg.type) != str(gitlab_arg.type):
                found.append(f"{where}({arg_name}:): {arg.type} here, {gitlab_arg.type} on GitLab")
        for arg_name, gitlab_arg in sorted(gitlab_field.args.items()):
            # A query that leaves out an argument GitLab requires must fail here too.
            if is_non_null_type(gitlab_arg.type) and arg_name not in field.args:
                found.append(f"{where}({arg_name}:): required on GitLab, not served here")
    return found


def test_every_served_type_field_and_argument_is_gitlabs(sim: Simulator) -> None:
    gitlab, _, _ = _excerpt()
    assert differences(_served(sim), gitlab) == []


def test_the_comparison_catches_a_difference() -> None:
    gitlab, _, _ = _excerpt()
    wrong = build_schema(
        """
        scalar Time
        type Pipeline { id: ID iid: Int! status: String! }
        type Project { id: ID! pipelines(first: Int, updatedAfter: String): [Pipeline] }
        type Query { project(fullPath: String!): Project currentUser: Project }
        """
    )
    assert differences(wrong, gitlab) == [
        "Pipeline.id: ID here, ID! on GitLab",
        "Pipeline.iid: Int! here, String! on GitLab",
        "Pipeline.status: String! here, PipelineStatusEnum! on GitLab",
        "Project.pipelines: [Pipeline] here, PipelineConnection on GitLab",
        "Project.pipelines(updatedAfter:): String here, Time on GitLab",
        "Query.currentUser: not in GitLab's schema excerpt",
        "Query.project(fullPath:): String! here, ID! on GitLab",
    ]


def test_types_from_source_are_checked() -> None:
    wrong = build_schema(
        """
        enum SortDirectionEnum { ASC DESC UP }
        scalar DeploymentsOrderByInput
        type Query { unused: Int }
        """
    )
    gitlab, _, _ = _excerpt()
    assert differences(wrong, gitlab)[:2] == [
        "type DeploymentsOrderByInput: GraphQLScalarType here, another kind in the excerpt",
        "type DeploymentsOrderByInput: GraphQLScalarType here, GraphQLInputObjectType in GitLab",
    ]
    assert "enum SortDirectionEnum: ['ASC', 'DESC', 'UP'] here" in differences(wrong, gitlab)
    for name, source in FROM_SOURCE.items():
        assert source.startswith("app/graphql/types/"), name


def test_allowed_gaps_are_on_subset_types_and_name_their_source() -> None:
    gitlab, subset, _ = _excerpt()
    for (type_name, field_name), source in ALLOWED_MISSING.items():
        assert type_name in subset, f"{type_name} is complete in the excerpt"
        assert source.startswith(("app/graphql/", "ee/app/graphql/")), source
        gitlab_type = gitlab.type_map[type_name]
        assert isinstance(gitlab_type, GraphQLObjectType)
        assert field_name not in gitlab_type.fields


def test_the_fetch_probe_is_valid_against_gitlabs_schema(sim: Simulator) -> None:
    gitlab, _, _ = _excerpt()
    assert validate(gitlab, parse(FETCH_PROBE)) == []
    assert validate(_served(sim), parse(FETCH_PROBE)) == []


def test_scalars_served_are_gitlabs_scalars(sim: Simulator) -> None:
    gitlab, _, stubs = _excerpt()
    served = _served(sim)
    mine = {n for n, t in served.type_map.items() if isinstance(t, GraphQLScalarType)}
    theirs = {n for n, t in gitlab.type_map.items() if isinstance(t, GraphQLScalarType)}
    assert mine - BUILT_IN <= theirs - stubs
