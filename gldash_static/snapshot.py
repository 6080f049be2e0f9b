"""Read and write snapshot files: JSON or gzipped JSON, atomic, versioned, migrated on read."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, cast

from gldash_static import atomic, bounded, jsonsafe
from gldash_static.errors import SnapshotError
from gldash_static.migrations import MIGRATIONS
from gldash_static.model import SCHEMA_VERSION, Snapshot

# A \uD800-\uDFFF escape in the JSON text: possibly a lone surrogate, which no UTF-8 writer
# (snapshot, page, archive) can encode.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(snapshot: Snapshot) -> bytes:
    """Serialise deterministically: sorted keys, no insignificant whitespace variation."""
    return (json.dumps(snapshot, sort_keys=True, ensure_ascii=False, indent=1) + "\n").encode(
        "utf-8", "replace"
    )


def _compact(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical(snapshot: object) -> bytes:
    """Compact, key-sorted JSON: the form the archive hashes and the site publishes."""
    return _compact(snapshot).encode("utf-8", "replace") + b"\n"  # lone surrogates become "?"


def _canonical_text(
    value: object, depth: int, leaf: Callable[[object], object] | None
) -> Iterator[str]:
    # The outer containers piece by piece, what lies below `depth` in one C-encoder call each:
    # the same text as _compact (keys sorted as json sorts them: only all-string dicts descend).
    if depth > 0 and isinstance(value, dict) and all(isinstance(k, str) for k in value):
        yield "{"
        for index, (key, item) in enumerate(sorted(value.items())):
            yield ("," if index else "") + _compact(key) + ":"
            yield from _canonical_text(item, depth - 1, leaf)
        yield "}"
    elif depth > 0 and isinstance(value, list | tuple):
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ","
            yield from _canonical_text(item, depth - 1, leaf)
        yield "]"
    else:
        yield _compact(value if leaf is None else leaf(value))


def canonical_pieces(
    snapshot: object, chunk: int = 1 << 20, leaf: Callable[[object], object] | None = None
) -> Iterator[bytes]:
    """canonical(snapshot) in pieces of about `chunk` bytes, never all of it in memory;
    with `leaf`, of the snapshot whose every project (and other value as deep) is leaf(it),
    one at a time.

    At 50,000 projects the whole text is over 400 MB, twice over while it is encoded.
    """
    pending: list[str] = []
    size = 0
    # Four levels reach each project (snapshot, sources, a source, its projects).
    for text in _canonical_text(snapshot, 4, leaf):
        pending.append(text)
        size += len(text)
        if size >= chunk:
            yield "".join(pending).encode("utf-8", "replace")
            pending, size = [], 0
    yield ("".join(pending) + "\n").encode("utf-8", "replace")


def gzip_pieces(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Gzip level 9 with mtime 0 in pieces: byte for byte zlib's one-shot gzip of it all."""
    # zlib's own gzip wrapper (wbits 31; what gzip.compress(..., mtime=0) is up to Python
    # 3.12) at the default memory level: deflate decides nothing until it has its full
    # look-ahead, so how the input is split does not change the output.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    for piece in pieces:
        out = compressor.compress(piece)
        if out:
            yield out
    yield compressor.flush()


def canonical_gzip(data: bytes) -> bytes:
    """canonical() bytes gzipped at level 9, byte-identical across runs (mtime 0)."""
    return b"".join(gzip_pieces([data]))


def encode(snapshot: Snapshot, path: Path) -> bytes:
    """The bytes a snapshot is stored as at `path` (gzipped when the name ends in .gz)."""
    raw = dumps(snapshot)
    if path.name.endswith(".gz"):
        # mtime=0 keeps the gzip header, and so the file, byte-identical across runs.
        return gzip.compress(raw, compresslevel=6, mtime=0)
    return raw


def write(snapshot: Snapshot, path: Path) -> None:
    """Atomically write `snapshot` to `path`."""
    atomic.write_bytes(path, encode(snapshot, path))


def read_raw(path: Path) -> dict[str, Any]:
    """Load a snapshot file as a dictionary, with a clear error when it is unreadable."""
    try:
        data = bounded.read(path, bounded.SNAPSHOT_BYTES, "snapshot", SnapshotError, gunzip=True)
    except FileNotFoundError:
        raise SnapshotError(f"{path}: snapshot not found") from None
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read snapshot: {exc.strerror}") from None
    try:
        loaded = jsonsafe.loads(data)
    except UnicodeDecodeError:
        raise SnapshotError(f"{path}: snapshot is not UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"{path}: corrupt snapshot (invalid JSON at line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(loaded, dict):
        raise SnapshotError(f"{path}: not a gldash snapshot (expected a JSON object)")
    if _SURROGATE_ESCAPE.search(data):
        return cast(dict[str, Any], _scrub(loaded))
    return loaded


def _scrub(value: Any) -> Any:
    """Replace lone surrogates (from \\u escapes) in every string with U+FFFD."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, dict):
        return {_scrub(key): _scrub(item) for key, item in value.items()}
    return value


def migrate(raw: dict[str, Any], origin: str) -> Snapshot:
    """Bring an older snapshot up to the current schema version."""
    version = raw.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SnapshotError(f"{origin}: not a gldash snapshot (no schema_version)")
    if version > SCHEMA_VERSION:
        raise SnapshotError(
            f"{origin}: snapshot schema version {version} is newer than this gldash supports "
            f"({SCHEMA_VERSION}); upgrade gldash"
        )
    if version < 1:
        raise SnapshotError(f"{origin}: unknown snapshot schema version {version}")
    while version < SCHEMA_VERSION:
        raw = MIGRATIONS[version](raw)
        version += 1
        raw["schema_version"] = version
    for key in ("generated_at", "sources", "fetch"):
        if key not in raw:
            raise SnapshotError(f"{origin}: not a gldash snapshot (missing '{key}')")
    if not isinstance(raw["sources"], list):
        raise SnapshotError(f"{origin}: not a gldash snapshot ('sources' is not a list)")
    return cast(Snapshot, raw)


def read(path: Path) -> Snapshot:
    """Read, check and migrate the snapshot at `path`."""
    return migrate(read_raw(path), str(path))


def read_optional(path: Path) -> Snapshot | None:
    """The snapshot at `path`, or None when there is no file yet."""
    if not path.exists():
        return None
    return read(path)
