"""`gldash build` as a new user runs it: the example config.yml, on a laptop, outside GitLab CI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gldash_static import pipeline
from gldash_static.config import load_config, parse_config
from gldash_static.simulator import OrgSpec, Simulator

REPO = Path(__file__).resolve().parents[2]
OUTSIDE_CI = "archive: no previous archive is fetched outside GitLab CI"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(OrgSpec(projects=12, seed=3, pipelines_per_project=3)) as server:
        yield server


def _example_config(folder: Path, sim: Simulator) -> Path:
    """The repository's config.yml with its GitLab URL and group pointed at `sim`."""
    groups = sorted(g.full_path for g in sim.state.groups.values() if g.parent_id is None)
    text = (REPO / "config.yml").read_text(encoding="utf-8")
    example = "  - url: https://gitlab.example.com\n"
    assert example in text and "      - acme\n" in text
    text = text.replace(example, f"  - url: {sim.url}\n")
    text = text.replace("      - acme\n", "".join(f"      - {g}\n" for g in groups))
    folder.mkdir()
    path = folder / "config.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def laptop(monkeypatch: pytest.MonkeyPatch, sim: Simulator) -> None:
    """No GitLab CI variables (also when this suite itself runs in GitLab CI)."""
    for name in ("GITLAB_CI", "CI", "CI_PROJECT_ID", "CI_DEFAULT_BRANCH", "CI_COMMIT_REF_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITLAB_TOKEN", sim.token)


@pytest.mark.parametrize("extra", [(), ("--allow-empty-history",)])
def test_example_config_builds_outside_ci(
    laptop: None,
    sim: Simulator,
    tmp_path: Path,
    run_cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    extra: tuple[str, ...],
) -> None:
    config = _example_config(tmp_path / "dash", sim)
    monkeypatch.chdir(config.parent)
    first = run_cli("build", "-c", str(config), "--quiet", *extra)
    assert first.code == 0, first.err
    assert (config.parent / "public" / "index.html").is_file()
    index = json.loads((config.parent / "archive" / "index.json").read_text(encoding="utf-8"))
    assert len(index["snapshots"]) == 1
    # The second build refreshes the first and grows the local archive.
    sim.clock.advance(hours=1)
    second = run_cli("build", "-c", str(config), "--quiet", *extra)
    assert second.code == 0, second.err
    index = json.loads((config.parent / "archive" / "index.json").read_text(encoding="utf-8"))
    assert len(index["snapshots"]) == 2


def test_outside_ci_says_so_in_one_line(
    laptop: None, sim: Simulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = load_config(_example_config(tmp_path / "dash", sim))
    archive = pipeline.open_archive(config)
    assert archive is not None
    with caplog.at_level("INFO"):
        pipeline.carry_forward(config, archive, allow_empty=False)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and lines[0].startswith(OUTSIDE_CI), lines
    assert not archive.root.exists()  # nothing was fetched or created


def test_inside_ci_a_missing_project_is_still_an_error(
    laptop: None, sim: Simulator, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _example_config(tmp_path / "dash", sim)
    monkeypatch.chdir(config.parent)
    monkeypatch.setenv("GITLAB_CI", "true")
    result = run_cli("build", "-c", str(config), "--quiet")
    assert result.code == 1
    assert result.err.startswith("error: carry-forward from artifacts needs"), result.err
    assert result.err.rstrip().endswith("set archive.carry_forward: none")  # names the way out
    assert not (config.parent / "public").exists()


def test_carry_forward_none_says_it_is_off(
    laptop: None, sim: Simulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _example_config(tmp_path / "dash", sim)
    text = path.read_text(encoding="utf-8")
    text = text.replace("carry_forward: artifacts", "carry_forward: none")
    config = parse_config(text, path)
    archive = pipeline.open_archive(config)
    assert archive is not None
    with caplog.at_level("INFO"):
        pipeline.carry_forward(config, archive, allow_empty=False)
    assert [r.getMessage() for r in caplog.records] == [
        "archive: carry-forward off (archive.carry_forward: none)"
    ]
