"""The fetch plan on plain records: what each project asks for, before anything is asked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from gldash_static.config import FetchSettings
from gldash_static.fetch import group_mrs
from gldash_static.fetch.changes import Answer
from gldash_static.fetch.convert import ProjectFeatures
from gldash_static.fetch.plan import (
    Branches,
    FetchPlan,
    Listed,
    MergeRequests,
    Pipelines,
    ProjectPlan,
    after_probe,
    listing_since,
    plan_event,
    plan_projects,
    refreshable,
    replan_without,
    since_of,
)
from gldash_static.model import Feature, FetchMode, MergeRequest, Pipeline, Project

NOW = datetime(2026, 11, 28, 6, tzinfo=UTC)
WATERMARK = "2026-11-28T05:00:00.000Z"  # the previous run, an hour ago
SINCE = "2026-11-28T04:50:00.000Z"  # less incremental_margin_s (600 s)
ACTIVE = "2026-11-28T04:00:00.000Z"
SETTINGS = FetchSettings()


def record(pid: int = 7, **fields: Any) -> Project:
    """A project record as the listing gives it (or as a snapshot stored it)."""
    base: dict[str, Any] = {
        "id": pid,
        "path_with_namespace": f"acme/p{pid}",
        "name": f"p{pid}",
        "namespace": "acme",
        "description": None,
        "visibility": "public",
        "archived": False,
        "default_branch": "main",
        "topics": [],
        "last_activity_at": ACTIVE,
        "web_url": f"https://gitlab.example/acme/p{pid}",
        "star_count": 0,
        "forks_count": 0,
        "open_issues_count": 0,
        "empty_repo": False,
        "fetched_at": WATERMARK,
        "stale": None,
        "pipelines": [],
        "red_streak": None,
        "branches": [],
        "merge_requests": [],
        "members_only": [],
        "withheld": [],
        "unavailable": [],
        "branches_omitted": 0,
        "branches_fetched_at": None,
        "merge_requests_omitted": 0,
    }
    base.update(fields)
    return cast(Project, base)


def pipeline(pid: int, ref: str = "main", status: str = "success") -> Pipeline:
    """A stored pipeline; only the fields the plan and selection read matter."""
    return cast(
        Pipeline,
        {"id": pid, "ref": ref, "status": status, "updated_at": WATERMARK, "sha": "ab", "jobs": []},
    )


def mr(iid: int, project_id: int = 7) -> MergeRequest:
    """A stored open merge request."""
    return cast(MergeRequest, {"iid": iid, "project_id": project_id, "title": f"mr {iid}"})


# The previous snapshot's record of project 7: fresh, branches read at the last run.
STORED = record(
    pipelines=[pipeline(30), pipeline(20)],
    branches_fetched_at=WATERMARK,
    merge_requests=[mr(1), mr(2)],
    merge_requests_omitted=3,
)


def listed(covered: bool = True, features: ProjectFeatures | None = None, **fields: Any) -> Listed:
    """Project 7 as this run's listing gives it."""
    return Listed(
        record(fetched_at="2026-11-28T06:00:00.000Z", **fields), features or OPEN, covered
    )


OPEN = ProjectFeatures()
NO_CI = ProjectFeatures(pipelines="off")
NO_MRS = ProjectFeatures(merge_requests="off")


def plan_one(
    item: Listed,
    previous: list[Project] | None,
    mode: FetchMode = "incremental",
    watermark: str | None = WATERMARK,
    settings: FetchSettings = SETTINGS,
) -> ProjectPlan:
    """The plan of the one listed project."""
    plan = plan_projects(
        [item], previous, mode=mode, watermark=watermark, now=NOW, settings=settings
    )
    (project,) = plan.projects
    return project


# (pipelines, branches, merge requests, refreshes the stored record, since)
Expected = tuple[Pipelines, Branches, MergeRequests, bool, str | None]
# (case, listed project, previous projects, mode, watermark, settings, expected)
Case = tuple[str, Listed, list[Project] | None, FetchMode, str | None, FetchSettings, Expected]

