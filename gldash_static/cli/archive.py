"""`gldash archive`: list, add, prune and rebuild the archive of dated snapshots."""

from __future__ import annotations

import argparse
from pathlib import Path

from gldash_static import snapshot as snapshot_io
from gldash_static.archive import Archive, IndexRow
from gldash_static.cli.common import add_config_argument, config_from
from gldash_static.errors import EXIT_OK, UsageError
from gldash_static.model import Snapshot
from gldash_static.timeutil import iso_utc

NAME = "archive"
HELP = "list, add or prune archived snapshots (retention from config.yml)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the subcommands and their options."""
    sub = parser.add_subparsers(dest="archive_command", metavar="ACTION")
    listing = sub.add_parser("list", help="list archived snapshots, oldest first")
    add_config_argument(listing)
    add = sub.add_parser("add", help="archive a snapshot file, then apply retention")
    add.add_argument("snapshot", type=Path, metavar="SNAPSHOT", help="snapshot .json or .json.gz")
    add.add_argument(
        "--force",
        action="store_true",
        help="archive a snapshot dated after this machine's clock (normally refused)",
    )
    add_config_argument(add)
    prune = sub.add_parser("prune", help="apply retention and delete unlisted snapshot files")
    prune.add_argument(
        "--dry-run", action="store_true", help="show what would be removed, remove nothing"
    )
    add_config_argument(prune)
    rebuild = sub.add_parser(
        "rebuild", help="recreate index.json and history.json from the snapshot files"
    )
    add_config_argument(rebuild)
    export = sub.add_parser(
        "export", help="write one archived snapshot whole (older ones are stored as deltas)"
    )
    export.add_argument("time", metavar="TIME", help="its time as `archive list` shows it")
    export.add_argument(
        "-o", "--out", type=Path, required=True, help="snapshot file to write (.json or .json.gz)"
    )
    add_config_argument(export)


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _line(row: IndexRow) -> str:
    return (
        f"{row['time']}  {row['path']:<46} {row['projects']:>6} projects "
        f"{row['pipelines']:>7} pipelines {row['failing']:>5} failing "
        f"{_rate(row['success_rate']):>5} ok {row['size']:>10,} bytes"
    )


def _refuse_future(archive: Archive, snapshot: Snapshot, path: Path, force: bool) -> None:
    """A snapshot dated in the future would sit in the archive as its newest for years."""
    dated = archive.future_date(snapshot)
    if dated is not None and not force:
        raise UsageError(
            f"{path}: dated {iso_utc(dated)}, after this machine's clock "
            f"({iso_utc(archive.clock())}); check the clocks, or pass --force to archive it anyway"
        )


def run(args: argparse.Namespace) -> int:
    """Run one archive action."""
    action = getattr(args, "archive_command", None)
    if action is None:
        raise UsageError("gldash archive: choose an action: list, add, prune, rebuild or export")
    config = config_from(args)
    root = config.archive.dir  # already resolved against the config file's folder
    archive = Archive(config.archive, protect=(config.path,))
    if action == "list":
        rows = archive.rows()
        for row in rows:
            print(_line(row))
        total = sum(r["size"] for r in rows)
        print(f"{len(rows)} snapshot(s), {total:,} bytes in {root}")
    elif action == "add":
        snapshot = snapshot_io.read(args.snapshot)
        _refuse_future(archive, snapshot, args.snapshot, args.force)
        row = archive.add(snapshot)
        print(f"archived {args.snapshot} as {root / row['path']}")
    elif action == "prune":
        result = archive.prune(dry_run=args.dry_run)
        verb = "would remove" if args.dry_run else "removed"
        for row in result.removed:
            print(f"{verb} {row['path']} ({row['time']})")
        for path in result.orphans:
            print(f"{verb} {path} (not listed in index.json)")
        print(
            f"{verb} {len(result.removed) + len(result.orphans)} file(s); "
            f"{result.kept} snapshot(s) kept"
        )
    elif action == "export":
        rows = archive.rows()
        wanted = [r for r in rows if r["time"] == args.time]
        if not wanted:
            raise UsageError(f"no archived snapshot of {args.time}; see `gldash archive list`")
        snapshot_io.write(archive.load(wanted[0], rows), args.out)
        print(f"wrote the snapshot of {args.time} to {args.out}")
    else:
        count = archive.rebuild()
        print(f"rebuilt index.json and history.json from {count} snapshot(s) in {root}")
    return EXIT_OK
