"""`gldash render`: turn a snapshot into the static site."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from gldash_static import snapshot as snapshot_io
from gldash_static.config import Config, SiteSettings, load_config
from gldash_static.pipeline import open_archive, render_with_archive
from gldash_static.render import budget, render_site

NAME = "render"
HELP = "render the static site from a snapshot (no network)"
DEFAULT_CONFIG = Path("config.yml")

log = logging.getLogger("gldash")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `gldash render`."""
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        default=None,
        help="config file (default: config.yml when present, else built-in site defaults)",
    )
    parser.add_argument(
        "--snapshot",
        type=Path,
        default=None,
        help="snapshot to render (default: the config's snapshot, else snapshot.json)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder, replaced atomically (default: the config's site.output_dir, public)",
    )


def _load_config(path: Path | None) -> Config | None:
    """The validated Config, or None when no config is given and none is in the current folder."""
    if path is None and not DEFAULT_CONFIG.is_file():
        return None
    return load_config(path or DEFAULT_CONFIG)


def run(args: argparse.Namespace) -> int:
    """Render the site and report what was written."""
    config = _load_config(args.config)
    site: SiteSettings = config.site if config is not None else SiteSettings()
    snapshot_path: Path = args.snapshot or (
        config.snapshot if config is not None else Path("snapshot.json")
    )
    out: Path = args.out or site.output_dir
    snapshot = snapshot_io.read(snapshot_path)
    if config is not None:
        # With a config, the site keeps its Archive, Trends and Changes pages, as a build's does.
        archive = open_archive(config)
        result = render_with_archive(
            snapshot, site, out, archive if archive and archive.rows() else None, (config.path,)
        )
    else:
        result = render_site(snapshot, out, site)
    log.info(
        "rendered %d pages (%d files, %.1f MB; largest: %s) into %s",
        result.pages,
        result.files,
        result.bytes / 1e6,
        budget.describe(list(result.parts)),
        out,
    )
    return 0