CASES: list[Case] = [
    ("full, first run, in a group", listed(), None, "full", None, SETTINGS,
     ("list", "fetch", "group", False, None)),
    ("full, a configured project outside the groups", listed(covered=False), None, "full", None,
     SETTINGS, ("list", "fetch", "project", False, None)),
    ("full ignores the previous snapshot", listed(), [STORED], "full", WATERMARK, SETTINGS,
     ("list", "fetch", "group", False, None)),
    ("shard is a full fetch of its projects", listed(), [STORED], "shard", WATERMARK, SETTINGS,
     ("list", "fetch", "group", False, None)),
    ("incremental without a previous source is full", listed(), None, "incremental", None,
     SETTINGS, ("list", "fetch", "group", False, None)),
    ("incremental, quiet project: branches only on a push", listed(), [STORED], "incremental",
     WATERMARK, SETTINGS, ("since", "if_pushed", "group", True, SINCE)),
    ("incremental, not covered: its own merge requests", listed(covered=False), [STORED],
     "incremental", WATERMARK, SETTINGS, ("since", "if_pushed", "project", True, SINCE)),
    ("incremental, activity moved: branches read", listed(last_activity_at=WATERMARK), [STORED],
     "incremental", WATERMARK, SETTINGS, ("since", "fetch", "group", True, SINCE)),
    ("incremental, branches near their age limit", listed(),
     [record(branches_fetched_at="2026-11-27T07:00:00.000Z")], "incremental", WATERMARK,
     SETTINGS, ("since", "fetch", "group", True, SINCE)),
    ("incremental, branches' age unknown", listed(), [record(branches_fetched_at=None)],
     "incremental", WATERMARK, SETTINGS, ("since", "fetch", "group", True, SINCE)),
    ("incremental, a project new to the listing", listed(), [record(pid=8)], "incremental",
     WATERMARK, SETTINGS, ("list", "fetch", "project", False, None)),
    ("incremental, renamed or moved", listed(path_with_namespace="acme/renamed"), [STORED],
     "incremental", WATERMARK, SETTINGS, ("list", "fetch", "project", False, None)),
    ("incremental, stale previous record",
     listed(), [record(stale={"reason": "x", "since": ACTIVE}, branches_fetched_at=WATERMARK)],
     "incremental", WATERMARK, SETTINGS, ("list", "fetch", "project", False, None)),
    ("incremental, a feature opened to the dashboard again", listed(),
     [record(withheld=["pipelines"], branches_fetched_at=WATERMARK)], "incremental", WATERMARK,
     SETTINGS, ("list", "fetch", "project", False, None)),
    ("incremental, a feature the token may read again", listed(),
     [record(unavailable=["pipelines"], branches_fetched_at=WATERMARK)], "incremental",
     WATERMARK, SETTINGS, ("list", "fetch", "project", False, None)),
    ("incremental, CI/CD newly unreadable: nothing asked, branches kept",
     listed(unavailable=["pipelines"]), [STORED], "incremental", WATERMARK, SETTINGS,
     ("none", "keep", "group", True, SINCE)),
    ("incremental, unreadable watermark: pipelines listed, rest refreshed", listed(), [STORED],
     "incremental", "not a time", SETTINGS, ("list", "keep", "group", True, None)),
    ("empty repository, first run", listed(empty_repo=True), None, "full", None, SETTINGS,
     ("none", "none", "group", False, None)),
    ("empty repository, refreshed", listed(empty_repo=True), [STORED], "incremental", WATERMARK,
     SETTINGS, ("none", "keep", "group", True, SINCE)),
    ("repository unreadable: pipelines still asked, no branches",
     listed(unavailable=["repository"]), None, "full", None, SETTINGS,
     ("list", "none", "group", False, None)),
    ("members-only repository withheld: nothing asked",
     listed(withheld=["repository", "pipelines", "merge_requests"]), None, "full", None,
     SETTINGS, ("none", "none", "none", False, None)),
    ("CI/CD switched off", listed(features=NO_CI), None, "full", None, SETTINGS,
     ("none", "fetch", "group", False, None)),
    ("merge requests switched off", listed(features=NO_MRS), None, "full", None, SETTINGS,
     ("list", "fetch", "none", False, None)),
    ("merge requests unreadable", listed(unavailable=["merge_requests"]), None, "full", None,
     SETTINGS, ("list", "fetch", "none", False, None)),
    ("branches and merge requests not fetched by config", listed(), [STORED], "incremental",
     WATERMARK, FetchSettings(branches=False, merge_requests=False),
     ("since", "none", "none", True, SINCE)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("item", "previous", "mode", "watermark", "settings", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_plan_projects(
    item: Listed,
    previous: list[Project] | None,
    mode: FetchMode,
    watermark: str | None,
    settings: FetchSettings,
    expected: Expected,
) -> None:
    project = plan_one(item, previous, mode, watermark, settings)
    pipelines, branches, merge_requests, refreshes, since = expected
    assert (project.pipelines, project.branches, project.merge_requests) == (
        pipelines,
        branches,
        merge_requests,
    )
    assert (project.previous is not None) == refreshes
    if refreshes:
        assert project.previous is (previous or [])[0]
    assert project.since == since


def test_a_deleted_project_is_not_planned_and_order_follows_the_listing() -> None:
    items = [listed(), Listed(record(pid=3, path_with_namespace="acme/p3"), OPEN, True)]
    previous = [STORED, record(pid=9)]  # 9 is no longer listed: deleted or out of scope
    plan = plan_projects(
        items, previous, mode="incremental", watermark=WATERMARK, now=NOW, settings=SETTINGS
    )
    assert [p.project_id for p in plan.projects] == [7, 3]
    assert plan.since == SINCE


def test_listing_since_and_since_of() -> None:
    assert listing_since("incremental", True, WATERMARK, SETTINGS) == SINCE
    assert listing_since("incremental", False, WATERMARK, SETTINGS) is None
    assert listing_since("full", True, WATERMARK, SETTINGS) is None
    assert listing_since("shard", True, WATERMARK, SETTINGS) is None
    assert since_of(None, 600) is None
    assert since_of("garbage", 600) is None
    assert since_of(WATERMARK, 0) == WATERMARK


def test_refreshable() -> None:
    fresh = record()
    assert refreshable(STORED, fresh) is STORED
    assert refreshable(None, fresh) is None
    assert refreshable(STORED, record(path_with_namespace="other/p7")) is None
    assert refreshable(record(stale={"reason": "x", "since": ACTIVE}), fresh) is None
    assert refreshable(record(withheld=["pipelines"]), fresh) is None
    assert refreshable(record(), record(withheld=["pipelines"])) is None
    assert refreshable(record(unavailable=["repository"]), fresh) is None
    # Newly unreadable loses nothing stored: the record is still refreshed.
    assert refreshable(STORED, record(unavailable=["repository"])) is STORED
    # Pipelines stored without their jobs (schema 3, or fetch.jobs was off) are read afresh
    # once, as finished ones would never be read again; not when jobs are not wanted.
    jobless = record(pipelines=[{**pipeline(71), "jobs": None}, pipeline(70)])
    assert refreshable(jobless, fresh) is None
    assert refreshable(jobless, fresh, want_jobs=False) is jobless


# -- the GraphQL probe -------------------------------------------------------------------------


def stored(pid: int, **fields: Any) -> Project:
    """A previous record of project `pid`, quiet since the last run."""
    base: dict[str, Any] = {
        "path_with_namespace": f"acme/p{pid}",
        "pipelines": [pipeline(pid * 10 + 1), pipeline(pid * 10)],
        "branches_fetched_at": WATERMARK,
    }
    return record(pid, **{**base, **fields})


def fresh(pid: int, **fields: Any) -> Listed:
    """Project `pid` as this run's listing gives it, in a configured group."""
    return Listed(record(pid, fetched_at="2026-11-28T06:00:00.000Z", **fields), OPEN, True)


def refresh(graphql: bool = True, mode: FetchMode = "incremental") -> FetchPlan:
    """An incremental plan: 1 quiet, 2 new, 3 with unreadable code, 4 empty, 5 active."""
    items = [
        fresh(1),
        fresh(2),
        fresh(3, unavailable=["repository"]),
        fresh(4, empty_repo=True),
        fresh(5, last_activity_at=WATERMARK),
    ]
    previous = [stored(1), stored(3, unavailable=["repository"]), stored(4), stored(5)]
    settings = FetchSettings(graphql=graphql)
    return plan_projects(
        items, previous, mode=mode, watermark=WATERMARK, now=NOW, settings=settings
    )


def ways(plan: FetchPlan) -> dict[int, tuple[str, str]]:
    """Pipelines and branches decisions by project id."""
    return {p.project_id: (p.pipelines, p.branches) for p in plan.projects}


def test_graphql_is_asked_about_projects_that_would_list_changes() -> None:
    plan = refresh()
    assert ways(plan) == {
        1: ("since", "if_pushed"),
        2: ("list", "fetch"),
        3: ("since", "keep"),
        4: ("none", "keep"),
        5: ("since", "fetch"),
    }
    assert plan.probe_ids() == [1, 5]  # not 3: code it may not read goes to REST unasked
    assert refresh(graphql=False).probe_ids() == []
    assert refresh(mode="full").probe_ids() == []


def test_probe_failed_leaves_the_plan_as_it_was() -> None:
    plan = refresh()
    assert after_probe(plan, None) is plan


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        pytest.param(
            {1: Answer(False, 11), 5: Answer(False, 51)},
            {1: ("reuse", "keep"), 5: ("reuse", "fetch")},
            id="unchanged: stored pipelines reused, due branches still read",
        ),
        pytest.param(
            {1: Answer(True, 12), 5: Answer(True, 52)},
            {1: ("since", "if_pushed"), 5: ("since", "fetch")},
            id="changed",
        ),
        pytest.param(
            {1: Answer(False, 12), 5: Answer(False, None)},
            {1: ("since", "if_pushed"), 5: ("since", "fetch")},
            id="newest pipeline not the stored one (deleted, or access lost)",
        ),
        pytest.param(
            {}, {1: ("since", "if_pushed"), 5: ("since", "fetch")}, id="left out by GraphQL"
        ),
        pytest.param(
            {1: Answer(False, 11), 2: Answer(False, None), 3: Answer(False, 31)},
            {1: ("reuse", "keep"), 2: ("list", "fetch"), 3: ("since", "keep")},
            id="answers for projects not asked change nothing",
        ),
    ],
)
def test_after_probe(answers: dict[int, Answer], expected: dict[int, tuple[str, str]]) -> None:
    plan = refresh()
    after = after_probe(plan, answers)
    assert ways(after) == {**ways(plan), **expected}
    assert ways(plan)[1] == ("since", "if_pushed")  # a new plan; the old one is unchanged


# -- a feature found unreadable mid-fetch (a 403) -------------------------------------------------


@pytest.mark.parametrize(
    ("start", "feature", "expected"),
    [
        pytest.param("quiet", "pipelines", ("none", "keep", "group"), id="CI/CD on a refresh"),
        pytest.param("quiet", "repository", ("since", "keep", "group"), id="code on a refresh"),
        pytest.param("first", "repository", ("list", "none", "group"), id="code, first run"),
        pytest.param("first", "pipelines", ("none", "fetch", "group"), id="CI/CD, first run"),
        pytest.param(
            "own", "merge_requests", ("list", "fetch", "none"), id="merge requests, own listing"
        ),
    ],
)
def test_replan_without(start: str, feature: Feature, expected: tuple[str, str, str]) -> None:
    item = listed(covered=start != "own")
    project = plan_one(item, [STORED] if start == "quiet" else None)
    again = replan_without(project, feature)
    assert (again.pipelines, again.branches, again.merge_requests) == expected
    assert feature in again.basis.unavailable and feature not in project.basis.unavailable
    assert (again.previous, again.since) == (project.previous, project.since)


def test_replan_keeps_what_the_probe_said() -> None:
    plan = after_probe(refresh(), {1: Answer(False, 11)})
    project = plan.projects[0]
    assert project.pipelines == "reuse"
    assert replan_without(project, "repository").pipelines == "reuse"
    assert replan_without(project, "pipelines").pipelines == "none"


# -- event mode ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "expected"),
    [
        pytest.param(STORED, ("since", "fetch", "project", True, SINCE), id="known project"),
        pytest.param(None, ("list", "fetch", "project", False, None), id="new project"),
        pytest.param(
            record(path_with_namespace="old/p7"),
            ("list", "fetch", "project", False, None),
            id="renamed",
        ),
        pytest.param(
            record(stale={"reason": "x", "since": ACTIVE}),
            ("list", "fetch", "project", False, None),
            id="stale",
        ),
    ],
)
def test_plan_event(old: Project | None, expected: Expected) -> None:
    project = plan_event(listed(covered=True), old, WATERMARK, SETTINGS)
    pipelines, branches, merge_requests, refreshes, since = expected
    assert (project.pipelines, project.branches, project.merge_requests) == (
        pipelines,
        branches,
        merge_requests,
    )
    assert (project.previous is not None, project.since) == (refreshes, since)


