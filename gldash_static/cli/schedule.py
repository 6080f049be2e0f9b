"""`gldash schedule`: create or update the dashboard's pipeline schedule (idempotent)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from gldash_static.cli.trigger import add_target_arguments, gitlab_url, project_of, ref_of
from gldash_static.config import load_config
from gldash_static.errors import EXIT_OK, UsageError
from gldash_static.gitlab.origin import origin, owner_of, same_origin
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
        help="variable holding a token with the `api` scope for --url (default: the token_env "
        "of the config source at that instance)",
    )


def token_env(args: argparse.Namespace, url: str, named_by: str) -> str:
    """The variable holding the token of the instance at `url`; a usage error if none is.

    A source's token goes only to its own instance (scheme, host and port): the config
    source there, or without a config the default one (GITLAB_TOKEN for $CI_SERVER_URL).
    An explicit --token-env is the user's own choice for `url`.
    """
    if args.token_env:
        return str(args.token_env)
    config_path = Path(args.config)
    if config_path.is_file():
        owner = owner_of(url, load_config(config_path).sources)
        if owner is None:
            raise UsageError(
                f"{named_by} {origin(url)} is not any source in {config_path.name}; "
                "pass --token-env"
            )
        return owner.token_env
    server = os.environ.get("CI_SERVER_URL")
    if server and not same_origin(server, url):
        raise UsageError(
            f"{named_by} {origin(url)} is not CI_SERVER_URL, whose token GITLAB_TOKEN is; "
            "pass --token-env"
        )
    return "GITLAB_TOKEN"


def run(args: argparse.Namespace) -> int:
    """Create or update the schedule and say which."""
    if len(args.cron.split()) != 5:
        raise UsageError(f"--cron: expected five fields such as '0 * * * *', got {args.cron!r}")
    url, named_by = gitlab_url(args)
    name = token_env(args, url, named_by)
    token = os.environ.get(name, "").strip()
    if not token:
        raise UsageError(f"environment variable {name} is not set: {SCOPE_HINT}")
    result = upsert_schedule(
        url,
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
