"""Corrupt, truncated, non-UTF-8 and future-version files: one clear line, nothing overwritten."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import (
    TOKEN,
    Workspace,
    assert_one_clear_error,
    grant_token,
    make_workspace,
)

from gldash_static.simulator import OrgSpec, Simulator


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Path]]:
    """A workspace with one published build, and its still running simulator."""
    from gldash_static.cli.main import main

    with Simulator(OrgSpec(projects=30, seed=4, pipelines_per_project=4)) as sim:
        grant_token(sim)
        root = tmp_path_factory.mktemp("bad-files") / "ws"
        ws = make_workspace(sim, root)
        mp = pytest.MonkeyPatch()
        mp.setenv("GITLAB_TOKEN", TOKEN)
        try:
            assert main(["build", "-c", str(ws.config_path), "--quiet"]) == 0
        finally:
            mp.undo()
        yield sim, root


def _snapshot_bytes(ws: Workspace) -> bytes:
    return ws.snapshot.read_bytes()


SNAPSHOTS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "corrupt JSON": (lambda b: b.replace(b'"sources"', b'"sources" oops', 1), "corrupt snapshot"),
    "truncated": (lambda b: b[: len(b) // 2], "corrupt snapshot (invalid JSON"),
    "empty": (lambda b: b"", "corrupt snapshot"),
    "not UTF-8": (lambda b: b.replace(b'"generated_at"', b'"gener\xff\xfeted_at"', 1), "UTF-8"),
    "truncated gzip": (lambda b: gzip.compress(b)[:200], "corrupt or truncated gzip"),
    "future version": (
        lambda b: re.sub(rb'"schema_version": \d+', b'"schema_version": 99', b, count=1),
        "newer than this gldash supports",
    ),
    "not a snapshot": (lambda b: b"[1, 2, 3]\n", "not a gldash snapshot"),
    "missing keys": (lambda b: b'{"schema_version": 1}\n', "not a gldash snapshot"),
}


ARCHIVES: dict[str, tuple[str, Callable[[bytes], bytes], str]] = {
    "corrupt index": ("index.json", lambda b: b[: len(b) // 2], "corrupt archive index"),
    "index not UTF-8": ("index.json", lambda b: b"\xff\xfe" + b, "corrupt archive index"),
    "future index format": (
        "index.json",
        lambda b: b.replace(b'"format": 2', b'"format": 7', 1),
        "not supported",
    ),
    "corrupt history": ("history.json", lambda b: b[: len(b) // 3], "history"),
    "history not JSON object": ("history.json", lambda b: b"[]", "history"),
}


def _copy(template: Path, tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(template, ws.root)
    return ws


@pytest.mark.parametrize("kind", list(SNAPSHOTS))
@pytest.mark.parametrize("command", ["build", "fetch", "render"])
def test_bad_snapshot(
    kind: str,
    command: str,
    template: tuple[Simulator, Path],
    tmp_path: Path,
    run_cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ws = _copy(template[1], tmp_path)
    spoil, message = SNAPSHOTS[kind]
    ws.snapshot.write_bytes(spoil(_snapshot_bytes(ws)))
    before = ws.digests()
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    result = run_cli(
        command, "-c", str(ws.config_path), *(["--quiet"] if command != "render" else [])
    )
    assert result.code == 1, result.err
    line = assert_one_clear_error(result.err, message, str(ws.snapshot))
    assert len(line) < 300
    assert ws.digests() == before


@pytest.mark.parametrize("kind", list(ARCHIVES))
def test_bad_archive(
    kind: str,
    template: tuple[Simulator, Path],
    tmp_path: Path,
    run_cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, root = template
    ws = _copy(root, tmp_path)
    name, spoil, message = ARCHIVES[kind]
    target = ws.archive / name
    target.write_bytes(spoil(target.read_bytes()))
    before = ws.digests()
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    result = run_cli("build", "-c", str(ws.config_path), "--quiet")
    assert result.code == 1, result.err
    assert_one_clear_error(result.err, message, name)
    assert ws.digests() == before  # not the snapshot either: checked before anything is written


def test_future_version_archived_snapshot(
    template: tuple[Simulator, Path], tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The newest archived copy is the previous snapshot when snapshot.json is gone.
    ws = _copy(template[1], tmp_path)
    ws.snapshot.unlink()
    rows = json.loads((ws.archive / "index.json").read_text())["snapshots"]
    dated = ws.archive / rows[-1]["path"]
    data = json.loads(gzip.decompress(dated.read_bytes()))
    data["schema_version"] = 42
    dated.write_bytes(gzip.compress(json.dumps(data).encode()))
    before = ws.digests()
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    result = run_cli("build", "-c", str(ws.config_path), "--quiet")
    assert result.code == 1
    assert_one_clear_error(result.err, "schema version 42 is newer", rows[-1]["path"])
    assert ws.digests() == before
