"""Entry point: parse the command line, dispatch to a subcommand, map errors to exit statuses."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from gldash_static import __version__
from gldash_static.errors import EXIT_FAILED, EXIT_USAGE, ConfigError, GldashError

# Each module defines NAME, HELP, add_arguments(parser) and run(args) -> int.
COMMAND_MODULES = (
    "validate",
    "fetch",
    "merge",
    "render",
    "build",
    "serve",
    "demo",
    "simulate",
    "archive",
    "trigger",
    "schedule",
)

log = logging.getLogger("gldash")


def _load_commands() -> list[ModuleType]:
    return [importlib.import_module(f"gldash_static.cli.{name}") for name in COMMAND_MODULES]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="gldash",
        description="Publish GitLab CI/CD dashboards of a whole organisation as a static site.",
    )
    parser.add_argument("--version", action="version", version=f"gldash {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _load_commands():
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        cmd.add_argument(
            "--debug", action="store_true", help="show tracebacks and debug logging on errors"
        )
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


class _Prefixed(logging.Formatter):
    """Messages as they are, warnings and errors prefixed as the CLI's own lines are."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.ERROR:
            return f"error: {text}"
        if record.levelno >= logging.WARNING:
            # The one place log messages get this prefix (Progress.warning is the other).
            return f"warning: {text}"
        return text


def _configure_logging(debug: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(levelname)s %(name)s: %(message)s") if debug else _Prefixed()
    )
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, handlers=[handler])
    # Third-party loggers are chatty at INFO and may print URLs with query strings.
    for noisy in ("urllib3", "gitlab", "requests"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `gldash` and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    debug = bool(getattr(args, "debug", False))
    _configure_logging(debug)
    try:
        return int(args._run(args))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        if debug:
            raise
        return exc.exit_code
    except GldashError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if debug:
            raise
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
