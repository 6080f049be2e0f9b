"""Carry-forward: bring back the previous archive before a build, since Pages replaces the site.

Two sources: the artifacts zip of the last successful Pages job (python-gitlab), or the
published site itself (index.json, then every file it lists). The archive folder is
replaced only once everything arrived and checked out; on any failure it stays as it was.
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

import requests

from gldash_static import atomic, bounded
from gldash_static.archive import history as history_mod
from gldash_static.archive.store import (
    CARRY,
    HISTORY,
    INDEX,
    PUBLISHED_HISTORY,
    IndexRow,
    digest,
    encode_index,
    is_dated_path,
    load_index,
)
from gldash_static.errors import ArchiveError

if TYPE_CHECKING:
    from gldash_static.gitlab.http import OriginSession

log = logging.getLogger(__name__)

MAX_DOWNLOAD_BYTES = 1 << 30  # a Pages site is 100 MB by default; a zip this big is not ours
# The archive's snapshots are gzip already, so a real archive extracts to about the size of
# its download: more out than could come in is a zip bomb. index.json and history.json are
# also held to the limits they are read with (gldash_static.bounded).
MAX_EXTRACT_BYTES = MAX_DOWNLOAD_BYTES
MAX_FILES = 200_000  # GitLab Pages' own per-site limit
TIMEOUT_S = 60.0
_CHUNK = 1 << 16


class NothingToCarry(ArchiveError):
    """There is no previous archive at all (first deployment, or archive never published)."""


@dataclass(frozen=True)
class CarryResult:
    """What carry-forward brought back."""

    mode: str
    snapshots: int
    bytes: int
    note: str = ""


@dataclass
class Limits:
    """Size limits for what a download may bring in; tests lower them."""

    download: int = MAX_DOWNLOAD_BYTES
    extract: int = MAX_EXTRACT_BYTES
    files: int = MAX_FILES


def _wanted(relative: str) -> bool:
    return relative in (INDEX, HISTORY) or is_dated_path(relative)


# Where a carried site's archive/history.json.gz is put while it is checked (a dot-file, like
# PUBLISHED_COPY): sites publish history.json gzipped only (Archive.files); those of earlier
# versions published it plain too, which is taken as it is.
HISTORY_COPY = ".published-history.json.gz"


def _read_limit(relative: str) -> int | None:
    """The limit a carried file is later read with, if it has its own (compressed, a gzipped
    history is at most that big too: gzip never shrinks JSON to nothing)."""
    limits = {INDEX: bounded.INDEX_BYTES, HISTORY: bounded.HISTORY_BYTES}
    return limits.get(relative, bounded.HISTORY_BYTES if relative == HISTORY_COPY else None)


def _copy_limited(src: IO[bytes], dst: IO[bytes], budget: int, what: str) -> int:
    written = 0
    while chunk := src.read(_CHUNK):
        written += len(chunk)
        if written > budget:
            raise ArchiveError(f"{what}: larger than the {budget:,}-byte limit; refusing it")
        dst.write(chunk)
    return written


# Where the site's snapshot.json.gz and the artifacts' archive/carry.json.gz are put while a
# carried archive is checked (dot-files: never published, never taken for dated snapshots).
PUBLISHED_COPY = ".published-snapshot.json.gz"
CARRIED_COPY = ".carried-snapshot.json.gz"
# Where the Pages job's artifacts hold the build's carry file (its archive.dir, relative to
# the project folder): beside public/, as .gitlab-ci.yml lists it.
CARRY_MEMBER = f"archive/{CARRY}"


def _restore_newest(staging: Path, rows: list[IndexRow], origin: str) -> IndexRow | None:
    """Put back the newest snapshot, which the site publishes as snapshot.json.gz rather than
    twice: from the carry file when the site publishes it without job attempts, else from
    snapshot.json.gz; the one whose content the index row's sha256 names. Returns the newest
    row when it had to change: see _without_job_attempts."""
    copies = [staging / CARRIED_COPY, staging / PUBLISHED_COPY]
    try:
        if not rows or "base" in rows[-1] or (staging / rows[-1]["path"]).is_file():
            return None
        present = [c for c in copies if c.is_file()]
        if not present or "sha256" not in rows[-1]:
            return None  # reported as missing by the caller
        target = staging / rows[-1]["path"]
        problems = []
        for copy, name in zip(copies, (CARRY, "snapshot.json.gz"), strict=True):
            if not copy.is_file():
                continue
            try:  # a broken carry file must not hide a good snapshot.json.gz
                found = digest(
                    bounded.read(
                        copy, bounded.SNAPSHOT_BYTES, name, ArchiveError, gunzip=True, name=origin
                    )
                )
            except ArchiveError as exc:
                problems.append(str(exc))
                continue
            if found == rows[-1]["sha256"]:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(copy, target)
                return None
            # Thinned, the newest no longer rebuilds a delta written from its job attempts.
            before = rows[-2] if len(rows) > 1 else None
            thinned_ok = before is None or "base" not in before or before.get("thinned", False)
            if copy == copies[1] and found == rows[-1].get("published_sha256") and thinned_ok:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(copy, target)
                return _without_job_attempts(rows[-1], target, origin)
            problems.append(
                f"{origin}: {name} is not the archive's newest snapshot ({rows[-1]['time']})"
                + (
                    f", only without its job attempts, which the snapshot before it needs "
                    f"(retention.jobs_days): {CARRY_MEMBER} must come with the artifacts"
                    if found == rows[-1].get("published_sha256")
                    else ""
                )
            )
        raise ArchiveError("; ".join(problems) + "; refusing it")
    finally:
        for copy in copies:
            copy.unlink(missing_ok=True)


def _without_job_attempts(row: IndexRow, restored: Path, origin: str) -> IndexRow:
    """The newest row once only the site's snapshot.json.gz, published without job attempts,
    came back: thinned, as retention thins older ones. Nothing is lost for good: the refresh
    fetches afresh every project whose pipelines lack them (fetch.plan.refreshable)."""
    log.warning(
        "archive: %s: no usable %s beside public/, so the newest snapshot came back without "
        "its job attempts: a refresh fetches every project afresh (an event build only its "
        "own, and the others show no job figures until the next refresh). List %s under the "
        "pages job's `artifacts: paths:` (docs/deploy.md) to refresh incrementally again",
        origin,
        CARRY_MEMBER,
        CARRY_MEMBER,
    )
    thinned = {k: v for k, v in row.items() if k != "published_sha256"}
    thinned.update(sha256=row["published_sha256"], thinned=True, size=restored.stat().st_size)
    return cast(IndexRow, thinned)


def _restore_history(staging: Path, origin: str) -> None:
    """Unzip the site's history.json.gz into history.json, within the limit it is read with;
    a plain history.json carried beside it wins."""
    copy = staging / HISTORY_COPY
    try:
        if not copy.is_file() or (staging / HISTORY).is_file():
            return
        data = bounded.read(
            copy,
            bounded.HISTORY_BYTES,
            "archive history",
            ArchiveError,
            gunzip=True,
            name=f"{origin}: archive/{PUBLISHED_HISTORY}",
        )
        (staging / HISTORY).write_bytes(data)
    finally:
        copy.unlink(missing_ok=True)


def _check_complete(staging: Path, origin: str) -> int:
    """Validate a carried archive folder; return its snapshot count."""
    index = staging / INDEX
    if not index.is_file():
        raise NothingToCarry(f"{origin}: no archive/index.json")
    rows = load_index(index, f"{origin}: archive/index.json")
    changed = _restore_newest(staging, rows, origin)
    if changed is not None:
        rows[-1] = changed
        index.write_bytes(encode_index(rows))
    missing = [r["path"] for r in rows if not (staging / r["path"]).is_file()]
    if missing:
        raise ArchiveError(
            f"{origin}: archive is incomplete ({len(missing)} listed snapshot(s) missing, "
            f"e.g. {missing[0]})"
        )
    _restore_history(staging, origin)
    if rows:
        if not (staging / HISTORY).is_file():
            raise ArchiveError(f"{origin}: archive has snapshots but no history.json")
        history_mod.load(staging / HISTORY, f"{origin}: archive/history.json")
    return len(rows)


def extract_zip(
    source: Path | IO[bytes],
    prefix: str,
    staging: Path,
    limits: Limits,
    origin: str,
    carry_member: str = CARRY_MEMBER,
) -> int:
    """Extract the archive files under `prefix` of a zip into `staging`; return bytes written.

    Only names the archive itself writes are taken (index, history, dated snapshots, the
    site's snapshot.json.gz and the build's `carry_member`), so no member can land outside
    `staging`; symlinks and oversized content are refused.
    """
    total = files = 0
    # The site's own snapshot.json.gz, beside its archive/ folder: the archive's newest.
    published = prefix.rstrip("/").rpartition("/")[0] + "/snapshot.json.gz"
    try:
        with zipfile.ZipFile(source) as bundle:
            for info in bundle.infolist():
                if info.is_dir():
                    continue
                if info.filename == published.lstrip("/"):
                    relative = PUBLISHED_COPY
                elif info.filename == carry_member:
                    relative = CARRIED_COPY
                elif info.filename == prefix + PUBLISHED_HISTORY:
                    relative = HISTORY_COPY
                elif info.filename.startswith(prefix):
                    relative = info.filename[len(prefix) :]
                    if not _wanted(relative):
                        continue
                else:
                    continue
                if (info.external_attr >> 16) & 0o170000 == 0o120000:
                    raise ArchiveError(f"{origin}: {info.filename} is a symbolic link; refusing")
                files += 1
                if files > limits.files:
                    raise ArchiveError(f"{origin}: more than {limits.files:,} archive files")
                if total + info.file_size > limits.extract:
                    raise ArchiveError(f"{origin}: archive exceeds {limits.extract:,} bytes")
                # index.json and history.json stop at the limit they are read with, not
                # at the whole archive's.
                budget, what = limits.extract - total, origin
                own = _read_limit(relative)
                if own is not None and own < budget:
                    budget, what = own, f"{origin}: {relative}"
                    if info.file_size > own:
                        raise ArchiveError(f"{what}: over the {own:,}-byte read limit; refusing it")
                target = staging / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                with bundle.open(info) as src, target.open("wb") as dst:
                    total += _copy_limited(src, dst, budget, what)
    except zipfile.BadZipFile:
        raise ArchiveError(f"{origin}: the artifacts are not a valid zip file") from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        raise ArchiveError(f"{origin}: cannot extract artifacts: {exc}") from None
    return total


def _gitlab_download(
    source_url: str,
    token: str | None,
    project: str | int,
    ref: str,
    job: str,
    out: IO[bytes],
    limits: Limits,
) -> None:
    # Imported late: URL mode, local builds and tests of other parts need no python-gitlab.
    from gldash_static.gitlab import http
    from gldash_static.gitlab.errors import FAILURES, failure

    try:
        # GitLab with object storage answers with a redirect to a signed storage URL: a
        # download client follows it without the token.
        client = http.gitlab_client(
            source_url, token=token, timeout=TIMEOUT_S, downloads=True, retry_transient_errors=True
        )
    except ValueError:
        raise ArchiveError("the GitLab URL is not an http(s) URL with a host") from None
    written = 0

    def sink(chunk: bytes) -> None:
        nonlocal written
        written += len(chunk)
        if written > limits.download:
            raise ArchiveError(f"artifacts download exceeds {limits.download:,} bytes; refusing it")
        out.write(chunk)

    where = f"artifacts of job '{job}' on {ref}"
    try:
        with client:
            client.projects.get(project, lazy=True).artifacts.download(
                ref_name=ref, job=job, streamed=True, action=sink, chunk_size=_CHUNK
            )
    except FAILURES as exc:
        failed = failure(exc, TIMEOUT_S)
        if failed.status == 404:
            raise NothingToCarry(f"{where}: not found (no successful Pages job yet?)") from None
        raise ArchiveError(f"{where}: download failed: {failed.message}") from None


def from_artifacts(
    staging: Path,
    source_url: str,
    token: str | None,
    project: str | int,
    ref: str,
    job: str,
    prefix: str,
    limits: Limits,
    carry_member: str = CARRY_MEMBER,
) -> int:
    """Download the Pages job's artifacts and extract the archive into `staging`."""
    with tempfile.TemporaryFile() as raw:
        _gitlab_download(source_url, token, project, ref, job, raw, limits)
        raw.seek(0)
        return extract_zip(raw, prefix, staging, limits, f"artifacts of '{job}'", carry_member)


