"""Broken since when (fetch/streak.py) and which tests fail (fetch/junit.py): pure decisions,
and the REST lookups against the simulator."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import pytest
from fetch_helpers import TINY, make_config, run_fetch

from gldash_static.fetch import junit, streak
from gldash_static.model import Pipeline, Project, RedStreak
from gldash_static.simulator import OrgSpec, Reply, Simulator

KEEP = 4


def pl(pid: int, status: str, ref: str = "main") -> Pipeline:
    """A stored pipeline with what the decisions read."""
    return cast(
        Pipeline,
        {
            "id": pid,
            "ref": ref,
            "status": status,
            "short_sha": f"{pid:08x}",
            "created_at": f"2026-11-{pid % 28 + 1:02d}T00:00:00Z",
            "web_url": f"https://gitlab.example/p/-/pipelines/{pid}",
            "test_report": None,
        },
    )


def project(*pipelines: Pipeline) -> Project:
    """A project whose pipelines are listed newest first."""
    return cast(Project, {"id": 7, "default_branch": "main", "pipelines": list(pipelines)})


def previous(first: int, newest: int, count: int, **extra: Any) -> RedStreak:
    """A stored streak record."""
    return cast(
        RedStreak,
        {
            **streak._record(pl(first, "failed"), count, newest, exact=True),
            "commit_title": "Break it",
            "author_name": "Ada",
            **extra,
        },
    )


def test_a_green_branch_has_no_streak() -> None:
    assert streak.decide(project(pl(9, "success"), pl(8, "failed")), None, KEEP).record is None
    # Canceled and skipped say nothing: the last deciding one passed.
    assert streak.decide(project(pl(9, "canceled"), pl(8, "success")), None, KEEP).record is None


def test_a_streak_within_the_kept_pipelines_is_exact() -> None:
    found = streak.decide(
        project(pl(9, "failed"), pl(8, "canceled"), pl(7, "failed"), pl(6, "success")), None, KEEP
    )
    assert found.record is not None and not found.find_start and found.read_commit
    assert (found.record["pipeline_id"], found.record["failed_pipelines"]) == (7, 2)
    assert found.record["exact"] and found.record["newest_id"] == 9


def test_fewer_pipelines_than_kept_means_the_first_ever_is_kept() -> None:
    found = streak.decide(project(pl(9, "failed"), pl(8, "failed")), None, KEEP)
    assert found.record is not None and found.record["pipeline_id"] == 8 and not found.find_start


def test_other_refs_do_not_end_a_streak() -> None:
    found = streak.decide(
        project(pl(9, "failed"), pl(8, "success", ref="dev"), pl(7, "failed"), pl(6, "success")),
        None,
        KEEP,
    )
    assert found.record is not None and found.record["pipeline_id"] == 7


def test_all_kept_pipelines_red_asks_where_it_began() -> None:
    red = project(*(pl(n, "failed") for n in range(12, 8, -1)))
    found = streak.decide(red, None, KEEP)
    assert found.find_start and found.record is not None and not found.record["exact"]


def test_a_streak_that_goes_on_is_carried_without_asking() -> None:
    red = project(*(pl(n, "failed") for n in range(12, 8, -1)))
    found = streak.decide(red, previous(3, 10, 8), KEEP)
    assert not found.find_start and not found.read_commit
    assert found.record is not None
    assert (found.record["pipeline_id"], found.record["failed_pipelines"]) == (3, 10)
    assert found.record["commit_title"] == "Break it" and found.record["newest_id"] == 12


def test_a_gap_since_the_last_record_asks_again() -> None:
    # The previous run counted up to 5; the kept window starts at 9: a success may hide there.
    red = project(*(pl(n, "failed") for n in range(12, 8, -1)))
    assert streak.decide(red, previous(3, 5, 3), KEEP).find_start


def test_a_new_streak_reads_its_commit_and_the_same_one_does_not() -> None:
    pipelines = (pl(9, "failed"), pl(8, "success"))
    assert streak.decide(project(*pipelines), previous(4, 6, 2), KEEP).read_commit
    same = streak.decide(project(*pipelines), previous(9, 9, 1), KEEP)
    assert not same.read_commit and same.record and same.record["commit_title"] == "Break it"


def test_a_report_keeps_failed_then_errored_cases_capped_with_bounded_text() -> None:
    summary = {"total": {"count": 10, "failed": 3, "error": 1, "skipped": 2, "success": 4}}
    full = {
        "test_suites": [
            {
                "name": "unit",
                "test_cases": [
                    {"status": "error", "name": "e", "classname": "c", "stack_trace": "boom"},
                    {
                        "status": "failed",
                        "name": "n" * 5000,
                        "classname": "c",
                        "system_output": "\n\n  first\nsecond",
                    },
                    {"status": "success", "name": "ok", "classname": "c"},
                    {"status": "failed", "name": "b", "classname": "c", "system_output": None},
                    {"status": "failed", "name": "c", "classname": 5},
                    "junk",
                ],
            },
            "junk",
        ]
    }
    got = junit.report(summary, full, cap=3)
    assert (got["total"], got["failed"], got["errored"], got["skipped"]) == (10, 3, 1, 2)
    assert [c["status"] for c in got["cases"]] == ["failed"] * 3
    assert got["cases_omitted"] == 1  # the errored one, after the failed ones
    first = got["cases"][0]
    assert len(first["name"]) == junit.NAME_CHARS and first["message"] == "first"
    assert got["cases"][2]["classname"] == ""
    assert junit.report({"total": "x"}, None, 5) == junit.empty()


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with Simulator(OrgSpec(projects=60, seed=2)) as sim:
        yield sim, tmp_path_factory.mktemp("answers")


def _fetch(sim: Simulator, tmp: Path, extra: str = "") -> Any:
    os.environ["GITLAB_TOKEN"] = sim.token
    return run_fetch(make_config(sim, tmp, "fetch:\n  pipelines_per_project: 5\n" + extra))


def test_streaks_and_reports_match_the_simulators_history(org: Any) -> None:
    sim, tmp = org
    snapshot = _fetch(sim, tmp).snapshot
    red = [p for p in snapshot["sources"][0]["projects"] if p["red_streak"]]
    assert red
    for p in red:
        record = p["red_streak"]
        history = [x for x in sim.state.pipelines(p["id"]) if x.ref == p["default_branch"]]
        deciding = [x for x in history if x.status in ("success", "failed")]
        greens = [x for x in deciding if x.status == "success"]
        after = [x for x in deciding if not greens or x.id > greens[-1].id]
        assert record["pipeline_id"] == after[0].id, p["path_with_namespace"]
        assert record["failed_pipelines"] == len(after) and record["exact"]
        assert record["short_sha"] == after[0].sha[:8]
        assert record["commit_title"] == after[0].commit_title
        head = next(pl for pl in p["pipelines"] if pl["id"] == after[-1].id)
        assert head["test_report"] is not None
    # Some began before the kept pipelines: found by asking for the last success.
    assert any(
        p["red_streak"]["pipeline_id"] not in {pl["id"] for pl in p["pipelines"]} for p in red
    )
    # Only the failing head keeps a report.
    reports = [
        pl for p in snapshot["sources"][0]["projects"] for pl in p["pipelines"] if pl["test_report"]
    ]
    assert len(reports) == len(red)
    assert any(r["test_report"]["cases"] for r in reports)


def test_a_refresh_asks_nothing_more_for_streaks_and_reports(org: Any) -> None:
    sim, tmp = org
    first = _fetch(sim, tmp).snapshot
    asked: list[str] = []
    sim.on_request(lambda template, path, query: asked.append(template) and None)
    os.environ["GITLAB_TOKEN"] = sim.token
    # A margin of a day re-lists every pipeline that finished since: unchanged ones keep
    # what was read of them once (their test report), and nothing is asked again.
    extra = "fetch:\n  pipelines_per_project: 5\n  incremental_margin_s: 86400\n"
    again = run_fetch(make_config(sim, tmp, extra), previous=first)
    sim.on_request(None)
    assert not [t for t in asked if "test_report" in t or "commits" in t]
    streaks = lambda s: [p["red_streak"] for p in s["sources"][0]["projects"]]  # noqa: E731
    assert streaks(again.snapshot) == streaks(first)


def test_lookups_that_fail_keep_the_project_and_what_the_pipelines_show(org: Any) -> None:
    sim, tmp = org

    def refuse(template: str, path: str, query: Any) -> Reply | None:
        if "test_report" in template or "commits" in template:
            return Reply({"message": "boom"}, status=500)
        if template == "GET /projects/:id/pipelines" and any(k == "status" for k, _ in query):
            return Reply({"message": "boom"}, status=500)
        return None

    sim.on_request(refuse)
    try:
        outcome = _fetch(sim, tmp, "  max_retries: 0\n")
    finally:
        sim.on_request(None)
    assert outcome.complete and outcome.snapshot["fetch"]["errors"] == []
    projects = outcome.snapshot["sources"][0]["projects"]
    red = [p["red_streak"] for p in projects if p["red_streak"]]
    assert red and all(r["commit_title"] is None for r in red)
    assert not any(pl["test_report"] for p in projects for pl in p["pipelines"])


def test_tiny_org_off_switches_ask_nothing(tmp_path: Path) -> None:
    with Simulator(TINY) as sim:
        extra = "  red_streaks: false\n  test_reports: false\n"
        calls = _fetch(sim, tmp_path, extra).snapshot["fetch"]["api_calls"]
    assert not [t for t in calls if "test_report" in t or "commits" in t]


def test_flaky_jobs_queues_and_reasons_match_the_simulators_jobs(org: Any) -> None:
    from gldash_static.render import views
    from gldash_static.rules.stats import percentile

    sim, tmp = org
    snapshot = _fetch(sim, tmp).snapshot
    site = views.build(snapshot)
    by_id = {p.id: p for p in site.projects}
    checked = 0
    for raw in snapshot["sources"][0]["projects"]:
        view = by_id[raw["id"]]
        kept = [sim.state.pipeline(raw["id"], pl["id"]) for pl in raw["pipelines"]]
        finished = [
            p
            for p in kept
            if p is not None and p.status in ("success", "failed", "canceled", "skipped")
        ]
        attempts = {p.id: sim.state.all_jobs(raw["id"], p.id) for p in finished}
        # Passed on retry, as the simulator made it: a retried failure, then a success.
        truth: dict[str, int] = {}
        for jobs in attempts.values():
            failed_before = {
                j.name for j in jobs if j.retried and j.status == "failed" and not j.allow_failure
            }
            for j in jobs:
                if not j.retried and j.status == "success" and j.name in failed_before:
                    truth[j.name] = truth.get(j.name, 0) + 1
        retried = {f.name: sum(e.other_id is None for e in f.evidence) for f in view.answers.flaky}
        assert {k: v for k, v in retried.items() if v} == truth, raw["path_with_namespace"]
        checked += bool(truth)
        for stat in view.answers.jobs:
            waits = sorted(
                round(j.queued_duration, 1)
                for jobs in attempts.values()
                for j in jobs
                if j.name == stat.name and j.queued_duration is not None
            )
            assert stat.queue_p95 == percentile(waits, 0.95), (
                raw["path_with_namespace"],
                stat.name,
            )
    assert checked > 0  # the organisation has jobs that passed on retry
    assert site.answers is not None and site.answers.reasons
