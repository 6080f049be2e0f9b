"""Every subcommand answers --help, and the command line maps usage mistakes to status 2."""

from __future__ import annotations

import pytest

from gldash_static.cli.main import COMMAND_MODULES, build_parser


@pytest.mark.parametrize("command", COMMAND_MODULES)
def test_every_command_has_help(run_cli, command: str) -> None:
    result = run_cli(command, "--help")
    assert result.code == 0
    assert f"gldash {command}" in result.out


def test_every_listed_command_is_available() -> None:
    help_text = build_parser().format_help()
    for command in COMMAND_MODULES:
        assert command in help_text


def test_no_command_is_a_usage_error(run_cli) -> None:
    assert run_cli().code == 2


def test_unknown_option_is_a_usage_error(run_cli) -> None:
    result = run_cli("fetch", "--shard", "5/4")
    assert result.code == 2
    assert "shard index must be between 1 and 4" in result.err
