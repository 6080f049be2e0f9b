"""Options and helpers shared by several subcommands."""

from __future__ import annotations

import argparse
from pathlib import Path

from gldash_static.config import Config, load_config


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    """The `-c/--config` option every config-reading command takes."""
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        default=Path("config.yml"),
        metavar="FILE",
        help="configuration file (default: config.yml)",
    )


def config_from(args: argparse.Namespace) -> Config:
    """Load and validate the config named on the command line."""
    return load_config(Path(args.config))