def carry_member(archive_dir: Path, project_dir: Path) -> str:
    """Where the Pages job's artifacts hold the carry file of a build whose archive folder is
    `archive_dir`: its path from the project folder (the CI job's working directory)."""
    try:
        relative = archive_dir.resolve().relative_to(project_dir.resolve())
    except ValueError:
        return CARRY_MEMBER  # outside the project: artifacts cannot hold it; the default
    return f"{relative.as_posix()}/{CARRY}" if relative.parts else CARRY


def _download_session(url: str, what: str) -> OriginSession:
    from gldash_static.gitlab import http  # imported late, as in _gitlab_download

    try:
        return http.session(url, downloads=True)
    except ValueError:
        raise ArchiveError(f"{what} is not an http(s) URL with a host") from None


def _get(session: requests.Session, url: str, out: IO[bytes], budget: int) -> int:
    try:
        with session.get(url, timeout=TIMEOUT_S, stream=True) as response:
            if response.status_code == 404:
                raise NothingToCarry(f"{url}: not found")
            if response.status_code != 200:
                raise ArchiveError(f"{url}: HTTP {response.status_code}")
            written = 0
            for chunk in response.iter_content(_CHUNK):
                written += len(chunk)
                if written > budget:
                    raise ArchiveError(f"{url}: larger than the {budget:,}-byte limit")
                out.write(chunk)
            return written
    except requests.RequestException as exc:
        raise ArchiveError(f"{url}: download failed ({type(exc).__name__})") from None


