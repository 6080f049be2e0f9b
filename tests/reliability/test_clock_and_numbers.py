"""No single answer from GitLab can rewrite history: odd Date headers, future-dated snapshots
and non-finite numbers are outvoted, kept out of retention's decisions, or dropped."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from reliability_helpers import (
    TOKEN,
    assert_one_clear_error,
    grant_token,
    make_workspace,
    read_snapshot,
)

from gldash_static import snapshot as snapshot_io
from gldash_static.archive import Archive, retention
from gldash_static.config.settings import ArchiveSettings, RetentionSettings
from gldash_static.gitlab.server_clock import ServerClock, reading
from gldash_static.simulator import Faults, OrgSpec, Reply, Simulator
from gldash_static.timeutil import parse_time

FUTURE_DATE = "Fri, 01 Jan 2100 00:00:00 GMT"
# Daily builds; retention anchored on a build dated 2100 would keep one of them per month.
DAYS = 4


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    # Started DAYS + 1 days ago, so that every build below is dated before the wall clock.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=DAYS + 1)
    spec = OrgSpec(projects=12, seed=12, pipelines_per_project=4, now=start)
    with Simulator(spec) as server:
        grant_token(server)
        monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
        yield server


# -- the server's clock, decided by the run's answers ----------------------------------------


@pytest.mark.parametrize(
    ("offsets", "first", "last", "outvoted"),
    [
        ([], None, None, 0),
        ([0.0], 0.0, 0.0, 0),  # one answer: nothing to vote with
        ([0.0, 1.0, 2.0, 3.0], 0.0, 3.0, 0),
        # The first answer claims the year 2100: the others outvote it.
        ([4e9, 1.0, 2.0, 3.0], 1.0, 3.0, 1),
        # One answer in the middle does too.
        ([0.0, 1.0, 4e9, 3.0, 4.0], 0.0, 4.0, 1),
        # A server clock that is wrong but consistent is still the server's clock.
        ([4e9, 4e9 + 1, 4e9 + 2], 4e9, 4e9 + 2, 0),
        # Two answers cannot vote: the earlier clock is believed (ahead would skip changes).
        ([4e9, 1.0], 1.0, 1.0, 1),
        # An even split (two nodes, two clocks) does not crash and keeps the earlier clock.
        ([0.0, 4e9, 2.0, 4e9], 0.0, 2.0, 2),
    ],
)
def test_clock_reading_outvotes_odd_answers(
    offsets: list[float], first: float | None, last: float | None, outvoted: int
) -> None:
    # Answers arrive one second apart by the local clock; the server's equals it plus 0
    # except where an offset says otherwise.
    samples = [(float(i) + (o - i if o > 1e6 else 0.0), float(i)) for i, o in enumerate(offsets)]
    result = reading(samples)
    assert (result.first, result.last, result.outvoted) == (first, last, outvoted)


def test_previous_snapshot_anchors_answers_that_cannot_vote() -> None:
    # The previous snapshot saw the server 1e6 s ahead of the runner (a simulated clock).
    ahead = 1e6
    samples = [(0.0 + ahead, 0.0), (4e9, 1.0)]
    assert (reading(samples, anchor=ahead).first, reading(samples, anchor=ahead).last) == (
        ahead,
        ahead,
    )
    # Nothing near the anchor: nothing is trusted, the caller falls back to its own clock.
    assert reading([(4e9, 0.0)], anchor=0.0).first is None


def test_server_clock_keeps_first_and_latest_answers() -> None:
    clock = ServerClock()
    for second in range(5_000):
        clock.saw(1_000.0 + second, float(second))
    result = clock.reading()
    assert (result.first, result.last) == (1_000.0, 5_999.0)


# -- end to end: one Date header from 2100 ----------------------------------------------------


@pytest.fixture
def build(run_cli: Any, caplog: pytest.LogCaptureFixture) -> Callable[..., str]:
    """`gldash build` in-process; returns what it printed and logged."""

    def run(config: Path, *extra: str) -> str:
        caplog.clear()
        result = run_cli("build", "-c", str(config), "--allow-empty-history", *extra)
        assert result.code == 0, result.err
        return result.err + result.out + caplog.text

    return run


def test_one_answer_dated_2100_changes_neither_archive_nor_watermark(
    sim: Simulator, tmp_path: Path, build: Callable[..., str]
) -> None:
    ws = make_workspace(sim, tmp_path / "ws")
    for day in range(DAYS):
        if day:
            sim.clock.advance(days=1)
        build(ws.config_path)
    rows_before = Archive(ws.config().archive).rows()
    assert len(rows_before) == DAYS
    sim.clock.advance(hours=6)
    now = sim.clock.now
    # GET /version is the run's first answer: the one that used to set the watermark.
    sim.set_faults(Faults(routes={"GET /version": Faults(date=FUTURE_DATE)}))
    output = build(ws.config_path)
    sim.set_faults(Faults())
    snapshot = read_snapshot(ws.snapshot)
    generated = parse_time(snapshot["generated_at"])
    watermark = parse_time(snapshot["sources"][0]["watermark"])
    assert generated is not None and watermark is not None
    assert abs((generated - now).total_seconds()) < 120
    assert abs((watermark - now).total_seconds()) < 120
    rows_after = Archive(ws.config().archive).rows()
    assert [r["time"] for r in rows_before] == [r["time"] for r in rows_after][:-1]
    assert "Date header far from the others" in output
    # And the next refresh still sees a pipeline that appears after it.
    sim.clock.advance(hours=12)
    build(ws.config_path)
    after = read_snapshot(ws.snapshot)
    newest = max(pl["created_at"] for p in after["sources"][0]["projects"] for pl in p["pipelines"])
    newest_time = parse_time(newest)
    assert newest_time is not None and newest_time > now


def _event_payload(path: Path, project_id: int) -> Path:
    path.write_text(
        json.dumps({"object_kind": "pipeline", "project": {"id": project_id}}), encoding="utf-8"
    )
    return path


def test_an_event_build_with_two_answers_is_not_dated_by_one(
    sim: Simulator, tmp_path: Path, build: Callable[..., str]
) -> None:
    ws = make_workspace(sim, tmp_path / "ws")
    build(ws.config_path)
    sim.clock.advance(hours=3)
    now = sim.clock.now
    # An event about a project that no longer exists: /version and one 404 are the run.
    sim.set_faults(Faults(routes={"GET /version": Faults(date=FUTURE_DATE)}))
    build(ws.config_path, "--event", str(_event_payload(tmp_path / "e.json", 999_999)))
    sim.set_faults(Faults())
    generated = parse_time(read_snapshot(ws.snapshot)["generated_at"])
    assert generated is not None and abs((generated - now).total_seconds()) < 120
    assert not any(r["time"].startswith("2100") for r in Archive(ws.config().archive).rows())


def test_a_snapshot_dated_after_the_machines_clock_is_published_but_not_archived(
    sim: Simulator, tmp_path: Path, build: Callable[..., str]
) -> None:
    ws = make_workspace(sim, tmp_path / "ws")
    build(ws.config_path)
    rows = Archive(ws.config().archive).rows()
    sim.clock.advance(hours=3)
    # Every answer agrees on 2100: the server's clock is wrong, and believed for the data,
    # but the archive does not take the snapshot as its newest for the next 74 years.
    sim.set_faults(Faults(date=FUTURE_DATE))
    output = build(ws.config_path)
    sim.set_faults(Faults())
    assert read_snapshot(ws.snapshot)["generated_at"].startswith("2100-01-01")
    assert "published but not archived" in output
    assert Archive(ws.config().archive).rows() == rows
    assert (ws.site / "index.html").is_file()


# -- retention never deletes on the word of a future-dated snapshot --------------------------


def _times(n: int) -> list[datetime]:
    start = datetime(2026, 1, 1, 3, tzinfo=UTC)
    return [start + timedelta(days=d) for d in range(n)]


def test_retention_ignores_snapshots_dated_after_the_machines_clock() -> None:
    rules = RetentionSettings(all_days=7, daily_days=30, weekly_days=90, monthly=True)
    times = _times(60)
    machine_now = times[-1] + timedelta(hours=1)
    limit = machine_now + retention.FUTURE_TOLERANCE
    future = datetime(2100, 1, 1, tzinfo=UTC)
    assert retention.keep([*times, future], rules, limit) == retention.keep(times, rules) | {future}
    # Without the limit, the year-2100 snapshot would have decided that all are a century old.
    assert len(retention.keep([*times, future], rules)) < len(retention.keep(times, rules))


def _snapshot_at(moment: datetime) -> dict[str, object]:
    from factories import make_snapshot

    return dict(make_snapshot(projects=2, seed=1, now=moment))


def test_archive_keeps_everything_when_a_future_snapshot_arrives(tmp_path: Path) -> None:
    settings = ArchiveSettings(
        dir=tmp_path / "archive",
        carry_forward="none",
        retention=RetentionSettings(all_days=3, daily_days=5, weekly_days=0, monthly=False),
    )
    times = _times(8)
    machine_now = times[-1] + timedelta(hours=1)
    archive = Archive(settings, clock=lambda: machine_now)
    for moment in times:
        archive.add(_snapshot_at(moment))  # type: ignore[arg-type]
    before = [r["time"] for r in archive.rows()]
    archive.add(_snapshot_at(datetime(2100, 1, 1, tzinfo=UTC)))  # type: ignore[arg-type]
    after = [r["time"] for r in archive.rows()]
    assert after[:-1] == before and after[-1].startswith("2100-01-01")


def test_archive_add_of_a_future_snapshot_needs_force(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yml").write_text(
        "sources:\n  - url: https://gitlab.example.com\n    groups: [acme]\n"
        "archive:\n  dir: archive\n  carry_forward: none\n",
        encoding="utf-8",
    )
    path = tmp_path / "future.json"
    snapshot_io.write(_snapshot_at(datetime(2100, 1, 1, tzinfo=UTC)), path)  # type: ignore[arg-type]
    refused = run_cli("archive", "add", str(path), "-c", "config.yml")
    assert refused.code == 2
    assert_one_clear_error(refused.err, "2100-01-01", "--force")
    assert not (tmp_path / "archive" / "index.json").exists()
    forced = run_cli("archive", "add", str(path), "-c", "config.yml", "--force")
    assert forced.code == 0, forced.err


# -- non-finite and absurd numbers -----------------------------------------------------------


def _infinite_over_rest(sim: Simulator, project: Any, pipeline: Any) -> None:
    """GET .../pipelines/:id answers `"duration": 1e999, "queued_duration": NaN`."""
    path = f"/api/v4/projects/{project.id}/pipelines/{pipeline.id}"
    body = requests.get(sim.url + path, headers={"PRIVATE-TOKEN": sim.token}, timeout=10).text
    hostile = re.sub(r'"duration": ?[^,}]+', '"duration": 1e999', body, count=1)
    hostile = re.sub(r'"queued_duration": ?[^,}]+', '"queued_duration": NaN', hostile, count=1)
    assert "1e999" in hostile

    def answer(_template: str, request_path: str, _query: object) -> Reply | None:
        return Reply(hostile.encode()) if request_path == path else None

    sim.on_request(answer)


def _infinite_over_graphql(sim: Simulator, project: Any, pipeline: Any) -> None:
    """GraphQL's pipeline node says `"duration": Infinity, "queuedDuration": NaN`."""
    wanted = f"gid://gitlab/Ci::Pipeline/{pipeline.id}"

    def rewrite(body: dict[str, Any]) -> dict[str, Any]:
        for node in (body.get("data") or {}).get("projects", {}).get("nodes") or []:
            for item in (node.get("pipelines") or {}).get("nodes") or []:
                if item["id"] == wanted:
                    item["duration"], item["queuedDuration"] = math.inf, math.nan
        return body

    sim.graphql_limits.rewrite = rewrite


