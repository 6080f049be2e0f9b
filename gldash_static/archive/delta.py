"""Differences between two snapshots as JSON patches: how older archived snapshots are stored.

Hourly snapshots of one organisation differ in a few hundred pipelines out of tens of
thousands, so the archive keeps its newest snapshot whole and every older one as the patch
that turns its newer neighbour back into it. A patch is plain JSON:

- ``{"=": value}`` replaces the value;
- ``{"{": {key: patch}, "-": [key, ...]}`` edits an object (new keys come as ``{"=": v}``);
- ``{"[": {"k": field, "o": [key, ...], "p": {json(key): patch}}}`` edits a list of objects
  that one field identifies (``id``, ``name``, ...): ``o`` is the new order of their keys,
  ``p`` the patches of items that changed or are new. Any other list is replaced whole.

`apply` never mutates its input and shares every untouched subtree with it, so walking back
through a chain of patches holds little more than one snapshot in memory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from gldash_static.errors import ArchiveError

Patch = dict[str, Any]
# Fields that identify the objects of a list, tried in order: GitLab ids, branch names,
# merge request iids, source URLs.
KEY_FIELDS = ("id", "name", "iid", "url")


def _key_text(value: object) -> str:
    return json.dumps(value)


def _key_field(old: Sequence[Any], new: Sequence[Any]) -> str | None:
    """The field that identifies every object of both lists uniquely, if there is one."""
    items = [*old, *new]
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for field in KEY_FIELDS:
        if all(_usable_key(item.get(field)) for item in items) and all(
            len({_key_text(i[field]) for i in side}) == len(side) for side in (old, new)
        ):
            return field
    return None


def _usable_key(value: object) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def diff(old: Any, new: Any) -> Patch | None:
    """The patch that turns `old` into `new`; None when they are equal."""
    if old == new and type(old) is type(new):
        return None
    if isinstance(old, dict) and isinstance(new, dict):
        edits = {}
        for key, value in new.items():
            if key not in old:
                edits[key] = {"=": value}
            elif (sub := diff(old[key], value)) is not None:
                edits[key] = sub
        removed = sorted(key for key in old if key not in new)
        patch: Patch = {"{": edits}
        if removed:
            patch["-"] = removed
        return patch
    if isinstance(old, list) and isinstance(new, list):
        field = _key_field(old, new)
        if field is not None:
            return {"[": _list_edit(old, new, field)}
    return {"=": new}


def _list_edit(old: list[Any], new: list[Any], field: str) -> dict[str, Any]:
    before = {_key_text(item[field]): item for item in old}
    patches = {}
    for item in new:
        text = _key_text(item[field])
        if text not in before:
            patches[text] = {"=": item}
        elif (sub := diff(before[text], item)) is not None:
            patches[text] = sub
    return {"k": field, "o": [item[field] for item in new], "p": patches}


def apply(base: Any, patch: Mapping[str, Any]) -> Any:
    """`base` with `patch` applied (a new value; `base` is not changed); ArchiveError if the
    patch does not fit `base`."""
    if not isinstance(patch, Mapping):
        raise ArchiveError("archive delta: a patch is not an object")
    if "=" in patch:
        return patch["="]
    if "{" in patch:
        return _apply_object(base, patch)
    if "[" in patch:
        return _apply_list(base, patch["["])
    raise ArchiveError("archive delta: unknown patch operation")


def _apply_object(base: Any, patch: Mapping[str, Any]) -> dict[str, Any]:
    edits, removed = patch["{"], patch.get("-", [])
    if not isinstance(base, dict) or not isinstance(edits, dict) or not isinstance(removed, list):
        raise ArchiveError("archive delta: an object edit does not fit its base")
    result = {key: value for key, value in base.items() if key not in set(removed)}
    for key, sub in edits.items():
        result[key] = apply(base.get(key), sub)
    return result


def _apply_list(base: Any, edit: Any) -> list[Any]:
    if not isinstance(base, list) or not isinstance(edit, dict):
        raise ArchiveError("archive delta: a list edit does not fit its base")
    field, order, patches = edit.get("k"), edit.get("o"), edit.get("p")
    if not isinstance(field, str) or not isinstance(order, list) or not isinstance(patches, dict):
        raise ArchiveError("archive delta: a list edit is incomplete")
    before: dict[str, Any] = {}
    for item in base:
        if not isinstance(item, dict) or not _usable_key(item.get(field)):
            raise ArchiveError(f"archive delta: a list item has no usable {field!r}")
        before[_key_text(item[field])] = item
    result = []
    for key in order:
        text = _key_text(key)
        if text in patches:
            result.append(apply(before.get(text), cast(Mapping[str, Any], patches[text])))
        elif text in before:
            result.append(before[text])
        else:
            raise ArchiveError(f"archive delta: list item {text[:40]} is neither kept nor given")
    return result
