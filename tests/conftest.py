"""Shared fixtures: run the CLI in-process and capture what a user would see."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/factories.py

from gldash_static.cli.main import main

REPO = Path(__file__).resolve().parent.parent


@dataclass
class CliResult:
    """Exit status and output of one in-process `gldash` run."""

    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `gldash ARGS...` in-process."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(autouse=True)
def _no_ambient_gitlab_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests must not pick up a developer's or CI's GitLab variables by accident.
    for name in ("CI_SERVER_URL", "CI_PROJECT_URL", "GITLAB_TOKEN", "CI_JOB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
