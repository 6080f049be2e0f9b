"""config.yml validation: the example passes; every kind of mistake gets one clear line."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gldash_static.config import load_config

REPO = Path(__file__).resolve().parents[2]
GOOD = """\
sources:
  - url: https://gitlab.example.com
    groups: [acme]
"""


def write(tmp_path: Path, text: str, name: str = "config.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_validates(run_cli) -> None:
    result = run_cli("validate", "-c", str(REPO / "config.yml"))
    assert result.code == 0, result.err
    assert "ok" in result.out


def test_defaults_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "tpl").mkdir()
    (tmp_path / "notes.md").write_text("# Notes\n")
    cfg = load_config(write(tmp_path, GOOD + "site:\n  templates_dir: tpl\n  pages: [notes.md]\n"))
    assert cfg.fetch.concurrency == 8
    assert cfg.sources[0].token_env == "GITLAB_TOKEN"
    assert cfg.sources[0].visibility == ("public", "internal")
    assert cfg.sources[0].name == "gitlab.example.com"
    assert cfg.site.output_dir == tmp_path.resolve() / "public"
    assert cfg.site.templates_dir == tmp_path.resolve() / "tpl"
    assert cfg.site.pages == (tmp_path.resolve() / "notes.md",)
    assert cfg.snapshot == tmp_path.resolve() / "snapshot.json"
    assert cfg.archive.retention.all_days == 1


def test_url_defaults_to_ci_server_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_SERVER_URL", "https://gitlab.corp.example/")
    cfg = load_config(write(tmp_path, "sources:\n  - groups: [acme]\n"))
    assert cfg.sources[0].url == "https://gitlab.corp.example"


# (name, config text, expected line, expected key, expected words in the message)
BROKEN = [
    ("yaml syntax", "sources:\n  - url: [unclosed\n", 3, None, "invalid YAML"),
    ("empty file", "", 1, "(top level)", "empty"),
    ("non-mapping root", "- a\n- b\n", 1, "(top level)", "expected a mapping"),
    ("sources not a list", "sources: acme\n", 1, "sources", "expected a non-empty list"),
    ("sources missing", "fetch:\n  concurrency: 2\n", 1, "sources", "required key is missing"),
    (
        "bad url",
        "sources:\n  - url: gitlab.example\n    groups: [a]\n",
        2,
        "sources[0].url",
        "expected an http(s) URL, got 'gitlab.example'",
    ),
    (
        "url with credentials",
        "sources:\n  - url: https://u:p@gl.example\n    groups: [a]\n",
        2,
        "sources[0].url",
        "credentials",
    ),
    ("typo key", GOOD + "    tokn_env: X\n", 4, "sources[0].tokn_env", "did you mean 'token_env'"),
    ("top-level typo", GOOD + "fetsh: {}\n", 4, "fetsh", "did you mean 'fetch'"),
    (
        "literal token key",
        GOOD + "    token: abc\n",
        4,
        "sources[0].token",
        "masked CI/CD variable",
    ),
    (
        "token-looking value",
        GOOD + "site:\n  title: glpat-AbCdEfGhIjKlMnOpQrSt\n",
        5,
        "site.title",
        "looks like a GitLab token",
    ),
    (
        "no groups no projects",
        "sources:\n  - url: https://gl.example\n",
        2,
        "sources[0]",
        "no groups and no projects",
    ),
    (
        "invalid regex",
        GOOD + "    exclude: ['(unclosed']\n",
        4,
        "sources[0].exclude[0]",
        "invalid regular expression",
    ),
    (
        "zero concurrency",
        GOOD + "fetch:\n  concurrency: 0\n",
        5,
        "fetch.concurrency",
        "from 1 to 64",
    ),
    (
        "negative concurrency",
        GOOD + "fetch:\n  concurrency: -3\n",
        5,
        "fetch.concurrency",
        "got -3",
    ),
    (
        "string for int",
        GOOD + "fetch:\n  max_retries: many\n",
        5,
        "fetch.max_retries",
        "expected an integer",
    ),
    (
        "bool for int",
        GOOD + "fetch:\n  pipelines_per_project: yes\n",
        5,
        "fetch.pipelines_per_project",
        "expected an integer",
    ),
    ("zero timeout", GOOD + "fetch:\n  timeout_s: 0\n", 5, "fetch.timeout_s", "greater than 0"),
    (
        "string for bool",
        GOOD + "    include_archived: 'no'\n",
        4,
        "sources[0].include_archived",
        "expected true or false",
    ),
    (
        "unknown visibility",
        GOOD + "    visibility: [public, secret]\n",
        4,
        "sources[0].visibility[1]",
        "expected one of public, internal, private",
    ),
    (
        "missing templates folder",
        GOOD + "site:\n  templates_dir: nowhere\n",
        5,
        "site.templates_dir",
        "folder not found",
    ),
    (
        "missing notes page",
        GOOD + "site:\n  pages: [missing.md]\n",
        5,
        "site.pages[0]",
        "file not found",
    ),
    (
        "duplicate source urls",
        GOOD + "  - url: https://gitlab.example.com/\n    groups: [b]\n",
        4,
        "sources[1].url",
        "duplicate source URL",
    ),
    (
        "bad timezone",
        GOOD + "site:\n  timezone: Mars/Olympus\n",
        5,
        "site.timezone",
        "unknown time zone",
    ),
    (
        "bad env name",
        GOOD + "    token_env: 'MY TOKEN'\n",
        4,
        "sources[0].token_env",
        "environment variable name",
    ),
    ("section not mapping", GOOD + "site: pretty\n", 4, "site", "expected a mapping"),
    (
        "bad carry_forward",
        GOOD + "archive:\n  carry_forward: s3\n",
        5,
        "archive.carry_forward",
        "expected one of artifacts, url, none",
    ),
    (
        "duplicate key",
        GOOD + "fetch:\n  concurrency: 2\n  concurrency: 3\n",
        6,
        "fetch.concurrency",
        "duplicate key",
    ),
    (
        "groups not a list",
        "sources:\n  - url: https://gl.example\n    groups: acme\n",
        3,
        "sources[0].groups",
        "expected a list",
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "line", "key", "words"), BROKEN, ids=[b[0] for b in BROKEN]
)
def test_broken_config_gets_one_clear_line(
    run_cli, tmp_path: Path, name: str, text: str, line: int, key: str | None, words: str
) -> None:
    path = write(tmp_path, text)
    result = run_cli("validate", "-c", str(path))
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    prefix = f"{path}:{line}: " + (f"{key}: " if key else "")
    assert lines[0].startswith(prefix), lines[0]
    assert words in lines[0]
    assert "Traceback" not in result.err


def test_all_problems_reported_at_once(run_cli, tmp_path: Path) -> None:
    text = (
        "sources:\n  - url: nope\n    groups: [a]\n    colour: red\n"
        "fetch:\n  concurrency: 0\n  timeout_s: -1\nsite:\n  timezone: Nowhere/Land\n"
    )
    result = run_cli("validate", "-c", str(write(tmp_path, text)))
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert [int(line.split(":")[1]) for line in lines] == [2, 4, 6, 7, 9]


def test_token_value_is_never_echoed(run_cli, tmp_path: Path) -> None:
    secret = "glpat-Zz9Yy8Xx7Ww6Vv5Uu4Tt"
    result = run_cli("validate", "-c", str(write(tmp_path, GOOD + f"    name: {secret}\n")))
    assert result.code == 2
    assert secret not in result.err + result.out


def test_missing_config_file(run_cli, tmp_path: Path) -> None:
    result = run_cli("validate", "-c", str(tmp_path / "absent.yml"))
    assert result.code == 2
    assert "config file not found" in result.err


def test_debug_shows_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "sources: 3\n")
    plain = subprocess.run(
        [sys.executable, "-m", "gldash_static", "validate", "-c", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    debug = subprocess.run(
        [sys.executable, "-m", "gldash_static", "validate", "--debug", "-c", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    assert re.search(r"config.yml:1: sources: expected", plain.stderr)
    assert "Traceback" in debug.stderr


def test_example_copied_elsewhere_validates(run_cli, tmp_path: Path) -> None:
    shutil.copy(REPO / "config.yml", tmp_path / "config.yml")
    assert run_cli("validate", "-c", str(tmp_path / "config.yml")).code == 0
