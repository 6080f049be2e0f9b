"""`gldash build`: the scheduled job — fetch, archive and render in one go."""

from __future__ import annotations

import argparse
from pathlib import Path

from gldash_static.cli.common import config_from
from gldash_static.cli.fetch import add_fetch_arguments, fetch_request
from gldash_static.errors import EXIT_FAILED, EXIT_OK, UsageError
from gldash_static.fetch.progress import Progress, Quiet
from gldash_static.pipeline import BuildOptions, build
from gldash_static.render import budget

NAME = "build"
HELP = "fetch, archive and render: what the scheduled Pages job runs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's options."""
    add_fetch_arguments(parser)
    parser.add_argument("--site", type=Path, help="site folder to write (default: site.output_dir)")
    parser.add_argument(
        "--from-snapshot",
        type=Path,
        metavar="PATH",
        help="publish this snapshot (e.g. merged shards) instead of fetching",
    )
    parser.add_argument(
        "--allow-empty-history",
        action="store_true",
        help="first deployment: start a new archive when no previous one can be fetched",
    )


def run(args: argparse.Namespace) -> int:
    """Build the site; exit 1 when part of the data could not be refreshed."""
    config = config_from(args)
    if args.from_snapshot and (args.event or args.shard or args.full):
        raise UsageError("--from-snapshot cannot be combined with --event, --shard or --full")
    progress = Quiet() if args.quiet else Progress()
    result = build(
        config,
        BuildOptions(
            fetch=fetch_request(args),
            out=args.site,
            snapshot_path=args.out,
            previous_path=args.previous,
            from_snapshot=args.from_snapshot,
            allow_empty_history=bool(args.allow_empty_history),
        ),
        progress,
    )
    render = result.render
    progress.line(
        f"{result.summary}; rendered {render.pages} pages ({render.files} files, "
        f"{render.bytes / 1e6:.1f} MB; largest: {budget.describe(list(render.parts))}) "
        f"into {render.out_dir}"
    )
    return EXIT_OK if result.complete else EXIT_FAILED
