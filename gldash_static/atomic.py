"""Crash-safe file and folder replacement: write beside the target, fsync, then os.replace."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator, Sequence
from fnmatch import fnmatchcase
from pathlib import Path

from gldash_static import outdir

# Test-only: `GLDASH_TEST_CRASH_AT=<stage>:<file name pattern>` makes the process SIGKILL
# itself at that point, so crash-safety tests can stop a run exactly between two steps.
CRASH_ENV = "GLDASH_TEST_CRASH_AT"


def crash_point(stage: str, path: Path) -> None:
    """Kill this process when the test-only crash variable names `stage:<path's name>`."""
    wanted = os.environ.get(CRASH_ENV)
    if wanted and fnmatchcase(f"{stage}:{path.name}", wanted):
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once the directory entry itself reaches the disk.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that readers see either the old or the new file whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file private (0600); written files are meant to be shared
        # like any other (a snapshot is published, CI caches it), so use the usual mode.
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        crash_point("file-written", path)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)
    crash_point("file-replaced", path)


@contextlib.contextmanager
def replace_dir(target: Path, kind: str, protect: Sequence[Path] = ()) -> Iterator[Path]:
    """Yield a staging folder; on success it atomically takes the place of `target`.

    `target` must be gldash's own folder of `kind` (see outdir: never a folder holding
    anything else, nor one holding `protect`); the staging folder starts with just its
    marker. The old folder is renamed aside and removed only after the new one is in
    place, so a crash at any point leaves either the old or the new folder complete at
    `target` (or, in the instant between the two renames, the old one beside it as
    `.name.old-*`, which `recover_dir` puts back).
    """
    target = target.resolve()
    outdir.claim(target, kind, protect)  # before anything is touched
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target):
        recover_dir(target)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
        try:
            (staging / outdir.MARKER).write_bytes(outdir.marker_bytes(kind))
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        crash_point("dir-staged", target)
        old: Path | None = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            old.rmdir()
            os.replace(target, old)
        crash_point("dir-moved-aside", target)
        os.replace(staging, target)
        _fsync_dir(target.parent)
        crash_point("dir-replaced", target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _exclusive(target: Path) -> Iterator[None]:
    """Lock `target`'s parent folder so two writers of the same folder take turns.

    Without it a second render's crash recovery would remove the first one's staging
    folder as a leftover. The lock is on the folder itself (no lock file is left behind)
    and dies with its process, so a killed run never blocks the next. Writers in one
    process never nest, so the lock is not re-entrant.
    """
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def recover_dir(target: Path) -> None:
    """Clean up after a crash inside `replace_dir`: restore the old folder or drop leftovers.

    Only leftovers that are gldash's own (marked, or empty) are removed: the names alone
    could be anyone's.
    """
    parent = target.parent
    if not parent.is_dir():
        return
    olds = sorted(parent.glob(f".{target.name}.old-*"))
    if not target.exists() and olds:
        os.replace(olds[-1], target)
        olds = olds[:-1]
    for leftover in [*olds, *parent.glob(f".{target.name}.new-*")]:
        if leftover.is_dir() and (outdir.is_marked(leftover) or not any(leftover.iterdir())):
            shutil.rmtree(leftover, ignore_errors=True)
