"""`gldash merge`: combine shard snapshots into one."""

from __future__ import annotations

import argparse
from pathlib import Path

from gldash_static import snapshot as snapshot_file
from gldash_static.errors import EXIT_OK
from gldash_static.fetch.merge import merge_snapshots

NAME = "merge"
HELP = "combine the snapshots of `fetch --shard I/N` jobs into one snapshot"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's options."""
    parser.add_argument("parts", nargs="+", type=Path, metavar="PART", help="shard snapshots")
    parser.add_argument("--out", type=Path, required=True, help="merged snapshot to write")


def run(args: argparse.Namespace) -> int:
    """Merge and atomically write."""
    parts = [snapshot_file.read(Path(p)) for p in args.parts]
    merged = merge_snapshots(parts, [str(p) for p in args.parts])
    snapshot_file.write(merged, Path(args.out))
    projects = sum(len(s["projects"]) for s in merged["sources"])
    print(f"merged {len(parts)} shards: {projects} projects; wrote {args.out}")
    return EXIT_OK