def _get_published(session: requests.Session, site_url: str, staging: Path, budget: int) -> int:
    url = site_url.rstrip("/") + "/snapshot.json.gz"
    try:
        with (staging / PUBLISHED_COPY).open("wb") as out:
            return _get(session, url, out, budget)
    except NothingToCarry as exc:
        raise ArchiveError(f"published archive is incomplete: {exc}") from None


def _get_history(session: requests.Session, base: str, staging: Path, budget: int) -> int:
    """history.json.gz of a published archive, or the plain history.json of an earlier site."""
    budget = min(budget, bounded.HISTORY_BYTES)
    try:
        with (staging / HISTORY_COPY).open("wb") as out:
            return _get(session, base + PUBLISHED_HISTORY, out, budget)
    except NothingToCarry:
        (staging / HISTORY_COPY).unlink(missing_ok=True)
    try:
        with (staging / HISTORY).open("wb") as out:
            return _get(session, base + HISTORY, out, budget)
    except NothingToCarry as exc:
        raise ArchiveError(f"published archive is incomplete: {exc}") from None


def from_url(staging: Path, site_url: str, limits: Limits) -> int:
    """Download index.json, history.json and every listed snapshot from the published site."""
    base = site_url.rstrip("/") + "/archive/"
    total = 0
    # No credentials at all: a published site needs none, wherever it redirects.
    with _download_session(site_url, "carry_forward_url") as session:
        with (staging / INDEX).open("wb") as out:
            total += _get(session, base + INDEX, out, limits.download)
        rows = load_index(staging / INDEX, base + INDEX)
        if len(rows) > limits.files:
            raise ArchiveError(f"{base}{INDEX}: more than {limits.files:,} snapshots listed")
        if rows:
            total += _get_history(session, base, staging, limits.download - total)
        for name in [r["path"] for r in rows]:
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with target.open("wb") as out:
                    total += _get(session, base + name, out, limits.download - total)
            except NothingToCarry as exc:
                target.unlink(missing_ok=True)
                if name == rows[-1]["path"] and "base" not in rows[-1]:
                    # The site publishes its newest snapshot once, as snapshot.json.gz.
                    total += _get_published(session, site_url, staging, limits.download - total)
                    continue
                # The index promised this file: a hole in the history, not a first deployment.
                raise ArchiveError(f"published archive is incomplete: {exc}") from None
    return total


def carry(
    target: Path,
    fetch: Callable[[Path], int],
    mode: str,
    allow_empty: bool,
    protect: Sequence[Path] = (),
) -> CarryResult:
    """Run `fetch` into a staging folder and swap it in for `target` once it checks out.

    `target` must be new, empty or gldash's own archive folder (outdir), holding no `protect`.
    """
    try:
        with atomic.replace_dir(target, "archive", protect) as staging:
            size = fetch(staging)
            count = _check_complete(staging, mode)
    except NothingToCarry as exc:
        if not allow_empty:
            raise ArchiveError(
                f"no previous archive to carry forward ({exc}); refusing to publish a site "
                "whose history would start over. Pass --allow-empty-history for the first "
                "deployment"
            ) from None
        log.warning("archive: starting a new history: %s", exc)
        return CarryResult(mode=mode, snapshots=0, bytes=0, note=str(exc))
    log.info("archive: carried forward %d snapshot(s), %d bytes (%s)", count, size, mode)
    return CarryResult(mode=mode, snapshots=count, bytes=size)
