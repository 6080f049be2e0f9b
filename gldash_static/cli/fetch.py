"""`gldash fetch`: GitLab to a snapshot file, incremental when a previous snapshot exists."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from gldash_static.archive import Archive
from gldash_static.cli.common import add_config_argument, config_from
from gldash_static.config import Config
from gldash_static.errors import EXIT_FAILED, EXIT_OK, UsageError
from gldash_static.fetch import FetchOutcome, FetchRequest, list_sources, listing
from gldash_static.fetch.event import read_event
from gldash_static.fetch.progress import Progress, Quiet
from gldash_static.pipeline import carry_forward, fetch_to, open_archive, previous_snapshot

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
    parser.add_argument(
        "--archive",
        action="store_true",
        help="refresh on top of the newest archived snapshot when the output does not exist "
        "yet, bringing the archive back from the last Pages deployment first inside GitLab "
        "CI, as build does (a shard job's way to its previous data)",
    )
    parser.add_argument(
        "--allow-empty-history",
        action="store_true",
        help="with --archive, first deployment: go on when no archive can be brought back",
    )
    parser.add_argument(
        "--list-only",
        action="store_true",
        help="list groups, projects and the groups' merge requests into --out, once for all "
        "shard jobs of a run (they read it with --listing)",
    )
    parser.add_argument(
        "--listing",
        type=Path,
        metavar="FILE",
        help="with --shard: take groups, projects and merge requests from a --list-only file "
        "instead of listing them again",
    )


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
    shared = getattr(args, "listing", None)
    if shared is not None and args.shard is None:
        raise UsageError("--listing goes with --shard")
    return FetchRequest(
        full=bool(args.full),
        shard=args.shard,
        event=read_event(Path(args.event)) if args.event else None,
        listing=tuple(listing.read(shared)) if shared is not None else None,
    )


def run_fetch(args: argparse.Namespace, config: Config) -> tuple[FetchOutcome, Path]:
    """Fetch and atomically write the snapshot; returns the outcome and where it went."""
    out = Path(args.out) if args.out else config.snapshot
    progress = Quiet() if args.quiet else Progress()
    # The build's rules for the previous snapshot, without its archive: a shard job or a
    # lone fetch refreshes only the snapshot it names (docs/deploy.md, sharding).
    archive = _archive_for(args, config)
    outcome = fetch_to(
        config, fetch_request(args), out, progress, archive=archive, explicit=args.previous
    )
    progress.line(f"{outcome.summary}; wrote {out}")
    return outcome, out


def _archive_for(args: argparse.Namespace, config: Config) -> Archive | None:
    """With --archive: the archive, brought back from the last Pages deployment in CI."""
    if not getattr(args, "archive", False):
        if getattr(args, "allow_empty_history", False):
            raise UsageError("--allow-empty-history goes with --archive")
        return None
    archive = open_archive(config)
    if archive is None:
        raise UsageError("--archive: archiving is off in the config (archive.enabled: false)")
    archive.check()
    carry_forward(config, archive, bool(args.allow_empty_history))
    return archive


def run_list(args: argparse.Namespace, config: Config) -> int:
    """`--list-only`: write the shared listing of a sharded run."""
    if args.shard or args.event or args.listing:
        raise UsageError("--list-only lists for all shards: no --shard, --event or --listing")
    if not args.out:
        raise UsageError("--list-only needs --out FILE (e.g. shards/listing.json)")
    progress = Quiet() if args.quiet else Progress()
    archive = _archive_for(args, config)
    previous = previous_snapshot(config.snapshot, archive, bool(args.full), args.previous)
    found = list_sources(config, previous, progress, full=bool(args.full))
    listing.write(found, Path(args.out))
    projects = sum(len(x.projects) for x in found)
    calls = sum(sum((x.api_calls or {}).values()) for x in found)
    progress.line(f"listed {projects} projects with {calls} API calls; wrote {args.out}")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Fetch and write the snapshot; exit 1 when part of the data could not be refreshed."""
    config = config_from(args)
    if args.list_only:
        return run_list(args, config)
    outcome, _ = run_fetch(args, config)
    return EXIT_OK if outcome.complete else EXIT_FAILED
