"""The Archive: what `gldash build` and `gldash archive` call."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gldash_static import atomic, bounded, outdir
from gldash_static.archive import carry, chain, facts, pages, retention
from gldash_static.archive import history as history_mod
from gldash_static.archive.changes import Changes, diff
from gldash_static.archive.store import (
    CARRY,
    HISTORY,
    PUBLISHED_HISTORY,
    SITE_DIR,
    IndexRow,
    Store,
    migrated,
    prepare,
    published_whole,
)
from gldash_static.config.settings import ArchiveSettings
from gldash_static.errors import ArchiveError
from gldash_static.model import Snapshot
from gldash_static.rules.facts import STALE_BRANCH_DAYS
from gldash_static.snapshot import canonical_gzip
from gldash_static.timeutil import iso_utc

if TYPE_CHECKING:
    from gldash_static.render import ExtraFile, ExtraPage

log = logging.getLogger(__name__)

SIZE_WARNING = 80_000_000  # GitLab Pages' self-managed default limit is 100 MB per site


@dataclass(frozen=True)
class PruneResult:
    """What retention removed (or would remove, in a dry run)."""

    removed: list[IndexRow] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)  # dated files no index row mentions
    kept: int = 0


@dataclass(frozen=True)
class Decision:
    """Retention's verdict on the index rows, oldest first."""

    kept: list[IndexRow]
    removed: list[IndexRow]

    @property
    def kept_count(self) -> int:
        """How many rows stay."""
        return len(self.kept)


