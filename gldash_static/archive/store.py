"""The archive folder on disk: dated snapshot files and index.json, each updated atomically."""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

from gldash_static import atomic, bounded, jsonsafe, thinning
from gldash_static import snapshot as snapshot_io
from gldash_static.archive import facts
from gldash_static.errors import ArchiveError, SnapshotError
from gldash_static.model import SCHEMA_VERSION, Snapshot

INDEX = "index.json"
HISTORY = "history.json"
# The newest snapshot whole, beside index.json, when the site publishes it without job
# attempts (Archive.keep_for_carry): the Pages job's artifacts take it, the site never does.
CARRY = "carry.json.gz"
INDEX_FORMAT = 2  # 2: rows may be deltas ("base"); format 1 (every row whole) is still read
READABLE_FORMATS = (1, INDEX_FORMAT)
DELTA_FORMAT = 1
# The only file names the archive holds; anything else found in a carried archive is ignored,
# which also rules out path traversal. A delta's name carries a hash of its content, so that
# rewriting one against a new base never overwrites a file the index still lists.
DATED = re.compile(r"^(\d{4})/(\d{2})/(\d{2})/(\d{6})Z(\.delta-[0-9a-f]{12})?\.json\.gz$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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
    # A delta: the time of the newer row whose snapshot this file's patch turns into this one.
    base: NotRequired[str]
    sha256: NotRequired[str]  # of canonical_json(snapshot): what a reconstruction must give
    thinned: NotRequired[bool]  # its job attempts were dropped (thinning.py)
    # The newest only: sha256 of canonical_json(without_jobs(snapshot)), the snapshot.json.gz
    # of a site that publishes it without job attempts; carry-forward's last resort.
    published_sha256: NotRequired[str]


def canonical_json(snapshot: object) -> bytes:
    """Compact, key-sorted JSON: the form whose hash identifies an archived snapshot."""
    return snapshot_io.canonical(snapshot)


def digest(canonical: bytes) -> str:
    """The sha256 an index row records for a snapshot's canonical JSON."""
    return hashlib.sha256(canonical).hexdigest()


def encode_snapshot(snapshot: Snapshot) -> bytes:
    """The archived bytes: compact JSON, gzip level 9, byte-identical across runs.

    About 12% smaller than snapshot.encode's indented level-6 file, which matters when
    a few hundred 1,000-project snapshots must fit in one Pages site; snapshot.read reads both.
    """
    return snapshot_io.canonical_gzip(canonical_json(snapshot))


def encode_delta(time: str, base: str, sha256: str, patch: object) -> bytes:
    """A delta file: which snapshot it rebuilds, from which newer one, and the patch."""
    body = {"base": base, "gldash_delta": DELTA_FORMAT, "patch": patch, "sha256": sha256}
    body |= {"time": time}
    return gzip.compress(canonical_json(body), compresslevel=9, mtime=0)


def delta_path(time: datetime, data: bytes) -> str:
    """Where a delta file with these bytes is stored, relative to the archive folder."""
    stem = time.strftime("%Y/%m/%d/%H%M%SZ")
    return f"{stem}.delta-{hashlib.sha256(data).hexdigest()[:12]}.json.gz"


def path_time(path: str) -> str:
    """The time, as index rows write it, that a dated path names."""
    found = DATED.match(path)
    if found is None:
        raise ArchiveError(f"archive: {path!r} is not an archived snapshot path")
    year, month, day, clock = found.group(1, 2, 3, 4)
    return f"{year}-{month}-{day}T{clock[:2]}:{clock[2:4]}:{clock[4:]}Z"


def is_delta_path(path: str) -> bool:
    """Whether `path` names a delta file rather than a whole snapshot."""
    found = DATED.match(path)
    return found is not None and found.group(5) is not None


def dated_path(moment: datetime) -> str:
    """Where a snapshot generated at `moment` is stored, relative to the archive folder."""
    return moment.strftime("%Y/%m/%d/%H%M%SZ.json.gz")


def is_dated_path(path: str) -> bool:
    """Whether `path` is a name the archive itself would have written."""
    return DATED.match(path) is not None


def row_for(snapshot: Snapshot, size: int, sha256: str | None = None) -> IndexRow:
    """The index row describing `snapshot` stored whole in `size` bytes."""
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
    } | ({"sha256": sha256} if sha256 else {})  # type: ignore[return-value]


def prepare(snapshot: Snapshot) -> tuple[IndexRow, bytes, bytes]:
    """The row `snapshot` gets when stored whole, its canonical JSON and the file's bytes."""
    canonical = canonical_json(snapshot)
    data = snapshot_io.canonical_gzip(canonical)
    row = row_for(snapshot, len(data), digest(canonical))
    published = published_digest(cast(dict[str, Any], snapshot))
    if published is not None:
        row["published_sha256"] = published
    return row, canonical, data


def published_digest(raw: dict[str, Any]) -> str | None:
    """The sha256 of `raw` as a site publishes it without job attempts; None when it has none
    (then it is the same as sha256)."""
    if not thinning.has_job_attempts(raw):
        return None
    # Streamed, one thinned project at a time, as the site writes it (render.feeds).
    hashed = hashlib.sha256()
    for piece in snapshot_io.canonical_pieces(raw, leaf=thinning.project_without_jobs):
        hashed.update(piece)
    return hashed.hexdigest()


