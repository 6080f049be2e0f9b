"""Read stored files with a cap on their size after decompression, so no file can exhaust memory.

Snapshots, index.json and history.json come back from archives, caches and downloaded
artifacts, so they are as untrusted as anything GitLab sends: a 1.5 MB gzip bomb would
otherwise take 3 GB. The limits are module attributes, read at each call, so tests can
lower them.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable
from pathlib import Path

from gldash_static.errors import GldashError

MB = 1_000_000
# A realistic snapshot of a 5,000-project organisation is ~60 MB of JSON; 512 MB leaves
# room for ~40,000 projects while still stopping a bomb before it takes a runner's memory
# (parsing JSON costs several times its size again, so much more would not be usable anyway).
SNAPSHOT_BYTES = 512 * MB
# index.json rows are ~250 bytes; 64 MB lists ~250,000 snapshots, more than the 200,000
# files a Pages site may hold (carry.MAX_FILES).
INDEX_BYTES = 64 * MB
# history.json keeps per-project rows (~30 bytes) for retention.daily_days: 5,000 busy
# projects over two years of daily rows is ~110 MB; 256 MB is twice that.
HISTORY_BYTES = 256 * MB

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


def read(
    path: Path,
    limit: int,
    what: str,
    error: type[GldashError],
    *,
    gunzip: bool = False,
    name: str | None = None,
) -> bytes:
    """The bytes of `path`, gunzipped when `gunzip` and it is gzip, never more than `limit`.

    Streams, so memory stays near `limit` whatever the file holds. Raises `error` naming the
    file (as `name`, when given) and the limit, or a corrupt gzip stream; OSError (not found,
    ...) passes through for the caller to word.
    """
    shown = name or str(path)
    with path.open("rb") as raw:
        if not (gunzip and raw.read(2) == GZIP_MAGIC):
            raw.seek(0)
            return _read_upto(raw.read, limit, shown, what, error, "")
        raw.seek(0)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                return _read_upto(unzipped.read, limit, shown, what, error, " once uncompressed")
        except (OSError, EOFError, zlib.error):
            raise error(f"{shown}: corrupt or truncated gzip {what}") from None


def check_size(
    size: int, limit: int, name: str, what: str, error: type[GldashError], how: str = ""
) -> None:
    """Raise `error` when `size` bytes of `name` are over `limit` (one wording for every file)."""
    if size > limit:
        raise error(f"{name}: {what} is over the {limit:,}-byte read limit{how}; refusing it")


def _read_upto(
    read_chunk: Callable[[int], bytes],
    limit: int,
    name: str,
    what: str,
    error: type[GldashError],
    how: str,
) -> bytes:
    # BytesIO hands its buffer over in getvalue() without a copy, so the peak is ~limit.
    out = io.BytesIO()
    size = 0
    while chunk := read_chunk(_CHUNK):
        size += len(chunk)
        check_size(size, limit, name, what, error, how)
        out.write(chunk)
    return out.getvalue()