class Archive:
    """Dated snapshot copies, index.json and history.json in one folder (settings.dir)."""

    def __init__(
        self,
        settings: ArchiveSettings,
        root: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        protect: Sequence[Path] = (),
    ) -> None:
        self.settings = settings
        self.root = Path(root if root is not None else settings.dir)
        self.store = Store(self.root)
        self.protect = tuple(protect)  # files the folder must not hold (the config)
        self.clock = clock  # the machine's own clock: the bound on "now" for retention

    # -- reading -------------------------------------------------------------------------

    def rows(self) -> list[IndexRow]:
        """Every archived snapshot's index row, oldest first."""
        return self.store.read_index()

    def history(self) -> history_mod.History:
        """The per-day history (empty for a new archive)."""
        path = self.store.history_path
        try:
            return history_mod.load(path)
        except FileNotFoundError:
            if self.rows():
                raise ArchiveError(
                    f"{path}: missing, but the archive lists snapshots; run "
                    "`gldash archive rebuild` to recreate it"
                ) from None
            return history_mod.History()
        except OSError as exc:
            raise ArchiveError(f"{path}: cannot read: {exc.strerror}") from None

    def load(self, row: IndexRow, rows: list[IndexRow] | None = None) -> Snapshot:
        """The archived snapshot of `row`, rebuilt through the chain of deltas and migrated."""
        chain_rows = self.rows() if rows is None else rows
        return migrated(chain.load(self.store, chain_rows, row), row["path"])

    def newest(self) -> Snapshot | None:
        """The newest archived snapshot (stored whole, so this reads one file); None if none."""
        rows = self.rows()
        return self.load(rows[-1], rows) if rows else None

    def previous(self, snapshot: Snapshot) -> Snapshot | None:
        """The newest archived snapshot older than `snapshot`, migrated; None if there is none."""
        stamp = facts.iso_utc(facts.snapshot_time(snapshot))
        rows = self.rows()
        older = [r for r in rows if r["time"] < stamp]
        return self.load(older[-1], rows) if older else None

    def changes(self, snapshot: Snapshot, stale_days: int = STALE_BRANCH_DAYS) -> Changes:
        """What changed since the previous archived snapshot."""
        return diff(self.previous(snapshot), snapshot, stale_days)

    # -- writing -------------------------------------------------------------------------

    def carry_forward(
        self,
        source_url: str | None,
        token: str | None,
        project_id_or_path: str | int | None,
        ref: str | None,
        allow_empty: bool = False,
        *,
        artifact_prefix: str = "public/archive/",
        limits: carry.Limits | None = None,
    ) -> carry.CarryResult:
        """Bring back the previously published archive into the archive folder.

        'artifacts' downloads the last successful Pages job's artifacts on `ref`; 'url' reads
        the published site at settings.carry_forward_url; 'none' does nothing. Raises
        ArchiveError, leaving the folder untouched, when a previous archive is expected but
        cannot be fetched; `allow_empty` accepts that there is none yet (first deployment).
        """
        mode = self.settings.carry_forward
        limits = limits or carry.Limits()
        if mode == "none":
            return carry.CarryResult(mode="none", snapshots=0, bytes=0, note="disabled")
        if mode == "url":
            url = self.settings.carry_forward_url
            if not url:
                raise ArchiveError("archive.carry_forward is 'url' but carry_forward_url is unset")
            return carry.carry(
                self.root,
                lambda staging: carry.from_url(staging, url, limits),
                "url",
                allow_empty,
                self.protect,
            )
        if mode != "artifacts":
            raise ArchiveError(f"unknown archive.carry_forward mode {mode!r}")
        if not source_url or project_id_or_path is None or not ref:
            raise ArchiveError(
                "carry-forward from artifacts needs the GitLab URL, the dashboard project and "
                "its branch (CI_SERVER_URL, CI_PROJECT_ID, CI_DEFAULT_BRANCH in GitLab CI); "
                "to build without the previous archive, set archive.carry_forward: none"
            )
        job = self.settings.pages_job
        member = carry.carry_member(self.root, Path.cwd())
        return carry.carry(
            self.root,
            lambda staging: carry.from_artifacts(
                staging,
                source_url,
                token,
                project_id_or_path,
                ref,
                job,
                artifact_prefix,
                limits,
                member,
            ),
            "artifacts",
            allow_empty,
            self.protect,
        )

    def future_date(self, snapshot: Snapshot) -> datetime | None:
        """The snapshot's date when it lies beyond this machine's clock and its tolerance.

        Such a snapshot would stay the archive's newest for years (retention keeps it), and
        every later build would take it as the previous one.
        """
        dated = facts.parse_time(snapshot.get("generated_at"))
        limit = self.clock() + retention.FUTURE_TOLERANCE
        return dated if dated is not None and dated > limit else None

    def add(self, snapshot: Snapshot) -> IndexRow:
        """Store `snapshot`, update history.json and index.json, apply retention.

        The newest snapshot is kept whole and the one it follows becomes a delta from it.
        Everything is read and checked before anything is written, so a corrupt index or
        history fails the build with the archive untouched. index.json is written last: it
        is the commit point, and files it does not list are only leftovers.
        """
        rows = self.rows()
        history = self.history()
        self.check()
        row, canonical, data = prepare(snapshot)
        self.claim()  # the folder exists now; it was checked before the first write
        updated = history_mod.update(history, snapshot, self.settings.retention.daily_days)
        self.store.write_history(history_mod.encode(updated))
        candidates = [r for r in rows if r["time"] != row["time"]] + [row]
        decided = self._decide(sorted(candidates, key=lambda r: r["time"]), added=snapshot)
        fresh = {row["time"]: json.loads(canonical)}
        final = chain.recompose(self.store, rows, decided.kept, fresh, self._thin(decided.kept))
        if any(r["path"] == row["path"] and "base" not in r for r in final):
            self.store.write_data(row["path"], data)
        self._commit(rows, final)
        log.info(
            "archive: added %s (%d kept, %d pruned)",
            row["path"],
            decided.kept_count,
            len(decided.removed),
        )
        size = sum(r["size"] for r in final)
        if size > SIZE_WARNING:
            log.warning(
                "archive: %.0f MB of snapshots; GitLab Pages sites are limited to 100 MB by "
                "default: shorten archive.retention or raise the instance's limit",
                size / 1e6,
            )
        return next((r for r in final if r["time"] == row["time"]), row)

    def _commit(self, old: list[IndexRow], final: list[IndexRow]) -> None:
        """Write the index of `final`, then delete the dated files it no longer lists: those
        of `old` it replaced or pruned, and leftovers of a build killed before this step."""
        self.store.write_index(final)
        listed = {r["path"] for r in final}
        stale = {r["path"] for r in old} | set(self.store.dated_files())
        for path in sorted(stale - listed):  # only after the index no longer lists them
            self.store.remove(path)

    def check(self) -> None:
        """Refuse (UsageError) when the folder is not one gldash may write its archive into."""
        outdir.check(self.root, "archive", self.protect)

    def claim(self) -> None:
        """`check`, then create the folder if need be and mark it as gldash's archive."""
        outdir.claim(self.root, "archive", self.protect, create=True)

    def prune(self, dry_run: bool = False) -> PruneResult:
        """Apply retention to the index, and delete dated files no row lists."""
        rows = self.rows()
        if not dry_run:
            self.claim()
        decided = self._decide(rows)
        final = decided.kept
        if not dry_run:
            final = chain.recompose(self.store, rows, decided.kept)
            self._commit(rows, final)
        listed = {r["path"] for r in rows} | {r["path"] for r in final}
        orphans = [p for p in self.store.dated_files() if p not in listed]
        if not dry_run:
            for path in orphans:
                self.store.remove(path)
        return PruneResult(removed=decided.removed, orphans=orphans, kept=decided.kept_count)

    def shed(self, size: int) -> list[IndexRow]:
        """Drop the oldest snapshots, never the newest, until `size` bytes of files are gone.

        For a site that would not fit GitLab Pages (see budget.archive_excess); the rows
        dropped. history.json keeps their daily figures, so trends lose nothing.
        """
        rows = self.rows()
        counted = self._budgeted(rows)
        if size <= 0 or len(counted) < 2:
            return []
        self.claim()
        decided = self._decide(rows, max_bytes=sum(counted) - size)
        self._commit(rows, chain.recompose(self.store, rows, decided.kept))
        return decided.removed

    def droppable_bytes(self) -> int:
        """What `shed` could free at most: the files of every snapshot the size budget counts
        (not those dated after this machine's clock, which are always kept) but the newest."""
        counted = self._budgeted(self.rows())
        return sum(counted) - counted[-1] if counted else 0

    def _budgeted(self, rows: list[IndexRow]) -> list[int]:
        """Sizes of the rows a size budget counts, oldest first: not those dated in the future."""
        sizes = {t: r["size"] for r in rows if (t := facts.parse_time(r["time"])) is not None}
        present, _ = retention.split_future(sizes, self.clock() + retention.FUTURE_TOLERANCE)
        return [sizes[moment] for moment in present]

    def _decide(
        self, rows: list[IndexRow], added: Snapshot | None = None, max_bytes: int | None = None
    ) -> Decision:
        """Which rows retention keeps (warning about future dates and the size budget).

        `max_bytes` tightens the size budget of archive.retention.max_mb for this decision.
        """
        times = {r["time"]: facts.parse_time(r["time"]) for r in rows}
        rules = self.settings.retention
        limit = self.clock() + retention.FUTURE_TOLERANCE
        _, future = retention.split_future([t for t in times.values() if t], limit)
        if future:
            log.warning(
                "archive: %d snapshot(s) dated after this machine's clock (%s, e.g. %s) are "
                "kept but not used to decide what is old; check GitLab's and the runner's clocks",
                len(future),
                iso_utc(self.clock()),
                iso_utc(future[-1]),
            )
        keep = retention.keep([t for t in times.values() if t], rules, limit)
        sizes = {
            t: r["size"]
            for r in rows
            if (t := times[r["time"]]) is not None and t in keep and t not in future
        }
        budget = None if rules.max_mb is None else int(rules.max_mb * 1_000_000)
        if max_bytes is not None:
            budget = max_bytes if budget is None else min(budget, max_bytes)
        within = retention.within_budget(sizes, budget)
        if len(within) < len(sizes) and max_bytes is None:
            log.warning(
                "archive: %d oldest snapshot(s) dropped to stay within archive.retention.max_mb "
                "(%g MB)%s",
                len(sizes) - len(within),
                rules.max_mb,
                self._growth_note(added),
            )
        keep = within | set(future)
        kept = [r for r in rows if times[r["time"]] in keep]
        removed = [r for r in rows if times[r["time"]] not in keep]
        return Decision(kept=kept, removed=removed)

    def _thin(self, rows: list[IndexRow]) -> set[str]:
        """Times of the rows whose snapshots are to have no job attempts (jobs_days)."""
        times = {t: r["time"] for r in rows if (t := facts.parse_time(r["time"])) is not None}
        limit = self.clock() + retention.FUTURE_TOLERANCE
        dropped = retention.without_jobs(times, self.settings.retention, limit)
        return {times[t] for t in dropped}

    def _growth_note(self, added: Snapshot | None) -> str:
        """Which projects grew most into the newest snapshot (`added`, or the stored newest)
        from the one before it, for the budget warning."""
        rows = self.rows()
        try:
            if added is None:
                older = self.load(rows[-2], rows) if len(rows) > 1 else None
                newer = self.load(rows[-1], rows) if rows else None
            else:
                older, newer = (self.load(rows[-1], rows) if rows else None), added
        except ArchiveError:
            return ""  # the warning stands without it
        if newer is None:
            return ""
        grown = project_growth(older, newer)[:3]
        if not grown:
            return ""
        return "; grew most: " + ", ".join(f"{g.path} (+{g.bytes:,} bytes)" for g in grown)

    def rebuild(self) -> int:
        """Recreate index.json and history.json from the dated files (reads every snapshot).

        Figures drawn from job attempts that archived snapshots no longer hold are kept from
        a readable history.json.
        """
        found = chain.rebuild_rows(self.store)
        history = history_mod.History()
        for row, raw in found:
            snapshot = migrated(raw, row["path"])
            history = history_mod.update(history, snapshot, self.settings.retention.daily_days)
        try:
            before = history_mod.load(self.store.history_path)
        except (OSError, ArchiveError):
            before = history_mod.History()  # missing or unreadable: nothing to keep
        history = history_mod.keep_job_figures(history, before)
        rows = [row for row, _ in found]
        self.claim()
        self.store.write_history(history_mod.encode(history))
        self.store.write_index(rows)
        return len(rows)

    # -- the site ------------------------------------------------------------------------

    def pages(
        self, snapshot: Snapshot, stale_days: int = STALE_BRANCH_DAYS, job_attempts: bool = True
    ) -> list[ExtraPage]:
        """The Archive, Changes and Trends pages (one per group) for render_site(extra_pages=);
        `job_attempts`: whether the site's snapshot.json.gz keeps them."""
        from gldash_static.render import ExtraPage

        rows = self.rows()
        current = facts.iso_utc(facts.snapshot_time(snapshot))
        changes = self.changes(snapshot, stale_days)
        older = [r for r in rows if r["time"] < current]
        previous_href = f"{SITE_DIR}/{older[-1]['path']}" if older else None
        # trends.html for the organisation (in the navigation), trends/<key>.html per group
        trends = [
            ExtraPage(
                path=path,
                template="trends.html",
                context={"trends": view},
                nav_title="Trends" if path == "trends.html" else None,
            )
            for path, view in pages.trends_pages(self.history(), pages.group_keys(snapshot))
        ]
        return [
            ExtraPage(
                path="archive.html",
                template="archive.html",
                context={
                    "archive": pages.archive_view(
                        rows,
                        SITE_DIR,
                        current,
                        "snapshot.json.gz"
                        if rows and published_whole(rows[-1], snapshot)
                        else None,
                        newest_job_attempts=job_attempts,
                    )
                },
                nav_title="Archive",
            ),
            trends[0],
            ExtraPage(
                path="changes.html",
                template="changes.html",
                context={"changes": pages.changes_view(changes, previous_href)},
                nav_title="Changes",
            ),
            *trends[1:],
        ]

    def files(self, snapshot: Snapshot | None = None) -> list[ExtraFile]:
        """The archive folder, copied into the site as archive/ (for render_site(extra_files=)).

        When its newest row is `snapshot` itself, stored whole, that file is left out: the site
        publishes it as snapshot.json.gz, the same bytes or without job attempts; then the
        build keeps it whole in CARRY (keep_for_carry), which the site never holds.
        """
        from gldash_static.render import ExtraFile

        if not self.store.index_path.is_file():
            return []
        rows = self.rows()
        omit: tuple[str, ...] = (HISTORY, CARRY)
        if snapshot is not None and rows and published_whole(rows[-1], snapshot):
            omit += (rows[-1]["path"],)
        files = [ExtraFile(path=SITE_DIR, source=self.root, omit=omit)]
        history = self.store.history_path
        if history.is_file():
            # Within the limit every history read has: the folder may have been carried in.
            data = bounded.read(history, bounded.HISTORY_BYTES, "history", ArchiveError)
            files.append(ExtraFile(f"{SITE_DIR}/{PUBLISHED_HISTORY}", data=canonical_gzip(data)))
        return files

    def keep_for_carry(self, snapshot: Snapshot, published_job_attempts: bool) -> Path | None:
        """Copy the newest snapshot, stored whole, to CARRY when the site publishes it without
        job attempts and leaves the file out of archive/, and the next build carries the
        archive forward from the Pages job's artifacts, which take it: that build's refresh
        reuses those job attempts. Otherwise remove any CARRY, so that an old copy never
        travels. Returns the copy's path, if one is kept."""
        target = self.root / CARRY
        rows = self.rows() if self.store.index_path.is_file() else []
        wanted = self.settings.carry_forward == "artifacts" and not published_job_attempts
        if not wanted or not rows or not published_whole(rows[-1], snapshot):
            target.unlink(missing_ok=True)
            return None
        self.claim()
        atomic.write_bytes(target, (self.root / rows[-1]["path"]).read_bytes())
        return target


def _project_sizes(snapshot: Snapshot | None) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for source in snapshot["sources"] if snapshot else []:
        for project in source["projects"]:
            key = f"{project['path_with_namespace']}"
            sizes[key] = len(json.dumps(project, ensure_ascii=False))
    return sizes


class Growth(NamedTuple):
    """How much one project's stored data grew between two snapshots."""

    path: str
    bytes: int


def project_growth(older: Snapshot | None, newer: Snapshot) -> list[Growth]:
    """Projects whose stored data grew from `older` to `newer`, largest growth first."""
    before, after = _project_sizes(older), _project_sizes(newer)
    grown = [Growth(path, size - before.get(path, 0)) for path, size in after.items()]
    return sorted((g for g in grown if g.bytes > 0), key=lambda g: (-g.bytes, g.path))
