"""Write the whole site into a staging folder and swap it into place atomically."""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

from gldash_static import atomic, resources
from gldash_static.config.settings import SiteSettings
from gldash_static.errors import RenderError
from gldash_static.model import Snapshot
from gldash_static.render import budget, feeds, views
from gldash_static.render.environment import make_environment
from gldash_static.render.markdown import Note, load_notes
from gldash_static.render.project_index import index_script_json
from gldash_static.render.text import iso_utc, safe_url

# Files Pages may serve precompressed; anything else (images, archives) is left alone.
TEXT_SUFFIXES = frozenset({".html", ".css", ".js", ".json", ".txt", ".svg", ".xml", ".csv", ".map"})
_SAFE_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*")
log = logging.getLogger(__name__)

# A page per project and per group: each visited now and then, thousands of them. A .gz beside
# each would add a fifth to the largest part of the site (Pages needs the plain file anyway,
# and GitLab.com's CDN compresses on the fly), so only shared pages, assets and feeds get one.
UNCOMPRESSED_DIRS = ("p/", "g/", "trends/")


@dataclass(frozen=True)
class ExtraPage:
    """A page another stage adds to the site (archive, trends, changes).

    `template` is looked up like every built-in page (user templates_dir first) and gets the
    usual context (`root`, `nav`, `site`, `view`) plus `context`; `nav_title` adds it to the
    main navigation.
    """

    path: str
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    nav_title: str | None = None


@dataclass(frozen=True)
class ExtraFile:
    """A file or folder copied into the site as is (`source`), or bytes written there (`data`)."""

    path: str
    source: Path | None = None
    data: bytes | None = None
    omit: tuple[str, ...] = ()  # paths below `source` not to copy


@dataclass(frozen=True)
class RenderResult:
    """What a render wrote."""

    out_dir: Path
    files: int
    bytes: int
    pages: int
    parts: tuple[budget.Part, ...] = ()  # top-level folders and files, largest first


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation."""

    path: str
    title: str


def refresh_url(site: SiteSettings) -> str | None:
    """GitLab's prefilled "Run pipeline" page for a full refresh, when the project is known."""
    base = safe_url(site.project_url)
    if base is None:
        return None
    # urlencode percent-encodes the brackets of var[...], which HTML validators insist on.
    query = urlencode({"ref": site.default_branch, "var[GLDASH_FULL]": "1"})
    return f"{base.rstrip('/')}/-/pipelines/new?{query}"


def _check_path(path: str) -> str:
    if not _SAFE_PATH.fullmatch(path) or ".." in path.split("/"):
        raise RenderError(f"unsafe path for an extra page or file: {path[:80]!r}")
    return path


def _site_root(site_url: str | None) -> str:
    """The published site's URL ending in "/", or "" when it is not known."""
    if not site_url:
        return ""
    url = safe_url(site_url)
    if url is None:
        raise RenderError(f"the site URL must be an absolute http(s) URL: {site_url[:80]!r}")
    return url.rstrip("/") + "/"


def _gzip(data: bytes) -> bytes:
    # mtime=0 and no file name in the header keep the copy byte-identical across renders.
    return gzip.compress(data, compresslevel=9, mtime=0)


