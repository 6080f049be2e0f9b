"""Folders gldash owns: the marker it leaves in each, and the checks before it replaces one.

gldash replaces its site folder and carried archive folder whole, so it must never be
pointed at a folder holding anything else: it deletes only what it wrote. Every folder it
writes carries MARKER; a folder without one is taken only when it is new, empty, or
recognisably an output of a gldash from before the marker (it is then adopted). The file
system root, the home folder, a Git repository and the config's own folder are refused
whatever they hold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from gldash_static.errors import UsageError

MARKER = ".gldash-output"
KINDS = ("site", "archive")
# Published with the site (Pages serves dot-files too); it says nothing about the data.
_TEXT = "gldash {kind}: gldash replaces this folder as a whole on every run.\n"

# What a site written before the marker holds at its top: gldash's own feeds, and pages,
# feeds and their .gz copies only (a user's config.yml, README.md or Makefile rule it out).
_SITE_NEEDS = ("index.html", "health.json", "snapshot.json")
_SITE_SUFFIXES = frozenset({".html", ".json", ".txt", ".xml", ".csv", ".svg", ".css", ".js", ".gz"})
# ... and an archive: index.json, history.json, YYYY folders, and atomic.write_bytes'
# temporary files left by a killed run.
_ARCHIVE_ENTRY = re.compile(r"index\.json|history\.json|\d{4}|\.(index|history)\.json\..*\.tmp")


def marker_bytes(kind: str) -> bytes:
    """The marker file's content for a folder of `kind` ('site' or 'archive')."""
    return _TEXT.format(kind=kind).encode()


def check(target: Path, kind: str, protect: Sequence[Path] = ()) -> bool:
    """Raise UsageError when gldash must not write `kind` into `target`; True to adopt it.

    `protect` are files that must survive (the config): a folder holding one is refused.
    Reads only the folder's top level; writes nothing.
    """
    target = target.resolve()
    reason, adopt = _judge(target, kind, [p.resolve() for p in protect])
    if reason is not None:
        raise UsageError(f"refusing to write the {kind} into {target}: {reason}")
    return adopt


def claim(target: Path, kind: str, protect: Sequence[Path] = (), create: bool = False) -> None:
    """`check` the folder, then mark it as gldash's (adopting it); `create` makes it first."""
    check(target, kind, protect)
    target = target.resolve()
    if create:
        target.mkdir(parents=True, exist_ok=True)
    if target.is_dir() and not is_marked(target):
        # check() let it through unmarked: it is empty, or an older gldash's output.
        (target / MARKER).write_bytes(marker_bytes(kind))


def is_marked(folder: Path) -> bool:
    """Whether `folder` carries a gldash marker (of any kind)."""
    return (folder / MARKER).is_file()


def _judge(target: Path, kind: str, protect: list[Path]) -> tuple[str | None, bool]:
    if target.parent == target:
        return "it is the file system root", False
    for path in protect:
        if path.is_relative_to(target):
            return f"it holds {path}, which is not gldash's to delete", False
    home = _home()
    if home is not None and home.is_relative_to(target):
        return "it is your home folder" if home == target else "it holds your home folder", False
    if not target.exists() and not target.is_symlink():
        return None, False
    if not target.is_dir():
        return "it is not a folder", False
    if (target / ".git").exists():
        return "it is a Git repository (it holds .git)", False
    if is_marked(target):
        other = _marked_kind(target)
        if other is not None and other != kind:
            return f"it holds a gldash {other}, not a {kind}", False
        return None, False
    names = [entry.name for entry in target.iterdir()]
    if not names:
        return None, False
    if _looks_like(target, names, kind):
        return None, True
    return (
        f"it holds files gldash did not write (there is no {MARKER} marker); "
        "choose a new or empty folder",
        False,
    )


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError):  # no HOME and no password entry
        return None


def _marked_kind(folder: Path) -> str | None:
    """The kind a marker names; None for an unreadable or hand-made (e.g. empty) one."""
    try:
        with (folder / MARKER).open("rb") as handle:
            head = handle.read(64)
    except OSError:
        return None
    return next((k for k in KINDS if head.startswith(f"gldash {k}:".encode())), None)


def _looks_like(folder: Path, names: list[str], kind: str) -> bool:
    """Whether `folder` is what a gldash from before the marker wrote as a `kind`."""
    if kind == "archive":
        return all(_ARCHIVE_ENTRY.fullmatch(n) for n in names) and any(
            n == "index.json" or n.isdigit() for n in names
        )
    if not all((folder / n).is_file() for n in _SITE_NEEDS):
        return False
    for name in names:
        entry = folder / name
        if name.startswith(".") or entry.is_symlink():
            return False
        if entry.is_file() and Path(name).suffix not in _SITE_SUFFIXES:
            return False
    return True
