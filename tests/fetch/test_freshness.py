"""Branches stay fresh although GitLab moves last_activity_at at most once an hour; listings
that ask what changed lose nothing to ties; pagination keeps our base URL on every refresh."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fetch_helpers import TINY, comparable, make_config, run_fetch

from gldash_static.config import Config
from gldash_static.fetch.freshness import (
    branch_limit,
    needs_branch_refresh,
    pipelines_show_a_push,
    previous_run_gap,
)
from gldash_static.model import Branch, Project, Snapshot
from gldash_static.simulator import OrgSpec, Simulator
from gldash_static.simulator.activity import RESET_PROJECT_ACTIVITY_INTERVAL
from gldash_static.timeutil import gitlab_time as iso
from gldash_static.timeutil import parse_time

ORG = OrgSpec(projects=80, seed=11, pipelines_per_project=8)  # short histories: quick fetches
BOUND = timedelta(hours=24)  # fetch.branch_max_age_hours by default
BRANCHES = "GET /projects/:id/repository/branches"
T0 = datetime(2026, 11, 28, 6, tzinfo=UTC)


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    """An 80-project organisation, its admin token in $GITLAB_TOKEN."""
    with Simulator(ORG) as server:
        monkeypatch.setenv("GITLAB_TOKEN", server.token)
        yield server


def quiet_project(sim: Simulator) -> tuple[int, str]:
    """A published project with commits that does nothing unless a test pushes to it."""
    now = sim.clock.now
    for p in sorted(sim.state.projects.values(), key=lambda p: p.id):
        published = p.namespace_kind == "group" and p.visibility != "private" and not p.archived
        old = p.last_activity_at < now - RESET_PROJECT_ACTIVITY_INTERVAL
        if published and old and p.default_branch and not p.empty_repo:
            p.activity = 0.0
            return p.id, p.default_branch
    raise AssertionError("no quiet project in this organisation")


def record(snapshot: Snapshot, pid: int) -> Project:
    """One project of a one-source snapshot."""
    return next(p for p in snapshot["sources"][0]["projects"] if p["id"] == pid)


def has_head(project: Project, name: str, sha: str) -> bool:
    """Whether the stored branch `name` has the commit `sha` as its head."""
    short = next((b["commit_short_id"] for b in project["branches"] if b["name"] == name), "")
    return bool(short) and sha.startswith(short)


def branch_requests(sim: Simulator) -> list[str]:
    """Paths of the branch listings the simulator answers from now on."""
    seen: list[str] = []
    sim.on_request(
        lambda template, path, query: seen.append(path) if template == BRANCHES else None
    )
    return seen


def test_a_push_without_pipeline_within_the_hour_arrives_within_the_bound(
    org: Simulator, config_for: Callable[..., Config]
) -> None:
    config = config_for(org)
    pid, default = quiet_project(org)
    org.state.push(pid, default)  # over an hour after the last event: last_activity_at moves
    snapshot = run_fetch(config).snapshot
    moved = record(snapshot, pid)["last_activity_at"]
    org.clock.advance(minutes=20)
    pushed = org.state.push(pid, default, pipeline=False)  # [skip ci], within the hour
    pushed_at = org.clock.now
    arrived: datetime | None = None
    branch_reads: list[int] = []
    for _ in range(13):  # a run every two hours, 26 hours in all
        org.clock.advance(hours=2)
        snapshot = run_fetch(config, previous=snapshot).snapshot
        mine = record(snapshot, pid)
        assert mine["last_activity_at"] == moved  # GitLab never said this project changed
        if arrived is None and has_head(mine, default, pushed.commit_sha):
            arrived = org.clock.now
        now = parse_time(snapshot["generated_at"])
        assert now is not None
        for project in snapshot["sources"][0]["projects"]:
            read = parse_time(project["branches_fetched_at"])
            assert read is None or now - read <= BOUND, project["path_with_namespace"]
        branch_reads.append(snapshot["fetch"]["api_calls"].get(BRANCHES, 0))
    assert arrived is not None and arrived - pushed_at <= BOUND
    projects = len(snapshot["sources"][0]["projects"])
    assert max(branch_reads) < projects / 2, branch_reads  # spread over runs, not all at once


@pytest.mark.parametrize("graphql", [True, False])
def test_a_push_with_a_pipeline_arrives_on_the_next_refresh(
    tiny_sim: Simulator, config_for: Callable[..., Config], graphql: bool
) -> None:
    org = tiny_sim  # one project matters: eight suffice
    config = config_for(org, f"fetch:\n  graphql: {str(graphql).lower()}\n")
    pid, default = quiet_project(org)
    org.state.push(pid, default)
    snapshot = run_fetch(config).snapshot
    org.clock.advance(minutes=20)
    on_default = org.state.push(pid, default)  # within the hour: last_activity_at stays
    new_branch = org.state.push(pid, "feature/fresh-work")
    org.clock.advance(minutes=5)
    refreshed = run_fetch(config, previous=snapshot).snapshot
    mine = record(refreshed, pid)
    assert mine["last_activity_at"] == record(snapshot, pid)["last_activity_at"]
    assert has_head(mine, default, on_default.commit_sha)
    assert has_head(mine, "feature/fresh-work", new_branch.commit_sha)
    assert mine["branches_fetched_at"] == mine["fetched_at"]
    # A pipeline that builds what a branch already holds (API, schedule) is no push.
    org.state.trigger_pipeline(pid, default, {}, source="api")
    org.clock.advance(minutes=5)
    reads = branch_requests(org)
    again = run_fetch(config, previous=refreshed).snapshot
    org.on_request(None)
    assert f"/api/v4/projects/{pid}/repository/branches" not in reads
    assert record(again, pid)["branches_fetched_at"] == mine["branches_fetched_at"]


def test_updated_after_listing_loses_no_pipeline_to_ties_on_a_page_boundary(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Four items a page, as max_per_page shrinks them: ten ties span three pages. REST only:
    # its offset pages are what ties can shift (GraphQL pages by cursor).
    with Simulator(TINY, max_per_page=4) as sim:
        monkeypatch.setenv("GITLAB_TOKEN", sim.token)
        config = make_config(sim, tmp_path, "fetch:\n  graphql: false\n")
        first = run_fetch(config).snapshot
        pid, default = quiet_project(sim)
        # Ten API pipelines created in one millisecond share one updated_at.
        tied = [sim.state.trigger_pipeline(pid, default, {}, source="api") for _ in range(10)]
        assert len({p.updated_at for p in tied}) == 1
        pages: list[str] = []

        def listing(template: str, path: str, query: list[tuple[str, str]]) -> None:
            asked = dict(query)
            if path.endswith(f"/projects/{pid}/pipelines") and "updated_after" in asked:
                pages.append(asked.get("page", "1"))

        sim.on_request(listing)
        refreshed = run_fetch(config, previous=first).snapshot
        sim.on_request(None)
        full = run_fetch(config, full=True).snapshot
    assert len(set(pages)) >= 3, pages  # the ties straddled page boundaries
    ids = {p["id"] for p in record(refreshed, pid)["pipelines"]}
    assert {p.id for p in tied} <= ids
    assert comparable(refreshed) == comparable(full)


# python-gitlab warns before following a link to another host (tests make warnings errors).
@pytest.mark.filterwarnings("ignore:The base URL in the server response differs")
def test_full_and_incremental_fetch_read_pages_on_our_base_url_whatever_link_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GitLab writes its external URL into Link headers; here it names a host nobody serves.
    elsewhere = "http://127.0.0.2:9/"
    org = OrgSpec(projects=60, seed=4, pipelines_per_project=8)
    with Simulator(org, max_per_page=5, external_url=elsewhere) as sim:
        monkeypatch.setenv("GITLAB_TOKEN", sim.token)
        # Branches on every refresh: this test compares refreshes with full fetches.
        # REST only: its Link headers are what this is about (GraphQL pages by cursor).
        config = make_config(sim, tmp_path, "fetch:\n  branch_max_age_hours: 0\n  graphql: false\n")
        later: list[str] = []
        sim.on_request(
            lambda template, path, query: (
                later.append(template) if any(k == "page" and v != "1" for k, v in query) else None
            )
        )
        first = run_fetch(config)
        sim.clock.advance(hours=3)
        refreshed = run_fetch(config, previous=first.snapshot)
        sim.on_request(None)
        full = run_fetch(config, full=True)
    assert first.complete and refreshed.complete, refreshed.snapshot["fetch"]["errors"]
    assert refreshed.snapshot["fetch"]["mode"] == "incremental"
    assert "GET /groups/:id/projects" in later and "GET /projects/:id/pipelines" in later
    assert comparable(refreshed.snapshot) == comparable(full.snapshot)


def _project(pid: int = 7, activity: str = "2026-11-28T05:00:00.000Z", **extra: Any) -> Project:
    base: dict[str, Any] = {
        "id": pid,
        "last_activity_at": activity,
        "branches_fetched_at": "2026-11-28T06:00:00.000Z",
    }
    return base | extra  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("old", "now", "run_every", "refresh"),
    [
        (None, T0, timedelta(0), True),  # new project: everything
        (_project(activity="2026-11-28T04:00:00.000Z"), T0, timedelta(0), True),  # moved
        (_project(branches_fetched_at=None), T0, timedelta(0), True),  # age unknown
        (_project(), T0 + timedelta(hours=1), timedelta(0), False),
        (_project(), T0 + timedelta(hours=24), timedelta(0), True),  # at the bound
        # Project 7's limit is 24 h * (1 - 7/32) = 18 h 45 min.
        (_project(), T0 + timedelta(hours=18, minutes=44), timedelta(0), False),
        (_project(), T0 + timedelta(hours=18, minutes=45), timedelta(0), True),
        # Due before the next run (one hour away): read now.
        (_project(), T0 + timedelta(hours=17, minutes=45), timedelta(hours=1), True),
        (_project(), T0 + timedelta(hours=17, minutes=44), timedelta(hours=1), False),
    ],
)
def test_needs_branch_refresh(
    old: Project | None, now: datetime, run_every: timedelta, refresh: bool
) -> None:
    assert needs_branch_refresh(old, _project(), now, BOUND, run_every) is refresh


def test_branch_limits_spread_between_half_the_bound_and_the_bound() -> None:
    limits = {branch_limit(pid, BOUND) for pid in range(1000)}
    assert len(limits) == 16 and max(limits) == BOUND and min(limits) > BOUND / 2
    assert needs_branch_refresh(_project(), _project(), T0, timedelta(0)) is True  # 0: always


def _branch(name: str, short_id: str) -> Branch:
    return {
        "name": name,
        "default": name == "main",
        "protected": False,
        "merged": False,
        "commit_short_id": short_id,
        "commit_title": "",
        "committed_date": None,
        "author_name": None,
    }


@pytest.mark.parametrize(
    ("listed", "push"),
    [
        ([], False),
        ([{"id": 5, "ref": "main", "sha": "ffff0000" + "0" * 32}], False),  # seen before
        ([{"id": 9, "ref": "main", "sha": "aaaa1111" + "0" * 32}], False),  # on the head
        ([{"id": 9, "ref": "main", "sha": "bbbb2222" + "0" * 32}], True),  # a new commit
        ([{"id": 9, "ref": "topic", "sha": "cccc3333" + "0" * 32}], True),  # a new branch
        ([{"id": 9, "ref": "refs/merge-requests/3/head", "sha": "dd"}], True),
        ([{"id": 9, "ref": None, "sha": None}], True),  # unreadable: read the branches
        # A pipeline of the snapshot (GraphQL's, converted) carries its 8-digit short id.
        ([{"id": 9, "ref": "main", "short_sha": "aaaa1111"}], False),
        ([{"id": 9, "ref": "main", "short_sha": "aaaa1112"}], True),
        # GitLab's branch short_id may have 7 digits; fewer than 7 never match.
        ([{"id": 9, "ref": "seven", "short_sha": "eeee5555"}], False),
        ([{"id": 9, "ref": "seven", "sha": "eeee555"}], False),
        ([{"id": 9, "ref": "main", "sha": "aaaa11"}], True),
    ],
)
def test_pipelines_show_a_push(listed: list[dict[str, Any]], push: bool) -> None:
    stored = [_branch("main", "aaaa1111"), _branch("seven", "eeee555")]
    assert pipelines_show_a_push(listed, stored, {5}) is push


def test_previous_run_gap() -> None:
    assert previous_run_gap(iso(T0 - timedelta(hours=2)), T0) == timedelta(hours=2)
    assert previous_run_gap(None, T0) == timedelta(0)
    assert previous_run_gap(iso(T0 + timedelta(hours=2)), T0) == timedelta(0)
