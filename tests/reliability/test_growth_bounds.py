"""One project's growth cannot push history out: per-project caps on branches and merge
requests, counted on the page, and a size budget that names the project that grew."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import make_snapshot
from reliability_helpers import TOKEN, gldash, grant_token, make_workspace, read_snapshot

from gldash_static.archive import Archive
from gldash_static.config.settings import ArchiveSettings, FetchSettings, RetentionSettings
from gldash_static.fetch import publish
from gldash_static.model import Branch, Project
from gldash_static.simulator import OrgSpec, Simulator

ENV = {"GITLAB_TOKEN": TOKEN}
PUSHED = 2_500  # branches one Developer pushes (30,000 in the report; fewer keeps this quick)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(OrgSpec(projects=30, seed=4, pipelines_per_project=3)) as server:
        grant_token(server)
        yield server


def _branchy_project(sim: Simulator) -> int:
    with sim.state.changing():
        project = next(
            p
            for p in sorted(sim.state.projects.values(), key=lambda p: p.id)
            if p.visibility != "private" and not p.archived and not p.empty_repo
            and p.namespace_kind == "group"
        )  # fmt: skip
        branches = sim.state.branches(project.id)
        template = branches[0]
        start = sim.clock.now - timedelta(days=400)
        for n in range(PUSHED):
            branches.append(
                dataclasses.replace(
                    template,
                    name=f"spam/{n:05d}",
                    default=False,
                    protected=False,
                    committed_at=start + timedelta(minutes=n),
                    commit_title=f"spam commit {n}",
                )
            )
        branches.sort(key=lambda b: b.name)
        return project.id


def test_thousands_of_branches_are_capped_and_counted(sim: Simulator, tmp_path: Path) -> None:
    ws = make_workspace(sim, tmp_path / "ws")
    result = gldash("build", "-c", str(ws.config_path), "--quiet", cwd=ws.root, env=ENV)
    assert result.returncode == 0, result.stderr
    size_before = ws.snapshot.stat().st_size
    project_id = _branchy_project(sim)
    sim.clock.advance(hours=2)  # moves last_activity_at, so branches are read again
    with sim.state.changing():
        sim.state.projects[project_id].last_activity_at = sim.clock.now
        real = list(sim.state.branches(project_id))
    result = gldash("build", "-c", str(ws.config_path), "--quiet", cwd=ws.root, env=ENV)
    assert result.returncode == 0, result.stderr
    record = next(
        p for p in read_snapshot(ws.snapshot)["sources"][0]["projects"] if p["id"] == project_id
    )
    limit = FetchSettings().max_branches
    assert len(record["branches"]) == limit
    assert record["branches_omitted"] == len(real) - limit
    # The newest commits are the ones kept.
    newest = sorted(real, key=lambda b: b.committed_at, reverse=True)[:limit]
    assert {b["name"] for b in record["branches"]} == {b.name for b in newest}
    # The snapshot grew by the cap's worth, not by thousands of branches.
    assert ws.snapshot.stat().st_size - size_before < 80_000
    page = next(
        path.read_text(encoding="utf-8")
        for path in (ws.site / "p").glob("*.html")
        if record["web_url"] + "/-/pipelines" in path.read_text(encoding="utf-8")
    )
    assert f"{len(real) - limit} more branches" in page


def _branch(name: str, day: int) -> Branch:
    return {
        "name": name,
        "default": False,
        "protected": False,
        "merged": False,
        "commit_short_id": "abc1234",
        "commit_title": "t",
        "committed_date": f"2026-01-{day:02d}T00:00:00.000+02:00",
        "author_name": None,
    }


@pytest.mark.parametrize(
    ("days", "limit", "kept"),
    [
        ([1, 2, 3], 5, ["b0", "b1", "b2"]),  # under the cap: everything, same order
        ([1, 3, 2], 2, ["b1", "b2"]),  # the newest two, in their original order
        ([5, 5, 5], 2, ["b1", "b2"]),  # equal times: decided by name, deterministically
    ],
)
def test_cap_keeps_the_newest(days: list[int], limit: int, kept: list[str]) -> None:
    branches = [_branch(f"b{i}", day) for i, day in enumerate(days)]
    chosen = publish.cap(branches, limit, publish._branch_age)
    assert [b["name"] for b in chosen] == kept


@pytest.mark.parametrize(
    ("members_only", "visibility", "withheld"),
    [
        ([], ("public", "internal"), []),
        # Environments go with members-only CI/CD (read_environment needs both open).
        (["pipelines"], ("public",), ["pipelines", "environments"]),
        (["merge_requests"], ("public", "internal"), ["merge_requests"]),
        (["environments"], ("public",), ["environments"]),
        # A members-only repository takes what shows its branches and commits along.
        (
            ["repository"],
            ("public", "internal"),
            ["repository", "pipelines", "merge_requests", "environments"],
        ),
        # A dashboard for people who see private projects withholds nothing.
        (["repository", "pipelines"], ("public", "internal", "private"), []),
    ],
)
def test_withheld_features(
    members_only: list[str], visibility: tuple[str, ...], withheld: list[str]
) -> None:
    assert publish.withheld(members_only, visibility) == withheld  # type: ignore[arg-type]


def test_size_budget_names_the_project_that_grew(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    start = datetime(2026, 3, 1, 6, tzinfo=UTC)
    rules = RetentionSettings(all_days=30, daily_days=30, max_mb=None)
    settings = ArchiveSettings(dir=tmp_path / "archive", carry_forward="none", retention=rules)
    archive = Archive(settings, clock=lambda: start + timedelta(days=30))
    for day in range(3):
        archive.add(make_snapshot(projects=4, seed=1, now=start + timedelta(days=day)))
    # A budget the three fit in, with room for one more of their size but not for a project
    # that suddenly holds hundreds of branches.
    total = sum(row["size"] for row in archive.rows())
    budget = dataclasses.replace(rules, max_mb=(total + total // 3 + 500) / 1e6)
    archive = Archive(
        dataclasses.replace(settings, retention=budget), clock=lambda: start + timedelta(days=30)
    )
    grown = make_snapshot(projects=4, seed=1, now=start + timedelta(days=3))
    project: Project = grown["sources"][0]["projects"][2]
    project["branches"] += [
        _branch(f"grown-{n:05d}-{n * 7919 % 100_003}", 1 + n % 28) for n in range(3000)
    ]
    with caplog.at_level(logging.WARNING):
        archive.add(grown)
    warning = next(r.getMessage() for r in caplog.records if "max_mb" in r.getMessage())
    assert f"grew most: {project['path_with_namespace']}" in warning
