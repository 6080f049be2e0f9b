"""The whole job in pipeline order: carry the archive forward, fetch, archive, render."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from gldash_static import outdir
from gldash_static import snapshot as snapshot_file
from gldash_static.archive import Archive
from gldash_static.config import Config
from gldash_static.config.settings import SiteSettings
from gldash_static.errors import SnapshotError
from gldash_static.fetch import FetchOutcome, FetchRequest, fetch_snapshot
from gldash_static.fetch.progress import Progress
from gldash_static.gitlab.origin import owner_of
from gldash_static.model import Snapshot
from gldash_static.render import RenderResult, budget, render_site
from gldash_static.timeutil import iso_utc

log = logging.getLogger("gldash")


@dataclass(frozen=True)
class BuildOptions:
    """What `gldash build` was asked to do."""

    fetch: FetchRequest = field(default_factory=FetchRequest)
    out: Path | None = None  # the site folder; default: site.output_dir
    snapshot_path: Path | None = None  # default: config.snapshot
    previous_path: Path | None = None  # snapshot to refresh; default: snapshot_path, archive
    from_snapshot: Path | None = None  # skip the fetch and publish this snapshot
    allow_empty_history: bool = False


@dataclass(frozen=True)
class BuildResult:
    """What a build produced, and whether all of its data is fresh."""

    snapshot: Snapshot
    render: RenderResult
    complete: bool
    summary: str


def open_archive(config: Config) -> Archive | None:
    """The configured archive, or None when archiving is off."""
    if not config.archive.enabled:
        return None
    return Archive(config.archive, protect=(config.path,))


def in_gitlab_ci() -> bool:
    """Whether this runs as a GitLab CI job (or with its variables set, as the tests do)."""
    return os.environ.get("GITLAB_CI") == "true" or bool(os.environ.get("CI_PROJECT_ID"))


def carry_forward(config: Config, archive: Archive, allow_empty: bool) -> None:
    """Bring back the published archive when this checkout has none (as in a fresh CI job)."""
    if archive.rows():
        return  # the archive is already here (a local build, or a carried-forward one)
    mode = archive.settings.carry_forward
    if mode == "none":
        log.info("archive: carry-forward off (archive.carry_forward: none)")
        return
    if mode == "artifacts" and not in_gitlab_ci():
        # Only a CI job knows which project's Pages artifacts hold the published archive; a
        # local build without one is the normal case, not a lost history.
        log.info(
            "archive: no previous archive is fetched outside GitLab CI; using the local "
            "archive folder %s",
            archive.root,
        )
        return
    server = (os.environ.get("CI_SERVER_URL") or config.sources[0].url).rstrip("/")
    # A token goes only to the instance it belongs to: the source at the origin of the server
    # holding the dashboard project. Without one, the download is tried without a token.
    owner = owner_of(server, config.sources)
    token = os.environ.get(owner.token_env) if owner is not None else None
    # Archive.carry_forward reports what it brought back (or that a new history starts).
    archive.carry_forward(
        server,
        token,
        os.environ.get("CI_PROJECT_ID"),
        os.environ.get("CI_DEFAULT_BRANCH") or os.environ.get("CI_COMMIT_REF_NAME"),
        allow_empty=allow_empty,
    )


def previous_snapshot(
    path: Path, archive: Archive | None, full: bool, explicit: Path | None = None
) -> Snapshot | None:
    """The snapshot to refresh: `explicit`, else the file at `path`, else the newest archived.

    Even a full fetch takes it, so that what it cannot refresh is kept marked stale; but a
    full fetch is also the way out of a broken snapshot, so for one an unreadable file is
    only a warning. A previous snapshot named on the command line must exist.
    """
    if explicit is not None and not explicit.exists():
        raise SnapshotError(f"{explicit}: previous snapshot not found")
    try:
        found = snapshot_file.read_optional(explicit or path)
    except SnapshotError as exc:
        if not full:
            raise
        log.warning("%s; fetching without it", exc)
        return None
    if found is None and archive is not None:
        found = archive.newest()
    return found


def fetch_to(
    config: Config,
    request: FetchRequest,
    path: Path,
    progress: Progress,
    archive: Archive | None = None,
    explicit: Path | None = None,
) -> FetchOutcome:
    """Fetch on top of the previous snapshot (see previous_snapshot) and write it to `path`."""
    previous = previous_snapshot(path, archive, request.full, explicit)
    outcome = fetch_snapshot(config, previous, request, progress)
    snapshot_file.write(outcome.snapshot, path)
    return outcome


def render_with_archive(
    snapshot: Snapshot,
    site: SiteSettings,
    out: Path,
    archive: Archive | None,
    protect: Sequence[Path] = (),
) -> RenderResult:
    """Render the site, with the Archive, Trends and Changes pages when there is an archive."""
    pages = (
        archive.pages(snapshot, site.stale_branch_days, site.snapshot_job_attempts)
        if archive
        else []
    )
    files = archive.files(snapshot) if archive else []
    return render_site(snapshot, out, site, extra_pages=pages, extra_files=files, protect=protect)


def render_to_fit(
    snapshot: Snapshot,
    site: SiteSettings,
    out: Path,
    archive: Archive | None,
    protect: Sequence[Path] = (),
) -> RenderResult:
    """render_with_archive, then, if the site passed site.max_mb, again without the oldest
    archived snapshots: a deployment GitLab Pages refuses would leave the whole site stale."""
    if archive is None:
        return render_with_archive(snapshot, site, out, archive, protect)
    # Unchecked first: a site about to fit must not be reported as one Pages would refuse.
    result = render_with_archive(snapshot, replace(site, max_mb=None), out, archive, protect)
    excess = budget.archive_excess(result.bytes, archive.droppable_bytes(), site.max_mb)
    dropped = archive.shed(excess) if excess else []
    if not dropped or site.max_mb is None:  # no limit: archive_excess dropped nothing
        warning = budget.warning(result.bytes, result.files, list(result.parts), site.max_mb)
        if warning:
            log.warning("%s", warning)
        return result
    log.warning(
        "site: %.1f MB is over %s: dropped the %d oldest archived snapshot(s), "
        "%s to %s, to fit (trends keep their days); raise site.max_mb, and the instance's "
        "Pages limit, to keep more",
        result.bytes / budget.MB,
        budget.limit_text(site.max_mb),
        len(dropped),
        dropped[0]["time"],
        dropped[-1]["time"],
    )
    return render_with_archive(snapshot, site, out, archive, protect)


def build(config: Config, options: BuildOptions, progress: Progress) -> BuildResult:
    """Run the whole job; nothing published is replaced unless each step before it succeeded."""
    archive = open_archive(config)
    site = options.out or config.site.output_dir
    # Refuse a folder gldash must not replace before fetching or writing anything.
    outdir.check(site, "site", (config.path,))
    if archive is not None:
        archive.check()
        carry_forward(config, archive, options.allow_empty_history)
        # Read index and history now: a corrupt one must fail the build before the snapshot
        # is replaced, not after.
        archive.rows()
        archive.history()
    path = options.snapshot_path or config.snapshot
    if options.from_snapshot is not None:
        snapshot = snapshot_file.read(options.from_snapshot)
        complete, summary = True, f"publishing {options.from_snapshot}"
        snapshot_file.write(snapshot, path)
    else:
        outcome = fetch_to(config, options.fetch, path, progress, archive, options.previous_path)
        snapshot, complete, summary = outcome.snapshot, outcome.complete, outcome.summary
    if archive is not None:
        dated = archive.future_date(snapshot)
        if dated is None:
            archive.add(snapshot)
        else:
            # One wrong clock must not sit in the archive as its newest snapshot for years.
            log.warning(
                "snapshot dated %s, after this machine's clock; published but not "
                "archived (check GitLab's and the runner's clocks)",
                iso_utc(dated),
            )
    result = render_to_fit(snapshot, config.site, site, archive, (config.path,))
    if archive is not None:
        kept = archive.keep_for_carry(snapshot, config.site.snapshot_job_attempts)
        if kept is not None:
            log.info("archive: newest snapshot kept whole for carry-forward in %s", kept)
    return BuildResult(snapshot, result, complete, summary)
