"""The published site against GitLab Pages' limits: its size by part, and the warning before
a deployment would be refused."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MB = 1_000_000  # sizes are reported in these
# GitLab reads max_pages_size (and so site.max_mb) in Rails' megabytes, 1,048,576 bytes each
# (Gitlab::Pages::DeploymentValidations: `max_pages_size.megabytes`): a 100 MB limit refuses
# a site over 104,857,600 bytes, not over 100,000,000.
GITLAB_MB = 1 << 20
WARN_AT = 0.8  # of site.max_mb: room for a few more weeks of growth before Pages refuses it
# A build whose site passes site.max_mb drops old archived snapshots until it is back to this
# share of it: room for days of new snapshots before the next such build renders twice.
FIT_AT = 0.95
# GitLab Pages' default per-site file limit (Pages::DeploymentValidations#validate_max_entries).
MAX_FILES = 200_000
SHOWN_PARTS = 3


@dataclass(frozen=True, slots=True)
class Part:
    """One top-level entry of the site (a folder such as p/, or a file) and what it holds."""

    name: str
    bytes: int
    files: int


def parts(files: Iterable[tuple[str, int]]) -> list[Part]:
    """(relative path, size) pairs grouped by top-level entry, largest first."""
    sizes: dict[str, list[int]] = {}
    for path, size in files:
        head, sep, _ = path.partition("/")
        key = head + "/" if sep else head
        sizes.setdefault(key, [0, 0])
        sizes[key][0] += size
        sizes[key][1] += 1
    found = [Part(name, total, count) for name, (total, count) in sizes.items()]
    return sorted(found, key=lambda p: (-p.bytes, p.name))


def describe(found: list[Part], shown: int = SHOWN_PARTS) -> str:
    """The largest parts in words: 'p/ 13.0 MB in 926 files, snapshot.json.gz 1.5 MB'."""

    def one(part: Part) -> str:
        where = f" in {part.files:,} files" if part.name.endswith("/") else ""
        return f"{part.name} {part.bytes / MB:,.1f} MB{where}"

    return ", ".join(one(p) for p in found[:shown])


def limit_bytes(max_mb: float) -> float:
    """site.max_mb in bytes, as GitLab Pages counts its own megabytes (a float: a limit the
    config may set near the largest float overflows to infinity, which int() refuses)."""
    return max_mb * GITLAB_MB


def limit_text(max_mb: float) -> str:
    """The limit in words, for every message that names it."""
    return f"site.max_mb ({max_mb:g} MB as GitLab counts them: {limit_bytes(max_mb) / MB:,.1f} MB)"


def archive_excess(total: int, droppable: int, max_mb: float | None) -> int:
    """Bytes of archived snapshots to drop so a site of `total` bytes fits site.max_mb.

    `droppable` is what the archive could give up (every snapshot but the newest). 0 when the
    site fits, and when dropping all of that would still not be enough: history is never
    thrown away for a deployment Pages would refuse anyway.
    """
    if max_mb is None or total <= limit_bytes(max_mb) or droppable <= 0:
        return 0
    if total - droppable > limit_bytes(max_mb):
        return 0
    return min(droppable, total - int(FIT_AT * limit_bytes(max_mb)))


def warning(total: int, files: int, found: list[Part], max_mb: float | None) -> str | None:
    """What to tell the person deploying when the site nears or passes a Pages limit."""
    problems = []
    if max_mb is not None and total > WARN_AT * limit_bytes(max_mb):
        verb = "exceeds" if total > limit_bytes(max_mb) else "is near"
        problems.append(f"{total / MB:,.1f} MB {verb} {limit_text(max_mb)}")
    if files > WARN_AT * MAX_FILES:
        verb = "exceeds" if files > MAX_FILES else "is near"
        problems.append(f"{files:,} files {verb} GitLab Pages' {MAX_FILES:,}-file limit")
    if not problems:
        return None
    return (
        f"site: {'; '.join(problems)}; largest: {describe(found)}. GitLab Pages refuses a "
        "deployment over its limits: shorten archive.retention, lower archive.retention.max_mb, "
        "or raise the instance's limit and site.max_mb"
    )