@pytest.mark.parametrize(
    ("graphql", "poison"),
    [(False, _infinite_over_rest), (True, _infinite_over_graphql)],
    ids=["rest", "graphql"],
)
def test_infinite_duration_from_gitlab_is_dropped_with_a_warning(
    sim: Simulator,
    tmp_path: Path,
    build: Callable[..., str],
    graphql: bool,
    poison: Callable[[Simulator, Any, Any], None],
) -> None:
    with sim.state.changing():
        project = next(
            p
            for p in sorted(sim.state.projects.values(), key=lambda p: p.id)
            if p.visibility != "private" and not p.archived and not p.empty_repo
            and p.namespace_kind == "group" and sim.state.pipelines(p.id)
        )  # fmt: skip
        pipeline = sim.state.pipelines(project.id)[-1]
    poison(sim, project, pipeline)
    fetch = f"  pipelines_per_project: 20\n  graphql: {str(graphql).lower()}"
    ws = make_workspace(sim, tmp_path / "ws", fetch=fetch)
    try:
        output = build(ws.config_path)
    finally:
        sim.on_request(None)
        sim.graphql_limits.rewrite = None
    assert "implausible pipeline duration" in output
    records = {p["id"]: p for p in read_snapshot(ws.snapshot)["sources"][0]["projects"]}
    stored = next(pl for pl in records[project.id]["pipelines"] if pl["id"] == pipeline.id)
    assert stored["duration"] is None and stored["queued_duration"] is None
    assert "Infinity" not in ws.snapshot.read_text(encoding="utf-8")
    sim.clock.advance(hours=2)
    build(ws.config_path)  # and every later build works


def test_stored_non_finite_numbers_still_render(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from factories import make_snapshot

    text = json.dumps(make_snapshot(projects=3, seed=2), indent=1)
    text = re.sub(r'"duration": [0-9.]+', '"duration": 1e999', text, count=2)
    text = re.sub(r'"queued_duration": [0-9.]+', '"queued_duration": NaN', text, count=2)
    text = re.sub(r'"coverage": [0-9.]+', '"coverage": -Infinity', text, count=1)
    assert "1e999" in text and "NaN" in text
    path = tmp_path / "snapshot.json"
    path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_cli("render", "--snapshot", str(path), "--out", "site")
    assert result.code == 0, result.err
    assert (tmp_path / "site" / "index.html").is_file()
    loaded = snapshot_io.read(path)
    durations = [pl["duration"] for p in loaded["sources"][0]["projects"] for pl in p["pipelines"]]
    assert None in durations and all(d is None or d < 1e9 for d in durations)
