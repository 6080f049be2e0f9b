"""`gldash schedule`: create or update the dashboard's pipeline schedule (idempotent)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from gldash_static.cli.trigger import add_target_arguments, gitlab_url, project_of, ref_of
from gldash_static.config import load_config
from gldash_static.errors import EXIT_OK, UsageError
from gldash_static.gitlab.pipelines import SCOPE_HINT, upsert_schedule

NAME = "schedule"
HELP = "create or update the pipeline schedule that regenerates the dashboard"

DEFAULT_DESCRIPTION = "gldash: regenerate the dashboard"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's options."""
    add_target_arguments(parser)
    parser.add_argument("--cron", default="0 * * * *", help="cron syntax (default: hourly)")
    parser.add_argument("--timezone", default="UTC", help="cron time zone (default: UTC)")
    parser.add_argument(
        "--description",
        default=DEFAULT_DESCRIPTION,
        help="the schedule's name; an existing schedule with this name is updated",
    )
    parser.add_argument(
        "--token-env",
        metavar="NAME",
        help="variable holding a token with the `api` scope (default: the source's token_env)",
    )


def _token_env(args: argparse.Namespace) -> str:
    if args.token_env:
        return str(args.token_env)
    config_path = Path(args.config)
    if config_path.is_file():
        return load_config(config_path).sources[0].token_env
    return "GITLAB_TOKEN"


def run(args: argparse.Namespace) -> int:
    """Create or update the schedule and say which."""
    if len(args.cron.split()) != 5:
        raise UsageError(f"--cron: expected five fields such as '0 * * * *', got {args.cron!r}")
    name = _token_env(args)
    token = os.environ.get(name, "").strip()
    if not token:
        raise UsageError(f"environment variable {name} is not set: {SCOPE_HINT}")
    result = upsert_schedule(
        gitlab_url(args),
        token,
        project_of(args),
        args.description,
        args.cron,
        args.timezone,
        ref_of(args),
    )
    when = f"; next run {result.next_run_at}" if result.next_run_at else ""
    print(
        f"schedule {result.id} {result.action}: {result.description!r} "
        f"'{result.cron}' ({result.cron_timezone}) on {result.ref}{when}"
    )
    return EXIT_OK
