"""Differences between two snapshots as JSON patches: how older archived snapshots are stored.

Hourly snapshots of one organisation differ in a few hundred pipelines out of tens of
thousands, so the archive keeps its newest snapshot whole and every older one as the patch
that turns its newer neighbour back into it. A patch is plain JSON:

- ``{"=": value}`` replaces the value;
- ``{"{": {key: patch}, "-": [key, ...]}`` edits an object (new keys come as ``{"=": v}``);
- ``{"[": {"k": field, "r": [...], "p": {json(key): patch}}}`` edits a list of objects that
  one field identifies (``id``, ``name``, ...): ``r`` spells the new order as runs, each
  either ``[start, stop]`` (the base's items start..stop-1) or one item's key, and is left out
  when the order is the base's; ``p`` holds the patches of items that changed or are new.
  Any other list is replaced whole.

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
    # As JavaScript's JSON.stringify writes it: the Archive page rebuilds deltas in the browser.
    return json.dumps(value, ensure_ascii=False)


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
    edit: dict[str, Any] = {"k": field, "p": patches}
    keys = [_key_text(item[field]) for item in new]
    old_keys = [_key_text(item[field]) for item in old]
    if keys != old_keys:
        edit["r"] = _runs(old_keys, [item[field] for item in new])
    return edit


def _runs(old: list[str], new: list[Any]) -> list[Any]:
    """`new` (keys) as runs over `old` (their key texts): a prepended pipeline and a dropped
    oldest one make [key, [0, 19]], not twenty ids."""
    where = {text: i for i, text in enumerate(old)}
    runs: list[Any] = []
    for key in new:
        i = where.get(_key_text(key))
        last = runs[-1] if runs else None
        if i is None:
            runs.append(key)
        elif isinstance(last, list) and last[1] == i:
            last[1] = i + 1
        else:
            runs.append([i, i + 1])
    return runs


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
    field, runs, patches = edit.get("k"), edit.get("r"), edit.get("p")
    if not isinstance(field, str) or not isinstance(patches, dict):
        raise ArchiveError("archive delta: a list edit is incomplete")
    texts = []
    for item in base:
        if not isinstance(item, dict) or not _usable_key(item.get(field)):
            raise ArchiveError(f"archive delta: a list item has no usable {field!r}")
        texts.append(_key_text(item[field]))
    order = _order(runs, base, texts)
    result = []
    for text, kept in order:
        if text in patches:
            result.append(apply(kept, cast(Mapping[str, Any], patches[text])))
        elif kept is not None:
            result.append(kept)
        else:
            raise ArchiveError(f"archive delta: list item {text[:40]} is neither kept nor given")
    return result


def _order(runs: Any, base: list[Any], texts: list[str]) -> list[tuple[str, Any]]:
    """(key text, base item or None) in the new order that `runs` spells over `base`."""
    if runs is None:
        return list(zip(texts, base, strict=True))
    if not isinstance(runs, list):
        raise ArchiveError("archive delta: a list order is not a list")
    order: list[tuple[str, Any]] = []
    for run in runs:
        if isinstance(run, list):
            if (
                len(run) != 2
                or not all(isinstance(i, int) and not isinstance(i, bool) for i in run)
                or not 0 <= run[0] < run[1] <= len(base)
            ):
                raise ArchiveError("archive delta: a run of a list order is out of range")
            order.extend(zip(texts[run[0] : run[1]], base[run[0] : run[1]], strict=True))
        elif _usable_key(run):
            order.append((_key_text(run), None))
        else:
            raise ArchiveError("archive delta: a list order names an unusable key")
    return order
