"""The Archive: what `gldash build` and `gldash archive` call."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gldash_static.archive import carry, facts, pages, retention
from gldash_static.archive import history as history_mod
from gldash_static.archive.changes import Changes, diff
from gldash_static.archive.store import IndexRow, Store
from gldash_static.config.settings import ArchiveSettings
from gldash_static.errors import ArchiveError
from gldash_static.model import Snapshot

if TYPE_CHECKING:
    from gldash_static.render import ExtraFile, ExtraPage

log = logging.getLogger(__name__)

SITE_DIR = "archive"  # where the archive folder appears inside the published site
SIZE_WARNING = 80_000_000  # GitLab Pages' self-managed default limit is 100 MB per site


@dataclass(frozen=True)
class PruneResult:
    """What retention removed (or would remove, in a dry run)."""

    removed: list[IndexRow] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)  # dated files no index row mentions
    kept: int = 0


class Archive:
    """Dated snapshot copies, index.json and history.json in one folder (settings.dir)."""

    def __init__(self, settings: ArchiveSettings, root: Path | None = None) -> None:
        self.settings = settings
        self.root = Path(root if root is not None else settings.dir)
        self.store = Store(self.root)

    # -- reading -------------------------------------------------------------------------

    def rows(self) -> list[IndexRow]:
        """Every archived snapshot's index row, oldest first."""
        return self.store.read_index()

    def history(self) -> history_mod.History:
        """The per-day history (empty for a new archive)."""
        path = self.store.history_path
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            if self.rows():
                raise ArchiveError(
                    f"{path}: missing, but the archive lists snapshots; run "
                    "`gldash archive rebuild` to recreate it"
                ) from None
            return history_mod.History()
        except OSError as exc:
            raise ArchiveError(f"{path}: cannot read: {exc.strerror}") from None
        return history_mod.decode(data, str(path))

    def previous(self, snapshot: Snapshot) -> Snapshot | None:
        """The newest archived snapshot older than `snapshot`, migrated; None if there is none."""
        stamp = facts.iso_utc(facts.snapshot_time(snapshot))
        older = [r for r in self.rows() if r["time"] < stamp]
        return self.store.load(older[-1]) if older else None

    def changes(self, snapshot: Snapshot, stale_days: int = 30) -> Changes:
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
                self.root, lambda staging: carry.from_url(staging, url, limits), "url", allow_empty
            )
        if mode != "artifacts":
            raise ArchiveError(f"unknown archive.carry_forward mode {mode!r}")
        if not source_url or project_id_or_path is None or not ref:
            raise ArchiveError(
                "carry-forward from artifacts needs the GitLab URL, the dashboard project and "
                "its branch (CI_SERVER_URL, CI_PROJECT_ID, CI_DEFAULT_BRANCH in GitLab CI)"
            )
        job = self.settings.pages_job
        return carry.carry(
            self.root,
            lambda staging: carry.from_artifacts(
                staging, source_url, token, project_id_or_path, ref, job, artifact_prefix, limits
            ),
            "artifacts",
            allow_empty,
        )

    def add(self, snapshot: Snapshot) -> IndexRow:
        """Store a dated copy, update history.json and index.json, apply retention.

        Everything is read and checked before anything is written, so a corrupt index or
        history fails the build with the archive untouched. index.json is written last: it
        is the commit point, and files it does not list are only leftovers.
        """
        rows = self.rows()
        history = self.history()
        row = self.store.store(snapshot)
        updated = history_mod.update(history, snapshot, self.settings.retention.daily_days)
        self.store.write_history(history_mod.encode(updated))
        rows = [r for r in rows if r["time"] != row["time"]] + [row]
        result = self._apply_retention(rows, dry_run=False)
        log.info(
            "archive: added %s (%d kept, %d pruned)", row["path"], result.kept, len(result.removed)
        )
        size = sum(r["size"] for r in rows if r not in result.removed)
        if size > SIZE_WARNING:
            log.warning(
                "archive: %.0f MB of snapshots; GitLab Pages sites are limited to 100 MB by "
                "default: shorten archive.retention or raise the instance's limit",
                size / 1e6,
            )
        return row

    def prune(self, dry_run: bool = False) -> PruneResult:
        """Apply retention to the index, and delete dated files no row lists."""
        rows = self.rows()
        result = self._apply_retention(rows, dry_run)
        listed = {r["path"] for r in rows}
        orphans = [p for p in self.store.dated_files() if p not in listed]
        if not dry_run:
            for path in orphans:
                self.store.remove(path)
        return PruneResult(removed=result.removed, orphans=orphans, kept=result.kept)

    def _apply_retention(self, rows: list[IndexRow], dry_run: bool) -> PruneResult:
        times = {r["time"]: facts.parse_time(r["time"]) for r in rows}
        rules = self.settings.retention
        keep = retention.keep([t for t in times.values() if t], rules)
        sizes = {t: r["size"] for r in rows if (t := times[r["time"]]) is not None and t in keep}
        budget = None if rules.max_mb is None else int(rules.max_mb * 1_000_000)
        within = retention.within_budget(sizes, budget)
        if len(within) < len(keep):
            log.warning(
                "archive: %d oldest snapshot(s) dropped to stay within archive.retention.max_mb "
                "(%g MB)",
                len(keep) - len(within),
                rules.max_mb,
            )
        keep = within
        kept = [r for r in rows if times[r["time"]] in keep]
        removed = [r for r in rows if times[r["time"]] not in keep]
        if not dry_run:
            self.store.write_index(kept)
            for r in removed:  # only after the index no longer lists them
                self.store.remove(r["path"])
        return PruneResult(removed=removed, kept=len(kept))

    def rebuild(self) -> int:
        """Recreate index.json and history.json from the dated files (reads every snapshot)."""
        rows = sorted(self.store.rebuild_rows(), key=lambda r: r["time"])
        history = history_mod.History()
        for row in rows:
            snapshot = self.store.load(row)
            history = history_mod.update(history, snapshot, self.settings.retention.daily_days)
        self.store.write_history(history_mod.encode(history))
        self.store.write_index(rows)
        return len(rows)

    # -- the site ------------------------------------------------------------------------

    def pages(self, snapshot: Snapshot, stale_days: int = 30) -> list[ExtraPage]:
        """The Archive, Trends and Changes pages for render_site(extra_pages=...)."""
        from gldash_static.render import ExtraPage

        rows = self.rows()
        current = facts.iso_utc(facts.snapshot_time(snapshot))
        changes = self.changes(snapshot, stale_days)
        older = [r for r in rows if r["time"] < current]
        previous_href = f"{SITE_DIR}/{older[-1]['path']}" if older else None
        return [
            ExtraPage(
                path="archive.html",
                template="archive.html",
                context={"archive": pages.archive_view(rows, SITE_DIR, current)},
                nav_title="Archive",
            ),
            ExtraPage(
                path="trends.html",
                template="trends.html",
                context={"trends": pages.trends_view(self.history())},
                nav_title="Trends",
            ),
            ExtraPage(
                path="changes.html",
                template="changes.html",
                context={"changes": pages.changes_view(changes, previous_href)},
                nav_title="Changes",
            ),
        ]

    def files(self) -> list[ExtraFile]:
        """The archive folder, copied into the site as archive/ (for render_site(extra_files=))."""
        from gldash_static.render import ExtraFile

        if not self.store.index_path.is_file():
            return []
        return [ExtraFile(path=SITE_DIR, source=self.root)]