class _Writer:
    """Writes files below the staging folder and counts them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: set[str] = set()
        self.pages = 0

    def write(self, path: str, data: bytes) -> None:
        if path in self.written:
            raise RenderError(f"two pages would be written to {path}")
        self.written.add(path)
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if path.endswith(".html"):
            self.pages += 1

    def write_pieces(self, path: str, pieces: Iterable[bytes]) -> None:
        """Write a file piece by piece, for one too large to hold in memory twice."""
        self.write(path, b"")
        with (self.root / path).open("wb") as file:
            for piece in pieces:
                file.write(piece)

    def copy(self, path: str, source: Path, omit: Sequence[str] = (), link: bool = True) -> None:
        if source.is_dir():
            for item in sorted(source.rglob("*")):
                relative = item.relative_to(source).as_posix()
                if item.is_file() and not item.name.startswith(".") and relative not in omit:
                    self.copy(f"{path}/{relative}", item, link=link)
            return
        if path in self.written:
            raise RenderError(f"two files would be written to {path}")
        self.written.add(path)
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not link:
            shutil.copyfile(source, target)
            return
        try:
            # Archived files are never rewritten in place, so sharing the inode is safe and cheap.
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)

    def precompress(self) -> None:
        for path in sorted(self.written):
            if (
                Path(path).suffix in TEXT_SUFFIXES
                and f"{path}.gz" not in self.written
                and not path.startswith(UNCOMPRESSED_DIRS)
            ):
                (self.root / f"{path}.gz").write_bytes(_gzip((self.root / path).read_bytes()))

    def sizes(self) -> list[tuple[str, int]]:
        return [
            (f.relative_to(self.root).as_posix(), f.stat().st_size)
            for f in self.root.rglob("*")
            if f.is_file()
        ]


class _Site:
    """The render of one snapshot: environment, shared context and page writers."""

    def __init__(
        self,
        snapshot: Snapshot,
        site: SiteSettings,
        extra: Sequence[ExtraPage],
        site_url: str | None = None,
    ) -> None:
        try:
            zone = ZoneInfo(site.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise RenderError(f"unknown timezone {site.timezone!r} in site.timezone") from None
        self.snapshot = snapshot
        self.settings = site
        self.view = views.build(snapshot, site.stale_branch_days, site.stale_environment_days)
        self.zone = zone
        self.env = make_environment(zone, site.templates_dir)
        self.notes: list[Note] = load_notes(site.pages)
        self.extra = extra
        assets = resources.assets_dir()
        digest = hashlib.sha256()
        for item in sorted(assets.rglob("*")):
            if item.is_file():
                digest.update(item.relative_to(assets).as_posix().encode() + item.read_bytes())
        self.asset_version = digest.hexdigest()[:10]
        self.nav = [
            NavItem("index.html", "Overview"),
            NavItem("projects.html", "Projects"),
            NavItem("failures.html", "Failures"),
            NavItem("jobs.html", "Jobs"),
            NavItem("flaky.html", "Flaky"),
            NavItem("branches.html", "Branches"),
            NavItem("merge-requests.html", "Merge requests"),
            NavItem("environments.html", "Environments"),
            NavItem("radiator.html", "Radiator"),
            *(NavItem(n.page, n.title) for n in self.notes),
            *(NavItem(_check_path(e.path), e.nav_title) for e in extra if e.nav_title),
        ]
        self.shared: dict[str, Any] = {
            "view": self.view,
            "nav": self.nav,
            "site": {
                "title": site.title,
                "generated_at": self.view.generated_at,
                "generated_iso": iso_utc(self.view.generated_at),
                "warn_hours": site.freshness_warning_hours,
                "stale_days": site.stale_branch_days,
                "stale_env_days": site.stale_environment_days,
                "refresh_url": refresh_url(site),
                "asset_version": self.asset_version,
                # Where the site is published, ending in "/", or "": only the 404 page needs it.
                "url": _site_root(site_url),
            },
        }

    def page(self, template: str, path: str, **context: Any) -> bytes:
        """One page rendered with the shared context and links relative to `path`."""
        try:
            tpl = self.env.get_template(template)
            html = tpl.render(self.shared, root="../" * path.count("/"), page_path=path, **context)
        except jinja2.TemplateError as exc:
            raise RenderError(f"template {template} failed for {path}: {exc}") from None
        return html.encode("utf-8", "replace")  # lone surrogates from API callers

    def write_all(self, out: _Writer, extra_files: Sequence[ExtraFile]) -> None:
        view = self.view
        # Copied, never linked: a step that edits public/assets in place must not edit gldash.
        out.copy("assets", resources.assets_dir(), link=False)
        out.write("index.html", self.page("overview.html", "index.html"))
        rows = index_script_json(view.projects, self.zone)
        out.write("projects.html", self.page("projects.html", "projects.html", project_data=rows))
        out.write("failures.html", self.page("failures.html", "failures.html"))
        out.write("jobs.html", self.page("jobs.html", "jobs.html"))
        out.write("flaky.html", self.page("flaky.html", "flaky.html"))
        out.write("branches.html", self.page("branches.html", "branches.html"))
        out.write("merge-requests.html", self.page("merge_requests.html", "merge-requests.html"))
        out.write("environments.html", self.page("environments.html", "environments.html"))
        out.write("deployments.html", self.page("deployments.html", "deployments.html"))
        out.write("radiator.html", self.page("radiator.html", "radiator.html"))
        out.write("404.html", self.page("404.html", "404.html"))
        project_tpl = "project.html"
        for project in view.projects:
            out.write(project.page, self.page(project_tpl, project.page, project=project))
        for group in view.groups:
            out.write(group.page, self.page("group.html", group.page, group=group))
        for note in self.notes:
            out.write(note.page, self.page("note.html", note.page, note=note))
        for extra in self.extra:
            path = _check_path(extra.path)
            out.write(path, self.page(extra.template, path, **dict(extra.context)))
        out.write_pieces(
            feeds.SNAPSHOT_FILE,
            feeds.snapshot_gzip(self.snapshot, self.settings.snapshot_job_attempts),
        )
        out.write(
            "health.json",
            feeds.health_json(self.snapshot, view, self.settings.freshness_warning_hours),
        )
        out.write("metrics.txt", feeds.metrics_text(self.snapshot, view))
        for item in extra_files:
            path = _check_path(item.path)
            if item.source is not None:
                out.copy(path, item.source, item.omit)
            elif item.data is not None:
                out.write(path, item.data)
            else:
                raise RenderError(f"extra file {path} has neither source nor data")


def render_site(
    snapshot: Snapshot,
    out_dir: Path,
    site: SiteSettings,
    extra_pages: Sequence[ExtraPage] = (),
    extra_files: Sequence[ExtraFile] = (),
    protect: Sequence[Path] = (),
    site_url: str | None = None,
) -> RenderResult:
    """Render every page of `snapshot` into `out_dir`, replacing it atomically.

    `out_dir` must be new, empty or gldash's own site (outdir), and hold none of `protect`.
    `site_url`, where the site is published (default: site.pages_url, CI_PAGES_URL in GitLab
    CI), gives the 404 page, which Pages serves at any depth, absolute links; every other link
    stays relative.
    """
    renderer = _Site(snapshot, site, extra_pages, site_url or site.pages_url)
    with atomic.replace_dir(out_dir, "site", protect) as staging:
        # mkdtemp makes the folder private; a published site must be readable by the web server.
        staging.chmod(0o755)
        out = _Writer(staging)
        renderer.write_all(out, extra_files)
        out.precompress()
        sizes = out.sizes()
        pages = out.pages
    files, size = len(sizes), sum(s for _, s in sizes)
    parts = budget.parts(sizes)
    warning = budget.warning(size, files, parts, site.max_mb)
    if warning:
        log.warning("%s", warning)
    return RenderResult(
        out_dir=out_dir.resolve(), files=files, bytes=size, pages=pages, parts=tuple(parts)
    )
