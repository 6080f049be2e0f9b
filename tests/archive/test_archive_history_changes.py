"""history.json updates and snapshot diffs, on small hand-shaped snapshots."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from archive_builds import build_snapshot

from gldash_static.archive import facts, history
from gldash_static.archive.changes import diff
from gldash_static.archive.facts import failing_default
from gldash_static.errors import ArchiveError
from gldash_static.model import Snapshot

T = datetime(2026, 11, 28, 18, 15, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_a_snapshot_improves_yesterday_but_never_invents_a_day() -> None:
    h = history.update(history.History(), build_snapshot(T))
    assert [d.date for d in h.days] == ["2026-11-28"]  # its pipelines of the 27th are ignored
    later = build_snapshot(T + timedelta(hours=12))  # 2026-11-29 06:15
    h2 = history.update(h, later)
    assert [d.date for d in h2.days] == ["2026-11-28", "2026-11-29"]
    assert h2.days[0].total[0] >= h.days[0].total[0]
    assert h2.days[0].total[5] == h.days[0].total[5]  # failing stays the day's own


def test_encode_decode_round_trip_and_determinism() -> None:
    h = history.History()
    for n in range(5):
        h = history.update(h, build_snapshot(T + timedelta(hours=6 * n)))
    data = history.encode(h)
    assert history.decode(data, "h") == h
    assert history.encode(history.decode(data, "h")) == data


def test_project_rows_expire_after_project_days() -> None:
    h = history.History()
    for n in range(6):
        h = history.update(h, build_snapshot(T + timedelta(days=n)), project_days=2)
    assert [bool(d.projects) for d in h.days] == [False, False, False, True, True, True]
    assert all(d.groups for d in h.days)


def test_queue_times_and_failure_kinds_of_the_days_job_attempts() -> None:
    snapshot = build_snapshot(T, projects=12)
    day = history.update(history.History(), snapshot).days[-1]
    attempts = [
        job
        for p in snapshot["sources"][0]["projects"]
        for pl in p["pipelines"]
        if facts.finished_day(pl) == day.date
        for job in pl["jobs"] or []
    ]
    queues = sorted(
        float(j["queued_duration"]) for j in attempts if j["queued_duration"] is not None
    )
    assert day.total.queue_p50 == facts.percentile(queues, 0.5) is not None
    assert day.total.queue_p95 == facts.percentile(queues, 0.95)
    failed = [j for j in attempts if j["status"] == "failed" and not j["allow_failure"]]
    kinds = (
        day.total.fail_code,
        day.total.fail_infrastructure,
        day.total.fail_timeout,
        day.total.fail_other,
    )
    assert sum(k or 0 for k in kinds) == len(failed) > 0
    assert day.total.fail_code == sum(j["failure_reason"] == "script_failure" for j in failed)


def test_a_history_from_before_queue_times_reads_them_as_unknown() -> None:
    old = (
        b'{"format":1,"fields":["pipelines","success","failed","p50","p95","failing"],'
        b'"groups":["acme"],"projects":[],"days":[{"date":"2026-11-27","updated":"x",'
        b'"total":[3,2,1,60.0,90.0,1],"groups":[[0,3,2,1,60.0,90.0,1]],"projects":[]}]}'
    )
    read = history.decode(old, "h")
    assert read.days[0].total[:6] == (3, 2, 1, 60.0, 90.0, 1)
    assert read.days[0].total.queue_p95 is None and read.days[0].groups["acme"].fail_code is None
    # Folding a new snapshot in fills the new day; the old one stays unknown, then all is
    # written with every field.
    later = history.update(read, build_snapshot(T))
    assert later.days[0].total.queue_p50 is None and later.days[-1].total.queue_p50 is not None
    assert history.decode(history.encode(later), "h") == later


def _deployment(
    ident: int, env: str, status: str, created: str, finished: str, **more: object
) -> Any:
    """A deployment on 2026-11-28; times are HH:MM UTC."""
    return {
        "id": ident,
        "iid": ident,
        "environment": env,
        "status": status,
        "ref": "main",
        "short_sha": more.get("sha", "aaa"),
        "commit_title": "Change",
        "committed_at": more.get("committed"),
        "created_at": f"2026-11-28T{created}:00Z",
        "finished_at": f"2026-11-28T{finished}:00Z",
        "username": None,
        "job_name": None,
        "job_id": None,
        "pipeline_id": None,
        "web_url": None,
    }


def test_delivery_figures_of_the_days_deployments() -> None:
    snapshot = build_snapshot(T)
    platform, payments = snapshot["sources"][0]["projects"][:2]  # acme/platform, acme/payments
    platform["environments"] = [
        {"id": 1, "name": "production", "tier": "production", "state": "available"},
        {"id": 2, "name": "staging", "tier": "staging", "state": "available"},
    ]
    platform["deployments"] = [  # newest first, as the snapshot keeps them
        # Restores the failure below: 10:50 - 09:20 = 5400 s; lead 10:50 - 09:50 = 3600 s.
        _deployment(3, "production", "success", "10:00", "10:50", committed="2026-11-28T09:50:00Z"),
        _deployment(2, "production", "failed", "09:00", "09:20", sha="bbb"),
        # Followed by the failure: a failed change; lead 08:10 - 07:10 = 3600 s.
        _deployment(1, "production", "success", "08:00", "08:10", committed="2026-11-28T07:10:00Z"),
        _deployment(4, "staging", "success", "07:00", "07:05"),  # never counted
    ]
    payments["environments"] = []  # fetched, none: a known 0
    day = history.update(history.History(), snapshot).days[-1]
    # deploys 2, lead p50 3600 of 2, 1 failed change, 1 restore of 5400 s.
    expected = (2, 3600.0, 2, 1, 1, 5400.0)
    assert day.total[12:] == expected
    assert day.groups["acme"][12:] == day.groups["acme/platform"][12:] == expected
    assert day.projects["acme/platform/service-00000"][12:] == expected
    assert day.groups["acme/payments"][12:] == (0, None, 0, 0, 0, None)
    assert day.groups["acme/web"].deploys is None  # nothing there was fetched: unknown
    assert history.decode(history.encode(history.History([day])), "h").days == [day]
    # A later snapshot of the day that lost the deployments off its cap keeps the better view.
    later = copy.deepcopy(snapshot)
    later["generated_at"] = _iso(T + timedelta(hours=2))
    later["sources"][0]["projects"][0]["deployments"] = []
    again = history.update(history.History([day]), later).days[-1]
    assert again.total[12:] == expected


def test_a_groups_lead_time_is_the_median_of_all_its_projects_samples() -> None:
    snapshot = build_snapshot(T)
    projects = snapshot["sources"][0]["projects"]  # 0 and 3 are in acme/platform

    def deployed(ident: int, minutes: int) -> Any:  # finished 12:00, committed `minutes` before
        committed = datetime(2026, 11, 28, 12, tzinfo=UTC) - timedelta(minutes=minutes)
        return _deployment(ident, "prod", "success", "11:50", "12:00", committed=_iso(committed))

    projects[0]["deployments"] = [deployed(1, 60), deployed(2, 120)]  # 3600, 7200 s
    projects[3]["deployments"] = [deployed(3, 1), deployed(4, 2), deployed(5, 150)]  # 60, 120, 9000
    day = history.update(history.History(), snapshot).days[-1]
    assert day.projects["acme/platform/service-00000"].lead_p50 == 3600.0  # 1st of 2
    assert day.projects["acme/platform/service-00003"].lead_p50 == 120.0  # 2nd of 3
    # Pooled [60, 120, 3600, 7200, 9000]: the 3rd of 5; a median of medians would say 120.
    group = day.groups["acme/platform"]
    assert (group.deploys, group.lead_p50, group.lead_n) == (5, 3600.0, 5)
    assert day.total.lead_p50 == 3600.0 and day.groups["acme/web"].deploys is None


def test_a_history_from_before_delivery_figures_reads_them_as_unknown() -> None:
    row = "[3,2,1,60.0,90.0,1,5.0,9.0,1,0,0,0]"
    old = (
        '{"format":1,"fields":' + json.dumps(history.FIELDS[:12]).replace(" ", "") + ","
        '"groups":["acme"],"projects":[],"days":[{"date":"2026-11-27","updated":"x",'
        f'"total":{row},"groups":[[0,{row[1:]}],"projects":[]}}]}}'
    ).encode()
    read = history.decode(old, "h")
    assert read.days[0].total[:12] == (3, 2, 1, 60.0, 90.0, 1, 5.0, 9.0, 1, 0, 0, 0)
    assert read.days[0].total[12:] == (None,) * 6 == read.days[0].groups["acme"][12:]
    assert history.decode(history.encode(read), "h") == read


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"format":1,"fields":["pipelines","oops"],"groups":[],"projects":[],"days":[]}',
        b"{",
        b'{"format": 2}',
        b'{"format":1,"groups":[],"projects":[],"days":[{"date":"d","total":[0,0,0,null,null,0],"groups":[[3,1,1,0,1,1,0]],"projects":[]}]}',
    ],
)
def test_corrupt_history_is_refused(body: bytes) -> None:
    with pytest.raises(ArchiveError, match="h:"):
        history.decode(body, "h")


def _later(snapshot: Snapshot, hours: int = 6) -> Snapshot:
    out = copy.deepcopy(snapshot)
    out["generated_at"] = _iso(T + timedelta(hours=hours))
    return out


def test_diff_finds_failing_fixed_stale_and_closed() -> None:
    before = build_snapshot(T)
    after = _later(before, hours=24 * 40)
    projects = after["sources"][0]["projects"]
    target = next(p for p in projects if p["pipelines"] and not failing_default(p))
    newest = copy.deepcopy(target["pipelines"][0])
    newest.update(id=999_999, ref=target["default_branch"], status="failed")
    target["pipelines"].insert(0, newest)
    with_mr = next(p for p in projects if p["merge_requests"])
    with_mr["merge_requests"] = []
    for branch in with_mr["branches"]:
        if branch["name"] == "feature/old-thing":
            branch["merged"] = True
    old_branch = copy.deepcopy(target["branches"][0])
    old_branch.update(name="spike", default=False, committed_date=_iso(T - timedelta(days=100)))
    target["branches"].append(old_branch)
    changes = diff(before, after)
    assert [c.path for c in changes.newly_failing] == [target["path_with_namespace"]]
    assert [(m.project, m.outcome) for m in changes.closed_merge_requests] == [
        (with_mr["path_with_namespace"], "merged")
    ]
    assert ("spike", target["path_with_namespace"]) in {
        (b.branch, b.project) for b in changes.new_stale_branches
    }
    back = diff(after, _later(before, hours=24 * 41))
    assert [c.path for c in back.fixed] == [target["path_with_namespace"]]
    assert diff(None, before).previous is None and diff(before, before).empty


def test_merge_requests_the_token_may_no_longer_read_are_not_closed() -> None:
    before = build_snapshot(T)
    after = _later(before)
    with_mr = next(p for p in after["sources"][0]["projects"] if p["merge_requests"])
    with_mr["merge_requests"], with_mr["unavailable"] = [], ["merge_requests"]
    assert diff(before, after).closed_merge_requests == []


def test_diff_reports_new_and_removed_projects() -> None:
    before = build_snapshot(T)
    after = _later(before)
    gone = after["sources"][0]["projects"].pop()
    assert diff(before, after).removed_projects == [gone["path_with_namespace"]]
    assert diff(after, _later(before, 12)).new_projects == [gone["path_with_namespace"]]


def test_rows_leave_out_trailing_unknowns_and_read_back_whole() -> None:
    known = history.Figures(3, 2, 1, 60.0, 90.0, 0, None, None, 0, 0, 0, 0, 2, None, 0, 0, 0, None)
    bare = history.Figures(1, 1, 0, 5.0, 5.0, 0)  # nothing known after the first six
    day = history.Day("2026-11-28", "2026-11-28T12:00:00Z", known, {"g": bare}, {})
    data = history.encode(history.History([day]))
    raw = json.loads(data)
    assert len(raw["days"][0]["total"]) == 17 and raw["days"][0]["groups"] == [
        [0, 1, 1, 0, 5.0, 5.0, 0]
    ]
    back = history.decode(data, "t").days[0]
    assert back.total == known and back.groups["g"] == bare
    raw["days"][0]["total"] = raw["days"][0]["total"][:5]
    short = json.dumps(raw).encode()
    with pytest.raises(ArchiveError, match="bad row"):
        history.decode(short, "t")  # one of the first six columns missing
