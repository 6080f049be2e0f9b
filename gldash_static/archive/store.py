"""The archive folder on disk: dated snapshot files and index.json, each updated atomically."""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict, cast

from gldash_static import atomic, bounded, jsonsafe
from gldash_static import snapshot as snapshot_io
from gldash_static.archive import facts
from gldash_static.errors import ArchiveError, SnapshotError
from gldash_static.model import Snapshot

INDEX = "index.json"
HISTORY = "history.json"
INDEX_FORMAT = 1
# The only file names the archive holds; anything else found in a carried archive is ignored,
# which also rules out path traversal.
DATED = re.compile(r"^(\d{4})/(\d{2})/(\d{2})/(\d{6})Z\.json\.gz$")


class IndexRow(TypedDict):
    """One archived snapshot as listed in index.json."""

    time: str  # generated_at in UTC, to the second
    path: str  # relative to the archive folder, e.g. 2026/11/28/061500Z.json.gz
    schema_version: int
    projects: int
    groups: int
    pipelines: int
    failing: int  # projects whose default branch is failing
    success_rate: float | None  # over every pipeline in the snapshot
    size: int  # bytes of the .json.gz file


def encode_snapshot(snapshot: Snapshot) -> bytes:
    """The archived bytes: compact JSON, gzip level 9, byte-identical across runs.

    About 12% smaller than snapshot.encode's indented level-6 file, which matters when
    a few hundred 1,000-project snapshots must fit in one Pages site; snapshot.read reads both.
    """
    text = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return gzip.compress(text.encode() + b"\n", compresslevel=9, mtime=0)


def dated_path(moment: datetime) -> str:
    """Where a snapshot generated at `moment` is stored, relative to the archive folder."""
    return moment.strftime("%Y/%m/%d/%H%M%SZ.json.gz")


def is_dated_path(path: str) -> bool:
    """Whether `path` is a name the archive itself would have written."""
    return DATED.match(path) is not None


def row_for(snapshot: Snapshot, size: int) -> IndexRow:
    """The index row describing `snapshot`."""
    moment = facts.snapshot_time(snapshot)
    projects = list(facts.projects(snapshot))
    statuses = [p.get("status") for project in projects for p in project.get("pipelines") or []]
    return {
        "time": facts.iso_utc(moment),
        "path": dated_path(moment),
        "schema_version": int(snapshot.get("schema_version", 0)),
        "projects": len(projects),
        "groups": len(facts.group_paths(snapshot)),
        "pipelines": len(statuses),
        "failing": sum(facts.failing_default(p) for p in projects),
        "success_rate": facts.success_rate(statuses.count("success"), statuses.count("failed")),
        "size": size,
    }


def _check_row(raw: object, where: str) -> IndexRow:
    if not isinstance(raw, dict):
        raise ArchiveError(f"{where}: corrupt archive index (a row is not an object)")
    path = raw.get("path")
    time = facts.parse_time(raw.get("time"))
    if not isinstance(path, str) or not is_dated_path(path) or time is None:
        raise ArchiveError(f"{where}: corrupt archive index (bad row {str(raw)[:80]!r})")
    for key in ("projects", "groups", "pipelines", "failing", "size"):
        if not isinstance(raw.get(key), int):
            raise ArchiveError(f"{where}: corrupt archive index (row {path}: '{key}')")
    return cast(IndexRow, raw)


def parse_index(data: bytes, where: str) -> list[IndexRow]:
    """Rows of an index.json body, oldest first; ArchiveError when it is not one."""
    try:
        loaded: Any = jsonsafe.loads(data)
    except UnicodeDecodeError:
        raise ArchiveError(f"{where}: corrupt archive index (not UTF-8)") from None
    except json.JSONDecodeError as exc:
        raise ArchiveError(
            f"{where}: corrupt archive index (invalid JSON at line {exc.lineno}, "
            f"column {exc.colno})"
        ) from None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("snapshots"), list):
        raise ArchiveError(f"{where}: corrupt archive index (no 'snapshots' list)")
    if loaded.get("format") != INDEX_FORMAT:
        raise ArchiveError(
            f"{where}: archive index format {loaded.get('format')!r} is not supported "
            f"(expected {INDEX_FORMAT}); upgrade gldash"
        )
    rows = [_check_row(raw, where) for raw in loaded["snapshots"]]
    return sorted(rows, key=lambda r: r["time"])


