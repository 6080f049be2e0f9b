"""The token, e-mail addresses and private projects never reach an output, a log or an error.

Every run uses the known token value `TOKEN`; builds that succeed and fetches that fail
(token revoked, server down, garbage responses) run as subprocesses with `--debug`, so
tracebacks and debug logging are scanned too, as are every file they wrote (gzip files
decompressed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_helpers import (
    TOKEN,
    TOKEN_PARTS,
    Workspace,
    decoded,
    gldash,
    grant_token,
    make_workspace,
    read_snapshot,
)

from gldash_static.simulator import Faults, OrgSpec, Simulator

EMAIL = re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    # 7 published and 12 private projects.
    with Simulator(OrgSpec(projects=20, seed=7, pipelines_per_project=6)) as server:
        grant_token(server)
        yield server


def _private(sim: Simulator) -> list[str]:
    with sim.state.changing():
        return sorted(
            p.path_with_namespace for p in sim.state.projects.values() if p.visibility == "private"
        )


def _leaks(blobs: dict[str, bytes], sim: Simulator) -> list[str]:
    with sim.state.changing():
        emails = [u.email.encode() for u in sim.state.users.values()]
    found: list[str] = []
    for name, blob in blobs.items():
        found += [f"{name}: token" for part in TOKEN_PARTS if part.encode() in blob]
        found += [f"{name}: e-mail {m[:40]!r}" for m in EMAIL.findall(blob)]
        found += [f"{name}: user e-mail" for e in emails if e in blob]
    return found


def _files(ws: Workspace) -> dict[str, bytes]:
    return {str(p.relative_to(ws.root)): decoded(p) for p in ws.outputs()}


def test_no_token_email_or_private_project_anywhere(sim: Simulator, tmp_path: Path) -> None:
    # Two retries are enough to log retries; six would sleep through long backoffs when most
    # answers fail (the flaky fetch below).
    ws = make_workspace(sim, tmp_path / "ws", fetch="  max_retries: 2\n")
    env = {"GITLAB_TOKEN": TOKEN}
    logs: dict[str, bytes] = {}

    def run(name: str, *args: str, code: int | tuple[int, ...]) -> None:
        result = gldash(*args, "-c", str(ws.config_path), cwd=ws.root, env=env)
        logs[f"{name} stdout"] = result.stdout.encode("utf-8", "replace")
        logs[f"{name} stderr"] = result.stderr.encode("utf-8", "replace")
        codes = code if isinstance(code, tuple) else (code,)
        assert result.returncode in codes, result.stderr[-2000:]

    run("build", "build", "--debug", code=0)
    sim.clock.advance(hours=2)
    run("build again", "build", "--debug", code=0)  # incremental, history, changes
    sim.set_faults(Faults(truncate_rate=0.3, reset_rate=0.2, error_rate=0.3, seed=9))
    try:
        # Mostly exit 1 (some data could not be refreshed); the output is what matters.
        run("flaky fetch", "fetch", "--full", "--debug", "--out", "flaky.json", code=(0, 1))
    finally:
        sim.set_faults(Faults())
    sim.set_faults(Faults(revoke_after=10))
    try:
        run("revoked", "build", "--full", "--debug", code=1)
    finally:
        sim.set_faults(Faults())
        with sim.state.changing():
            sim.state.revoked.discard(TOKEN)
    assert "Traceback" in logs["revoked stderr"].decode()  # --debug really showed it
    assert b"401" in logs["revoked stderr"]

    blobs = {**_files(ws), **logs}
    assert len(blobs) > 50
    assert _leaks(blobs, sim) == []
    private = _private(sim)
    assert private
    for name, blob in blobs.items():
        for path in private:
            assert path.encode() not in blob, (name, path)


def test_server_down_debug_run_leaks_nothing(tmp_path: Path) -> None:
    server = Simulator(OrgSpec(projects=5, seed=1)).start()
    grant_token(server)
    ws = make_workspace(server, tmp_path / "ws", fetch="  max_retries: 1\n")
    server.stop()
    result = gldash(
        "fetch", "--debug", "-c", str(ws.config_path), cwd=ws.root, env={"GITLAB_TOKEN": TOKEN}
    )
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "cannot reach" in result.stderr
    for part in TOKEN_PARTS:
        assert part not in result.stdout + result.stderr


def test_private_projects_only_when_the_config_opts_in(sim: Simulator, tmp_path: Path) -> None:
    ws = make_workspace(
        sim, tmp_path / "ws", source="    visibility: [public, internal, private]\n"
    )
    result = gldash(
        "fetch", "-c", str(ws.config_path), "--quiet", cwd=ws.root, env={"GITLAB_TOKEN": TOKEN}
    )
    assert result.returncode == 0, result.stderr
    paths = {p["path_with_namespace"] for p in read_snapshot(ws.snapshot)["sources"][0]["projects"]}
    with sim.state.changing():
        published_private = {
            p.path_with_namespace
            for p in sim.state.projects.values()
            if p.visibility == "private" and not p.archived and p.namespace_kind == "group"
        }
    assert published_private and published_private <= paths
    assert _leaks(_files(ws), sim) == []
