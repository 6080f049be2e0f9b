"""The chain of archived snapshots: the newest whole, each older one a delta from its neighbour.

Reading a row walks from the newest back to it; adding or pruning rewrites only the deltas
whose newer neighbour changed. Every rewritten delta is checked by applying it before it is
kept, and a reconstruction is checked against the sha256 its row records, so a wrong patch is
caught when it is made, not when someone needs the snapshot a year later.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, cast

from gldash_static import thinning
from gldash_static.archive import delta, facts
from gldash_static.archive.store import (
    IndexRow,
    Store,
    canonical_json,
    dated_path,
    digest,
    is_delta_path,
    migrated,
    path_time,
    published_digest,
    row_for,
)
from gldash_static.errors import ArchiveError

log = logging.getLogger(__name__)

Raw = dict[str, Any]


def patch_base(row: IndexRow, newer: IndexRow, state: Raw) -> Raw:
    """What `row`'s patch applies to: its newer neighbour's JSON, without job attempts when
    `row` has none (thinned) and that neighbour still has them (the newest, say).

    So the delta below the newest does not spell out `jobs: null` for every pipeline (at
    5,000 projects 360 KB of its 460). Patches written against the whole neighbour give the
    same snapshot this way, since every job list they touch becomes null too.
    """
    if row.get("thinned") and not newer.get("thinned"):
        return thinning.without_jobs(state)
    return state


def walk(store: Store, rows: Sequence[IndexRow]) -> Iterator[tuple[IndexRow, Raw]]:
    """Each row with its stored JSON, newest first (rows oldest first, as the index keeps them)."""
    state: Raw | None = None
    newer: IndexRow | None = None
    for row in reversed(rows):
        base = row.get("base")
        if base is None:
            state = store.read_whole(row)
        elif state is None or newer is None or base != newer["time"]:
            raise ArchiveError(
                f"archive: {row['path']} is a delta from {base}, but the snapshot before it in "
                "the index is another; run `gldash archive rebuild`"
            )
        else:
            state = cast(Raw, delta.apply(patch_base(row, newer, state), store.read_patch(row)))
        yield row, state
        newer = row


def load(store: Store, rows: Sequence[IndexRow], wanted: IndexRow) -> Raw:
    """The stored JSON of `wanted`, rebuilt through the chain and checked against its sha256."""
    for row, state in walk(store, rows):
        if row["time"] == wanted["time"]:
            sha = row.get("sha256")
            if sha is not None and "base" in row and digest(canonical_json(state)) != sha:
                raise ArchiveError(f"archive: {row['path']} does not rebuild the snapshot it names")
            return state
    raise ArchiveError(f"archive: no snapshot of {wanted['time']} in the index")


def _needs_new_delta(row: IndexRow, newer: IndexRow, old: dict[str, IndexRow]) -> bool:
    """Whether `row` must be rewritten against `newer`: kept whole, or a delta from another
    snapshot than `newer` is now (another time, or new content at that time)."""
    before = old.get(newer["time"])
    return (
        row.get("base") != newer["time"]
        or before is None
        or before["path"] != newer["path"]
        or before.get("sha256") != newer.get("sha256")
    )


def recompose(
    store: Store,
    old_rows: Sequence[IndexRow],
    kept: Sequence[IndexRow],
    fresh: Mapping[str, Raw] | None = None,
    thin: Collection[str] = (),
) -> list[IndexRow]:
    """The kept rows, oldest first, as a chain again: every row but the newest a delta from
    the next. Writes the new delta files (the index is the caller's) and returns the rows.

    `old_rows` is the chain as stored; `kept` the rows retention keeps, among them rows not
    stored yet whose JSON `fresh` gives by time. Rows whose base is unchanged stay as they are,
    and the walk back through the old chain stops at the oldest row that needs rewriting.
    Rows timed in `thin` and not thinned yet lose their job attempts (thinning.py): they and
    the row before each are rewritten.
    """
    old = {r["time"]: r for r in old_rows}
    result = list(kept)
    thinning_now = {r["time"] for r in kept[:-1] if r["time"] in thin and not r.get("thinned")}
    todo = [
        i
        for i in range(len(kept) - 1)
        if _needs_new_delta(kept[i], kept[i + 1], old)
        or kept[i]["time"] in thinning_now
        or kept[i + 1]["time"] in thinning_now
    ]
    if not todo:
        return result
    states: dict[str, Raw] = dict(fresh or {})
    wanted = {kept[i]["time"] for i in todo} | {kept[i + 1]["time"] for i in todo}
    if wanted - states.keys():
        for row, state in walk(store, list(old_rows)):
            if row["time"] in wanted and row["time"] not in states:
                states[row["time"]] = state
            if wanted <= states.keys():
                break
    for i in reversed(todo):
        row = kept[i]
        if row["time"] in thinning_now:
            states[row["time"]] = thinning.without_jobs(states[row["time"]])
            row = cast(IndexRow, {k: v for k, v in row.items() if k != "sha256"})
            row["thinned"] = True
        result[i] = _rewrite(store, row, result[i + 1], states)
    return result


def _rewrite(store: Store, row: IndexRow, newer: IndexRow, states: dict[str, Raw]) -> IndexRow:
    """`row` stored as the delta from `newer`, or whole when the delta does not check out."""
    older, base = states.get(row["time"]), states.get(newer["time"])
    if older is None or base is None:
        raise ArchiveError(f"archive: cannot rebuild {row['path']} to rewrite it")
    base = patch_base(row, newer, base)
    canonical = canonical_json(older)
    sha = row.get("sha256") or digest(canonical)
    patch = delta.diff(base, older) or {"{": {}}
    if canonical_json(delta.apply(base, patch)) != canonical:
        # diff compares with ==, which takes 1 for 1.0; the bytes decide.
        log.warning("archive: %s kept whole: its delta does not rebuild it exactly", row["time"])
        return _whole(store, row, older, canonical)
    return store.store_delta(cast(IndexRow, {**_older(row), "sha256": sha}), newer, patch)


def _older(row: IndexRow) -> IndexRow:
    """`row` once a newer snapshot follows it: no site publishes it any more."""
    return cast(IndexRow, {k: v for k, v in row.items() if k != "published_sha256"})


def _whole(store: Store, row: IndexRow, raw: Raw, canonical: bytes) -> IndexRow:
    moment = facts.parse_time(row["time"])
    if moment is None:
        raise ArchiveError(f"archive: bad time in row {row['path']}")
    path = dated_path(moment)
    size = store.write_whole(path, canonical)
    whole = {k: v for k, v in _older(row).items() if k != "base"}
    return cast(IndexRow, whole | {"path": path, "size": size, "sha256": digest(canonical)})


def rebuild_rows(store: Store) -> list[tuple[IndexRow, Raw]]:
    """Index rows (oldest first) and stored JSON recomputed from the files alone.

    Whole files are taken as they are; a delta is followed only from the newer snapshot it
    names, so leftovers of an interrupted build (a second delta for one time) are ignored.
    """
    wholes: dict[str, str] = {}
    deltas: dict[str, list[tuple[str, str, str]]] = {}
    for path in store.dated_files():
        if is_delta_path(path):
            time, based_on, sha = store.delta_header(path)
            deltas.setdefault(time, []).append((path, based_on, sha))
        else:
            wholes[path_time(path)] = path
    found: list[tuple[IndexRow, Raw]] = []
    state: Raw | None = None
    newer: str | None = None
    for time in sorted({*wholes, *deltas}, reverse=True):
        base: str | None = None
        if time in wholes:
            path = wholes[time]
            state = store.read_whole(_bare_row(path))
        else:
            match = [d for d in deltas[time] if d[1] == newer]
            if state is None or not match:
                raise ArchiveError(
                    f"archive: the delta(s) of {time} do not follow from the snapshot after it"
                )
            path, base, sha = match[0]
            patch = store.read_patch(_bare_row(path, time, base))
            state, hashed = _rebuilt(state, patch, sha)
        if base is None:
            hashed = digest(canonical_json(state))
        row = row_for(migrated(state, path), (store.root / path).stat().st_size, hashed)
        if row["time"] != time:
            raise ArchiveError(f"{store.root / path}: generated_at {row['time']} does not match")
        row["path"] = path
        if base is not None:
            row["base"] = base
        if not thinning.has_job_attempts(state):
            row["thinned"] = True  # nothing left to drop (or never fetched)
        elif newer is None and base is None and (published := published_digest(state)):
            row["published_sha256"] = published  # the newest, as prepare() records it
        found.append((row, state))
        newer = time
    return list(reversed(found))


def _rebuilt(newer: Raw, patch: dict[str, Any], sha: str) -> tuple[Raw, str]:
    """A delta applied to its newer snapshot whole, or without job attempts when only that
    gives the sha256 the delta records (patch_base, whose rule the lost index held); with
    the sha256 of what it gave."""
    state = cast(Raw, delta.apply(newer, patch))
    found = digest(canonical_json(state))
    if found != sha and thinning.has_job_attempts(newer):
        state = cast(Raw, delta.apply(thinning.without_jobs(newer), patch))
        found = digest(canonical_json(state))
    return state, found


def _bare_row(path: str, time: str = "", base: str | None = None) -> IndexRow:
    row: dict[str, Any] = {"path": path, "time": time}
    if base is not None:
        row["base"] = base
    return cast(IndexRow, row)
