"""`gldash fetch`: GitLab to a snapshot file, incremental when a previous snapshot exists."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from gldash_static.cli.common import add_config_argument, config_from
from gldash_static.config import Config
from gldash_static.errors import EXIT_FAILED, EXIT_OK, UsageError
from gldash_static.fetch import FetchOutcome, FetchRequest
from gldash_static.fetch.event import read_event
from gldash_static.fetch.progress import Progress, Quiet
from gldash_static.pipeline import fetch_to

NAME = "fetch"
HELP = "fetch groups, projects, pipelines, branches and merge requests into a snapshot"


def add_fetch_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by `fetch` and `build`."""
    add_config_argument(parser)
    parser.add_argument("--out", type=Path, help="snapshot to write (default: config 'snapshot')")
    parser.add_argument("--full", action="store_true", help="ignore the previous snapshot")
    parser.add_argument(
        "--previous",
        type=Path,
        help="previous snapshot to refresh (default: the output path; for build, else the "
        "newest archived one)",
    )
    parser.add_argument(
        "--shard", type=parse_shard, metavar="I/N", help="fetch only shard I of N (1-based)"
    )
    parser.add_argument(
        "--event", type=Path, metavar="FILE", help="refresh the one project of a webhook payload"
    )
    parser.add_argument("--quiet", action="store_true", help="print only warnings and a summary")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's options."""
    add_fetch_arguments(parser)


def parse_shard(text: str) -> tuple[int, int]:
    """'2/4' → (2, 4)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected I/N such as 2/4, got {text!r}")
    index, total = int(match[1]), int(match[2])
    if not 1 <= index <= total:
        raise argparse.ArgumentTypeError(f"shard index must be between 1 and {total}, got {index}")
    return index, total


def fetch_request(args: argparse.Namespace) -> FetchRequest:
    """The fetch mode the options ask for."""
    if args.event and (args.full or args.shard):
        raise UsageError("--event cannot be combined with --full or --shard")
    return FetchRequest(
        full=bool(args.full),
        shard=args.shard,
        event=read_event(Path(args.event)) if args.event else None,
    )


def run_fetch(args: argparse.Namespace, config: Config) -> tuple[FetchOutcome, Path]:
    """Fetch and atomically write the snapshot; returns the outcome and where it went."""
    out = Path(args.out) if args.out else config.snapshot
    progress = Quiet() if args.quiet else Progress()
    # The build's rules for the previous snapshot, without its archive: a shard job or a
    # lone fetch refreshes only the snapshot it names (docs/deploy.md, sharding).
    outcome = fetch_to(config, fetch_request(args), out, progress, explicit=args.previous)
    progress.line(f"{outcome.summary}; wrote {out}")
    return outcome, out


def run(args: argparse.Namespace) -> int:
    """Fetch and write the snapshot; exit 1 when part of the data could not be refreshed."""
    outcome, _ = run_fetch(args, config_from(args))
    return EXIT_OK if outcome.complete else EXIT_FAILED
