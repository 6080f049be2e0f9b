"""`gldash validate`: check config.yml without touching the network."""

from __future__ import annotations

import argparse

from gldash_static.cli.common import add_config_argument, config_from
from gldash_static.errors import EXIT_OK

NAME = "validate"
HELP = "check config.yml and report every problem at once (no network)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's options."""
    add_config_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Validate and summarise the configuration."""
    config = config_from(args)
    groups = sum(len(s.groups) for s in config.sources)
    projects = sum(len(s.projects) for s in config.sources)
    print(
        f"{config.path}: ok ({len(config.sources)} source(s), {groups} group(s), "
        f"{projects} extra project(s))"
    )
    return EXIT_OK