# How a published site holds history.json, relative to its archive/ folder: gzipped only,
# since it grows with every project's daily figures (see Archive.files).
PUBLISHED_HISTORY = "history.json.gz"
SITE_DIR = "archive"  # where the archive folder appears inside the published site

# Where a published site holds its archive's newest snapshot (see Archive.files), relative to
# the site's archive/ folder.
PUBLISHED_SNAPSHOT = "../snapshot.json.gz"


def published_whole(row: IndexRow, snapshot: Snapshot) -> bool:
    """Whether `row` is `snapshot` stored whole: the bytes the site publishes as its snapshot."""
    return "base" not in row and row.get("sha256") == digest(canonical_json(snapshot))


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
    base = raw.get("base")
    if is_delta_path(path) != (base is not None) or (
        base is not None and (facts.parse_time(base) is None or base <= raw["time"])
    ):
        raise ArchiveError(f"{where}: corrupt archive index (row {path}: 'base')")
    for key in ("sha256", "published_sha256"):
        sha = raw.get(key)
        if sha is not None and not (isinstance(sha, str) and _SHA256.match(sha)):
            raise ArchiveError(f"{where}: corrupt archive index (row {path}: '{key}')")
    if not isinstance(raw.get("thinned", False), bool):
        raise ArchiveError(f"{where}: corrupt archive index (row {path}: 'thinned')")
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
    if loaded.get("format") not in READABLE_FORMATS:
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
        row, _, data = prepare(snapshot)
        atomic.write_bytes(self.root / row["path"], data)
        return row

    def write_whole(self, path: str, canonical: bytes) -> int:
        """Write a whole snapshot's canonical JSON, gzipped, at `path`; its size in bytes."""
        data = snapshot_io.canonical_gzip(canonical)
        atomic.write_bytes(self.root / path, data)
        return len(data)

    def write_data(self, path: str, data: bytes) -> None:
        """Write bytes `prepare` made at `path`."""
        atomic.write_bytes(self.root / path, data)

    def store_delta(self, row: IndexRow, base: IndexRow, patch: object) -> IndexRow:
        """Write `row`'s snapshot as the patch from `base`'s; its new row (index untouched)."""
        moment = facts.parse_time(row["time"])
        if moment is None or "sha256" not in row:
            raise ArchiveError(f"archive: row {row['path']} cannot become a delta")
        data = encode_delta(row["time"], base["time"], row["sha256"], patch)
        path = delta_path(moment, data)
        atomic.write_bytes(self.root / path, data)
        return cast(IndexRow, {**row, "path": path, "size": len(data), "base": base["time"]})

    def read_whole(self, row: IndexRow) -> dict[str, Any]:
        """The stored JSON of a row kept whole, as written (not migrated)."""
        if "base" in row:
            raise ArchiveError(f"archive: {row['path']} is a delta, not a whole snapshot")
        try:
            return snapshot_io.read_raw(self.root / row["path"])
        except SnapshotError as exc:
            raise ArchiveError(f"archive: {exc}") from None

    def read_patch(self, row: IndexRow) -> dict[str, Any]:
        """The patch of a delta row, after checking the file is the one the row describes."""
        path = self.root / row["path"]
        header = self._read_delta(path)
        if (header["time"], header["base"]) != (row["time"], row.get("base")):
            raise ArchiveError(f"{path}: delta does not match its index row")
        return cast(dict[str, Any], header["patch"])

    def _read_delta(self, path: Path) -> dict[str, Any]:
        try:
            data = bounded.read(
                path, bounded.SNAPSHOT_BYTES, "archive delta", ArchiveError, gunzip=True
            )
            loaded = jsonsafe.loads(data)
        except FileNotFoundError:
            raise ArchiveError(f"{path}: missing from the archive") from None
        except OSError as exc:
            raise ArchiveError(f"{path}: cannot read: {exc.strerror}") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ArchiveError(f"{path}: corrupt archive delta (not JSON)") from None
        if (
            not isinstance(loaded, dict)
            or loaded.get("gldash_delta") != DELTA_FORMAT
            or not isinstance(loaded.get("time"), str)
            or not isinstance(loaded.get("base"), str)
            or not isinstance(loaded.get("sha256"), str)
            or not isinstance(loaded.get("patch"), dict)
        ):
            raise ArchiveError(f"{path}: not a gldash archive delta")
        return loaded

    def load(self, row: IndexRow) -> Snapshot:
        """Read and migrate the archived snapshot of a row kept whole."""
        return migrated(self.read_whole(row), str(self.root / row["path"]))

    def delta_header(self, path: str) -> tuple[str, str, str]:
        """(time, base, sha256) of the delta file at `path` (for rebuilding a lost index)."""
        loaded = self._read_delta(self.root / path)
        return loaded["time"], loaded["base"], loaded["sha256"]

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


def migrated(raw: dict[str, Any], origin: str) -> Snapshot:
    """`raw`, an archived snapshot's stored JSON, migrated to the current schema.

    Migrations may change what they are given, and a stored JSON rebuilt from deltas shares
    its parts with its neighbours, so an older one is copied first.
    """
    if raw.get("schema_version") != SCHEMA_VERSION:
        raw = copy.deepcopy(raw)
    try:
        return snapshot_io.migrate(raw, origin)
    except SnapshotError as exc:
        raise ArchiveError(f"archive: {exc}") from None
