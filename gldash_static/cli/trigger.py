"""`gldash trigger`: start a dashboard pipeline with a pipeline trigger token."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from gldash_static.cli.common import add_config_argument
from gldash_static.config import load_config
from gldash_static.errors import EXIT_OK, UsageError
from gldash_static.gitlab.origin import origin_or_none
from gldash_static.gitlab.pipelines import trigger_pipeline

NAME = "trigger"
HELP = "start a dashboard pipeline (regenerate the site) with a pipeline trigger token"

_VAR = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """Options naming the dashboard project: shared by `trigger` and `schedule`."""
    add_config_argument(parser)
    parser.add_argument(
        "--url", help="GitLab URL (default: $CI_SERVER_URL, else the config's first source)"
    )
    parser.add_argument(
        "--project",
        metavar="ID|PATH",
        help="the dashboard project, by id or full path (default: $CI_PROJECT_ID)",
    )
    parser.add_argument(
        "--ref", help="branch to run on (default: $CI_DEFAULT_BRANCH, else main)", default=None
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's options."""
    add_target_arguments(parser)
    parser.add_argument(
        "--token-env",
        default="GLDASH_TRIGGER_TOKEN",
        metavar="NAME",
        help="environment variable holding the trigger token (default: GLDASH_TRIGGER_TOKEN)",
    )
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        type=parse_var,
        metavar="KEY=VALUE",
        help="pipeline variable to pass (repeatable)",
    )
    parser.add_argument(
        "--full", action="store_true", help="ask for a full refetch (sets GLDASH_FULL=1)"
    )


def parse_var(text: str) -> tuple[str, str]:
    """'KEY=VALUE' → ('KEY', 'VALUE')."""
    match = _VAR.fullmatch(text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return match[1], match[2]


def gitlab_url(args: argparse.Namespace) -> tuple[str, str]:
    """The dashboard's GitLab and where it was named: --url, $CI_SERVER_URL, else config."""
    if args.url:
        url, named_by = str(args.url), "--url"
    elif os.environ.get("CI_SERVER_URL"):
        url, named_by = os.environ["CI_SERVER_URL"], "CI_SERVER_URL"
    else:
        config_path = Path(args.config)
        if not config_path.is_file():
            raise UsageError(
                f"no GitLab URL: pass --url, set CI_SERVER_URL or provide {config_path}"
            )
        return load_config(config_path).sources[0].url, f"the first source of {config_path}"
    if origin_or_none(url) is None:
        raise UsageError(f"{named_by}: expected an http(s) URL such as https://gitlab.com")
    return url.rstrip("/"), named_by


def project_of(args: argparse.Namespace) -> str | int:
    """The dashboard project: --project, else $CI_PROJECT_ID."""
    raw = args.project or os.environ.get("CI_PROJECT_ID")
    if not raw:
        raise UsageError("no project: pass --project ID|PATH (or run inside CI with CI_PROJECT_ID)")
    return int(raw) if str(raw).isdigit() else str(raw)


def ref_of(args: argparse.Namespace) -> str:
    """The branch to run on."""
    return str(args.ref or os.environ.get("CI_DEFAULT_BRANCH") or "main")


def run(args: argparse.Namespace) -> int:
    """Trigger the pipeline and print its web URL."""
    token = os.environ.get(args.token_env, "").strip()
    if not token:
        raise UsageError(
            f"environment variable {args.token_env} is not set: create a pipeline trigger token "
            "(Settings > CI/CD > Pipeline trigger tokens) and export it there"
        )
    variables = dict(args.var)
    if args.full:
        variables["GLDASH_FULL"] = "1"
    # The trigger token is the user's own for the dashboard project's instance; no source's
    # access token is ever sent, and the client refuses redirects to another origin.
    url, _named_by = gitlab_url(args)
    pipeline = trigger_pipeline(url, project_of(args), ref_of(args), token, variables)
    print(pipeline.web_url or f"pipeline {pipeline.id} created")
    return EXIT_OK
