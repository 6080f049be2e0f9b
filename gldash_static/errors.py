"""The one family of user-facing errors; the CLI turns each into a message and an exit status."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class GldashError(Exception):
    """An error a person can act on; shown as one line without a traceback."""

    exit_code = EXIT_FAILED


class UsageError(GldashError):
    """Bad command-line usage."""

    exit_code = EXIT_USAGE


class ConfigError(GldashError):
    """One or more problems in config.yml; each problem is one line."""

    exit_code = EXIT_USAGE

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class FetchError(GldashError):
    """The fetch could not finish; the previous snapshot is left untouched."""


class SnapshotError(GldashError):
    """A snapshot file is missing, corrupt or of an unsupported version."""


class RenderError(GldashError):
    """The site could not be rendered; the previous output is left untouched."""


class ArchiveError(GldashError):
    """The archive could not be read, carried forward or updated."""
