"""`gldash build` killed with SIGKILL at each step of writing: nothing published is lost.

The build runs in a subprocess with the test-only `GLDASH_TEST_CRASH_AT` variable, which
makes gldash_static.atomic kill the process at a named point. Afterwards the previous
snapshot, site and archive are intact (the site after the recovery every build starts
with), and the next build succeeds with exactly the state an uninterrupted build makes.
"""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import (
    TOKEN,
    Workspace,
    digest,
    expected_archive_digest,
    expected_site_digest,
    gldash,
    grant_token,
    make_workspace,
    read_snapshot,
)

from gldash_static.archive import Archive, facts
from gldash_static.atomic import recover_dir
from gldash_static.cli.main import main
from gldash_static.outdir import MARKER
from gldash_static.simulator import OrgSpec, Simulator

# (crash point, what is already new when the process dies)
POINTS = [
    ("file-written:snapshot.json", ()),  # new snapshot in its temporary file
    ("file-replaced:snapshot.json", ("snapshot",)),
    ("file-written:*Z.json.gz", ("snapshot",)),  # the dated archive copy
    ("file-replaced:history.json", ("snapshot",)),  # history written, index not yet
    ("file-written:index.json", ("snapshot",)),
    ("file-replaced:index.json", ("snapshot", "archive")),
    ("dir-staged:public", ("snapshot", "archive")),  # whole site rendered into staging
    ("dir-moved-aside:public", ("snapshot", "archive")),  # between the two renames
    ("dir-replaced:public", ("snapshot", "archive", "site")),  # old site not yet removed
    # the newest kept whole for the Pages job's artifacts, after the site is out
    ("file-written:carry.json.gz", ("snapshot", "archive", "site")),
]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Path]]:
    """A simulator and a workspace with one build published; time has moved on since."""
    sim = Simulator(OrgSpec(projects=20, seed=4, pipelines_per_project=6)).start()
    grant_token(sim)
    root = tmp_path_factory.mktemp("crash") / "ws"
    # Artifacts carry-forward (outside CI it downloads nothing): the build keeps its carry file.
    ws = make_workspace(sim, root, carry_forward="artifacts")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GITLAB_TOKEN", TOKEN)
        for name in ("GITLAB_CI", "CI_PROJECT_ID"):
            env.delenv(name, raising=False)
        assert main(["build", "-c", str(ws.config_path), "--quiet"]) == 0
    assert list((ws.site / "p").glob("*.html")), "no project pages to lose"
    sim.clock.advance(hours=3)
    try:
        yield sim, root
    finally:
        sim.stop()


def _env(**extra: str) -> dict[str, str]:
    return {"GITLAB_TOKEN": TOKEN, **extra}


def _indexed_ok(ws: Workspace) -> set[str]:
    archive = Archive(ws.config().archive)
    rows = archive.rows()
    for row in rows:
        archive.load(row, rows)  # every listed snapshot rebuilds, checked against its hash
    archive.history()  # parses
    return {row["time"] for row in rows}


@pytest.mark.parametrize(("point", "new"), POINTS, ids=[p for p, _ in POINTS])
def test_sigkill_at_each_write_step(
    published: tuple[Simulator, Path],
    point: str,
    new: tuple[str, ...],
    tmp_path: Path,
    run_cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, template = published
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(template, ws.root)
    before = ws.digests()
    previous = read_snapshot(ws.snapshot)
    old_times = _indexed_ok(ws)
    archive_before = tmp_path / "archive-before"
    shutil.copytree(ws.archive, archive_before)

    killed = gldash(
        "build",
        "-c",
        str(ws.config_path),
        "--quiet",
        cwd=ws.root,
        env=_env(GLDASH_TEST_CRASH_AT=point),
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    # Straight after the crash: what is not yet new is byte-identical to before.
    if "snapshot" not in new:
        assert digest(ws.snapshot) == before["snapshot"]
    else:
        read_snapshot(ws.snapshot)  # whole and valid
    if "archive" not in new:
        assert old_times == _indexed_ok(ws)
    assert old_times <= _indexed_ok(ws)  # the previous snapshot is archived, readable
    assert facts.iso_utc(facts.snapshot_time(previous)) in _indexed_ok(ws)
    recover_dir(ws.site.resolve())  # what the next build (or `gldash render`) does first
    if "site" not in new:
        assert digest(ws.site) == before["site"]
    else:
        assert (ws.site / "index.html").is_file()
    assert not list(ws.root.glob(".public.*"))

    # The next run succeeds and ends exactly where an uninterrupted run would have.
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    for name in ("GITLAB_CI", "CI_PROJECT_ID"):  # a local build: no artifacts to download
        monkeypatch.delenv(name, raising=False)
    again = run_cli("build", "-c", str(ws.config_path), "--quiet")
    assert again.code == 0, again.err
    snapshot = read_snapshot(ws.snapshot)
    expected = expected_archive_digest(ws, archive_before, snapshot, tmp_path, hidden=False)
    assert digest(ws.archive, hidden=False) == expected
    # A writer killed before its rename leaves only its hidden temporary file (and the
    # folder keeps gldash's marker).
    hidden = [p.name for p in ws.archive.rglob(".*") if p.name != MARKER]
    assert all(p.endswith(".tmp") for p in hidden), hidden
    assert digest(ws.site) == expected_site_digest(ws, snapshot, tmp_path)
    leftovers = [p for p in ws.site.rglob("*") if p.name.startswith(".") and p.name != MARKER]
    assert leftovers == []  # temporary files of the killed run are never published
