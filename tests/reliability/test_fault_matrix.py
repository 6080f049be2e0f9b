"""`gldash build` against a faulty GitLab: correct data, or exit 1 with one clear line.

Every case starts from a published state (snapshot, site, archive) made by a clean build,
lets simulated time pass, injects its fault and runs `gldash build` through the CLI. Then:

- exit 0: the snapshot equals a clean full fetch of the same server state, the site is
  byte-identical to a fresh render of that snapshot, the archive to the old archive plus it;
- exit 1: exactly one `error:` line, no traceback, and snapshot, site and archive are
  byte-identical to before.

Either way the token appears in no output. The outcome per case is printed (`-s`) and
recorded in docs/security.md.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import (
    TOKEN,
    assert_one_clear_error,
    clean_fetch,
    comparable,
    expected_archive_digest,
    expected_site_digest,
    grant_token,
    make_workspace,
    read_snapshot,
)

from gldash_static.archive import Archive, facts
from gldash_static.simulator import Faults, OrgSpec, Simulator

# Injects a fault; may return a check that the fault really happened during the run.
Inject = Callable[[Simulator], "Callable[[], bool] | None"]


@dataclass(frozen=True)
class Case:
    """One row of the fault matrix."""

    name: str
    inject: Inject
    expect: str  # "data" or "error"
    error_has: tuple[str, ...] = ()
    projects: int = 20  # 5 published projects, 28 pipelines: every fault below still hits
    seed: int = 4
    groups: list[str] | None = None
    fetch: str = ""
    args: tuple[str, ...] = ()
    proof: str = ""  # a snapshot["fetch"] counter that must be > 0: the fault really hit
    per_page: int | None = None  # the server's largest page (GitLab's: 100)


def _faults(**kwargs: Any) -> Inject:
    return lambda sim: sim.set_faults(Faults(**kwargs))


def _storm(sim: Simulator) -> None:
    # A tight real limit (the pacer must wait out each window) plus injected 429s on top.
    sim.set_rate_limit(40, window_s=1.0)
    storm = Faults(error_rate=0.08, error_statuses=(429,), seed=3)
    # A full fetch lists pipelines through GraphQL and reads branches over REST.
    routes = {"POST /api/graphql": storm, "GET /projects/:id/repository/*": storm}
    sim.set_faults(Faults(seed=3, routes=routes))


def _stall(sim: Simulator) -> None:
    sim.set_faults(Faults(stall_rate=0.04, stall_s=1.0, seed=5))


def _down(sim: Simulator) -> None:
    sim.stop()


def _delete_mid_fetch(sim: Simulator) -> Callable[[], bool]:
    # The first project the run asks about by id (one the refresh really reads, whatever the
    # organisation's size) is deleted while it is being read.
    done: list[int] = []

    def hook(template: str, path: str, query: list[tuple[str, str]]) -> None:
        found = re.match(r"/api/v4/projects/(\d+)/", path)
        if not done and found:
            victim = int(found.group(1))
            done.append(victim)
            sim.delete_project(victim)  # this very request then gets 404

    sim.on_request(hook)
    return lambda: bool(done)


def _shift_pages(sim: Simulator) -> Callable[[], bool]:
    # The group lists more than one page of projects. While page 2 is requested, projects
    # from page 1 are deleted, so the rest move up: the first published project of page 2
    # slides onto page 1, which the client has already read.
    page = sim.max_per_page
    with sim.state.changing():
        group = next(g for g in sim.state.groups.values() if g.full_path == "platform")
        subtree = sim.state.subtree(group.id)
        listed = sorted(
            (
                p
                for p in sim.state.projects.values()
                if p.namespace_id in subtree and not p.archived
            ),
            key=lambda p: p.id,
        )
    assert len(listed) > page
    hidden = next(i for i in range(page, len(listed)) if listed[i].visibility != "private")
    victims = [p.id for p in listed[: hidden - page + 1]]
    done: list[bool] = []

    def hook(template: str, path: str, query: list[tuple[str, str]]) -> None:
        if template == "GET /groups/:id/projects" and ("page", "2") in query and not done:
            done.append(True)
            for victim in victims:
                sim.delete_project(victim)

    sim.on_request(hook)
    return lambda: bool(done)


CASES = [
    Case("5xx bursts (20 %)", _faults(error_rate=0.20, seed=1), "data", proof="retries"),
    Case("429 storm", _storm, "data", args=("--full",), proof="rate_limited"),
    Case(
        "stalls past the timeout",
        _stall,
        "data",
        fetch="  timeout_s: 0.5\n",
        proof="retries",
    ),
    Case("connection resets", _faults(reset_rate=0.15, seed=2), "data", proof="retries"),
    Case("truncated JSON", _faults(truncate_rate=0.15, seed=6), "data", proof="retries"),
    Case(
        "token revoked mid-run",
        _faults(revoke_after=8),  # a refresh of this org makes more than 8 requests
        "error",
        ("GITLAB_TOKEN", "401", "read_api"),
    ),
    Case(
        "server down at start",
        _down,
        "error",
        ("cannot reach",),
        fetch="  max_retries: 2\n",
    ),
    Case("project deleted mid-fetch", _delete_mid_fetch, "data"),
    Case(
        "items shift between pages",
        _shift_pages,
        "data",
        projects=40,  # 25 listed in platform: three pages of 10
        seed=7,
        per_page=10,
        groups=["platform"],
        fetch="  pipelines_per_project: 1\n  branches: false\n  failed_jobs: false\n",
    ),
]


def _paths(data: dict[str, Any]) -> list[str]:
    return [p["path_with_namespace"] for s in data["sources"] for p in s["projects"]]


def _reset(sim: Simulator) -> None:
    sim.on_request(None)
    sim.set_faults(Faults())
    sim.set_rate_limit(None)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault_matrix(
    case: Case, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = OrgSpec(projects=case.projects, seed=case.seed, pipelines_per_project=6)
    sim = Simulator(spec, **({"max_per_page": case.per_page} if case.per_page else {}))
    sim.start()
    try:
        grant_token(sim)
        monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
        ws = make_workspace(sim, tmp_path / "ws", fetch=case.fetch, groups=case.groups)
        first = run_cli("build", "-c", str(ws.config_path), "--quiet")
        assert first.code == 0, first.err
        sim.clock.advance(hours=3)
        before = ws.digests()
        previous = read_snapshot(ws.snapshot)
        archive_before = tmp_path / "archive-before"
        shutil.copytree(ws.archive, archive_before)

        happened = case.inject(sim)
        result = run_cli("build", "-c", str(ws.config_path), "--quiet", *case.args)
        _reset(sim)
        assert happened is None or happened(), "the fault never hit the run"
        assert TOKEN not in result.out + result.err

        after = ws.digests()
        if case.expect == "error":
            assert result.code == 1, result.err
            line = assert_one_clear_error(result.err, *case.error_has)
            assert after == before
            outcome = f"exit 1, one line: {line}"
        else:
            assert result.code == 0, result.err
            assert "Traceback" not in result.err, result.err[-3000:]
            snapshot = read_snapshot(ws.snapshot)
            if sim._server is None:  # pragma: no cover - only the down case stops it
                sim.start()
            reference = clean_fetch(ws.config())
            got, want = comparable(snapshot), comparable(reference)
            assert _paths(got) == _paths(want)
            assert got == want
            assert after["site"] == expected_site_digest(ws, snapshot, tmp_path)
            assert after["archive"] == expected_archive_digest(
                ws, archive_before, snapshot, tmp_path
            )
            fetch = snapshot["fetch"]
            if case.proof:
                assert fetch[case.proof] > 0, fetch  # type: ignore[literal-required]
            outcome = (
                f"exit 0, data equal to a clean fetch ({fetch['retries']} retries, "
                f"{fetch['rate_limited']} rate-limited, {len(fetch['errors'])} warnings)"
            )
        # The previous snapshot is never lost: in place, or archived.
        times = {row["time"] for row in Archive(ws.config().archive).rows()}
        assert facts.iso_utc(facts.snapshot_time(previous)) in times
        print(f"\nFAULT-MATRIX | {case.name} | {outcome}")
    finally:
        sim.stop()
