"""Shared fixtures: run the CLI in-process and capture what a user would see."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/factories.py

from gldash_static.cli.main import main

REPO = Path(__file__).resolve().parent.parent


class _CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled once per test process instead of once per render.

    Compiling gldash's templates costs about 2 s, more than rendering a small site, and
    every render makes a new Environment. Jinja keys a bucket by template name and source
    checksum; the key here adds the settings that change the generated code, so two
    differently configured environments never share a compiled template.
    """

    def __init__(self) -> None:
        self.compiled: dict[tuple[object, ...], bytes] = {}

    @staticmethod
    def _key(bucket: jinja2.bccache.Bucket) -> tuple[object, ...]:
        env = bucket.environment
        syntax = (env.block_start_string, env.variable_start_string, env.comment_start_string)
        layout = (env.trim_blocks, env.lstrip_blocks, env.keep_trailing_newline)
        options = (repr(env.autoescape), env.optimized, tuple(sorted(env.extensions)))
        generator = (type(env), env.code_generator_class)
        return (bucket.key, bucket.checksum, syntax, layout, options, generator)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Fill `bucket` from an earlier compile of the same template, if any."""
        code = self.compiled.get(self._key(bucket))
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Keep what Jinja just compiled."""
        self.compiled[self._key(bucket)] = bucket.bytecode_to_string()


def _share_compiled_templates() -> None:
    # In-process renders only (a `gldash` subprocess compiles its own); rendering output is
    # unchanged, the golden site test proves it.
    cache = _CompiledTemplates()
    original = jinja2.Environment.__init__

    def init(self: jinja2.Environment, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.bytecode_cache is None:
            self.bytecode_cache = cache

    jinja2.Environment.__init__ = init  # type: ignore[method-assign]


_share_compiled_templates()


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
    for name in (
        "CI_SERVER_URL",
        "CI_PROJECT_URL",
        "CI_PROJECT_ID",
        "CI_PAGES_URL",
        "CI_DEFAULT_BRANCH",
        "CI_COMMIT_REF_NAME",
        "GITLAB_CI",
        "GITLAB_TOKEN",
        "CI_JOB_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