# -- group merge requests follow the same decision ---------------------------------------------


def raw_mr(project_id: int, iid: int, state: str = "opened") -> dict[str, Any]:
    """A group listing item."""
    return {
        "project_id": project_id,
        "iid": iid,
        "id": project_id * 100 + iid,
        "state": state,
        "title": f"mr {iid}",
    }


def test_group_merge_requests_go_to_the_projects_planned_for_them() -> None:
    items = [listed(), Listed(record(8, path_with_namespace="acme/p8"), OPEN, False)]
    plan = plan_projects(items, None, mode="full", watermark=None, now=NOW, settings=SETTINGS)
    records = [item.record for item in items]
    records[1]["merge_requests"] = [mr(5, 8)]  # listed by the project itself
    group_mrs.assign(records, plan, [raw_mr(7, 2), raw_mr(7, 1), raw_mr(8, 9)])
    assert [m["iid"] for m in records[0]["merge_requests"]] == [1, 2]
    assert [m["iid"] for m in records[1]["merge_requests"]] == [5]


def test_group_merge_requests_update_the_stored_ones_incrementally() -> None:
    plan = plan_projects(
        [listed()], [STORED], mode="incremental", watermark=WATERMARK, now=NOW, settings=SETTINGS
    )
    fresh_record = listed().record
    group_mrs.assign([fresh_record], plan, [raw_mr(7, 1, "merged"), raw_mr(7, 4), raw_mr(99, 1)])
    assert [m["iid"] for m in fresh_record["merge_requests"]] == [2, 4]
    assert fresh_record["merge_requests_omitted"] == 3


def test_a_failed_group_listing_keeps_old_merge_requests_only_where_it_would_have_given_them() -> (
    None
):
    items = [listed(), Listed(record(8, path_with_namespace="acme/p8"), OPEN, False)]
    plan = plan_projects(items, None, mode="full", watermark=None, now=NOW, settings=SETTINGS)
    records = [item.record for item in items]
    previous = [STORED, record(8, merge_requests=[mr(6, 8)])]
    group_mrs.keep_previous(records, plan, previous)
    assert [m["iid"] for m in records[0]["merge_requests"]] == [1, 2]
    # Project 8 listed its own merge requests and has none open now: none come back.
    assert records[1]["merge_requests"] == []
