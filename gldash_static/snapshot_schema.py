"""Derive the snapshot's JSON Schema (docs/snapshot.schema.json) from the model's TypedDicts."""

from __future__ import annotations

import json
import sys
import types
import typing
from typing import Any, Literal, NotRequired, Union, get_args, get_origin, get_type_hints

from gldash_static import model

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
}


def _schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = get_origin(tp)
    if tp in _SCALARS:
        return dict(_SCALARS[tp])
    if origin is NotRequired:
        return _schema(get_args(tp)[0], defs)
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if origin in (Union, types.UnionType):
        return {"anyOf": [_schema(arg, defs) for arg in get_args(tp)]}
    if origin is list:
        return {"type": "array", "items": _schema(get_args(tp)[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema(get_args(tp)[1], defs)}
    if typing.is_typeddict(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            hints = get_type_hints(tp, include_extras=True)
            defs[name] = {
                "type": "object",
                "description": (tp.__doc__ or "").strip(),
                "properties": {key: _schema(hint, defs) for key, hint in hints.items()},
                "required": sorted(tp.__required_keys__),
                "additionalProperties": False,
            }
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"no JSON Schema for {tp!r}")


def snapshot_schema() -> dict[str, Any]:
    """The JSON Schema every snapshot file validates against."""
    defs: dict[str, Any] = {}
    root = _schema(model.Snapshot, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://gldash.invalid/snapshot.schema.json",
        "title": f"gldash snapshot, schema version {model.SCHEMA_VERSION}",
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def render() -> str:
    """The schema as the committed file's text."""
    return json.dumps(snapshot_schema(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