def load_index(path: Path, where: str | None = None) -> list[IndexRow]:
    """Rows of the index.json at `path`, read within bounded.INDEX_BYTES; `where` names it."""
    name = where or str(path)
    data = bounded.read(path, bounded.INDEX_BYTES, "archive index", ArchiveError, name=name)
    return parse_index(data, name)


def encode_index(rows: list[IndexRow]) -> bytes:
    """index.json bytes: deterministic, one row per line so that diffs stay readable."""
    ordered = sorted(rows, key=lambda r: r["time"])
    if not ordered:
        return f'{{"format": {INDEX_FORMAT}, "snapshots": []}}\n'.encode()
    lines = ",\n".join(" " + json.dumps(r, sort_keys=True) for r in ordered)
    return f'{{"format": {INDEX_FORMAT}, "snapshots": [\n{lines}\n]}}\n'.encode()


class Store:
    """Files of one archive folder. Reads validate; writes go through atomic replacement."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def index_path(self) -> Path:
        """index.json of this archive."""
        return self.root / INDEX

    @property
    def history_path(self) -> Path:
        """history.json of this archive."""
        return self.root / HISTORY

    def dated_files(self) -> list[str]:
        """Relative paths of every dated snapshot file present on disk, sorted."""
        if not self.root.is_dir():
            return []
        found = (p.relative_to(self.root).as_posix() for p in self.root.glob("*/*/*/*.json.gz"))
        return sorted(p for p in found if is_dated_path(p))

    def read_index(self) -> list[IndexRow]:
        """The index rows, oldest first; empty for a new archive, ArchiveError if unusable."""
        try:
            return load_index(self.index_path)
        except FileNotFoundError:
            if self.dated_files():
                # Starting a fresh index here would hide every snapshot already archived.
                raise ArchiveError(
                    f"{self.index_path}: missing, but {self.root} holds archived snapshots; "
                    "run `gldash archive rebuild` to recreate it"
                ) from None
            return []
        except OSError as exc:
            raise ArchiveError(f"{self.index_path}: cannot read: {exc.strerror}") from None

    def write_index(self, rows: list[IndexRow]) -> None:
        """Atomically replace index.json."""
        atomic.write_bytes(self.index_path, encode_index(rows))

    def write_history(self, data: bytes) -> None:
        """Atomically replace history.json."""
        atomic.write_bytes(self.history_path, data)

    def store(self, snapshot: Snapshot) -> IndexRow:
        """Write the dated, gzipped copy of `snapshot` and return its row (index untouched)."""
        moment = facts.snapshot_time(snapshot)
        target = self.root / dated_path(moment)
        data = encode_snapshot(snapshot)
        atomic.write_bytes(target, data)
        return row_for(snapshot, len(data))

    def load(self, row: IndexRow) -> Snapshot:
        """Read and migrate the archived snapshot of `row`."""
        try:
            return snapshot_io.read(self.root / row["path"])
        except SnapshotError as exc:
            raise ArchiveError(f"archive: {exc}") from None

    def remove(self, path: str) -> None:
        """Delete one dated file and the day/month/year folders it leaves empty."""
        if not is_dated_path(path):
            raise ArchiveError(f"refusing to delete {path!r}: not an archived snapshot path")
        target = self.root / path
        target.unlink(missing_ok=True)
        for folder in (target.parent, target.parent.parent, target.parent.parent.parent):
            try:
                folder.rmdir()
            except OSError:
                break  # not empty: its parents are not either

    def rebuild_rows(self) -> list[IndexRow]:
        """Index rows recomputed by reading every dated file (slow; for lost indexes only)."""
        rows: list[IndexRow] = []
        for path in self.dated_files():
            try:
                snapshot = snapshot_io.read(self.root / path)
            except SnapshotError as exc:
                raise ArchiveError(f"archive: {exc}") from None
            row = row_for(snapshot, (self.root / path).stat().st_size)
            if row["path"] != path:
                raise ArchiveError(
                    f"{self.root / path}: generated_at {row['time']} does not match its path"
                )
            rows.append(row)
        return rows
