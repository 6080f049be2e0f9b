"""The Pages job's script, exactly as written in `.gitlab-ci.yml`, against the simulator."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from ci_jobs import (
    JobRun,
    artifacts_zip,
    ci_env,
    comparable,
    dashboard_project,
    read_json,
    run_job,
    site_files,
    workspace,
)

from gldash_static import thinning
from gldash_static.simulator import Faults, OrgSpec, Simulator

WEBHOOK = Path(__file__).with_name("webhook_pipeline_event.json")
SHARD_JOBS = 8  # fetch-shard's `parallel:`


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A small organisation; the dashboard project is one of its projects."""
    # 7 published projects, 5 of them with pipelines that move in the next 6 hours.
    with Simulator(OrgSpec(projects=20, seed=7)) as server:
        yield server


def _ok(run: JobRun) -> None:
    assert run.code == 0, f"exit {run.code}\nstdout:\n{run.out}\nstderr:\n{run.err}"


def _publishable(root: Path) -> None:
    public = root / "public"
    for name in ("index.html", "404.html", "snapshot.json.gz", "archive/index.json"):
        assert (public / name).is_file(), name
    rows = json.loads((public / "archive" / "index.json").read_text())["snapshots"]
    # Every older snapshot is there as a delta; the newest is the site's snapshot.json.gz.
    assert rows and not (public / "archive" / rows[-1]["path"]).exists()
    assert all((public / "archive" / r["path"]).is_file() for r in rows[:-1])


def _first_deployment(sim: Simulator, tmp_path: Path, name: str = "first") -> tuple[Path, int]:
    pid = dashboard_project(sim)
    root = workspace(tmp_path, name, sim)
    _ok(run_job("pages", root, ci_env(sim, pid, root, GLDASH_ALLOW_EMPTY_HISTORY="1")))
    _publishable(root)
    return root, pid


def test_scheduled_pages_job_publishes_and_carries_the_archive_forward(
    sim: Simulator, tmp_path: Path
) -> None:
    first, pid = _first_deployment(sim, tmp_path)
    assert len(read_json(first / "public" / "archive" / "index.json")["snapshots"]) == 1

    # Without the flag and without a previous Pages job, the job refuses to start a new history.
    refused_root = workspace(tmp_path, "refused", sim)
    refused = run_job("pages", refused_root, ci_env(sim, pid, refused_root))
    assert refused.code == 1 and "--allow-empty-history" in refused.err
    assert not (refused_root / "public").exists()

    # The runner uploaded public/ as the Pages job's artifacts; the next scheduled run starts
    # from a fresh checkout and brings the archive back from them.
    sim.put_artifact(pid, "main", "pages", artifacts_zip(first))
    sim.clock.advance(hours=1)
    second = workspace(tmp_path, "second", sim)
    run = run_job("pages", second, ci_env(sim, pid, second))
    _ok(run)
    _publishable(second)
    assert len(read_json(second / "public" / "archive" / "index.json")["snapshots"]) == 2
    assert "Refresh now" in (second / "public" / "index.html").read_text(encoding="utf-8")
    # The site publishes its snapshot without job attempts; the artifacts carried the whole
    # one (archive/carry.json.gz), so the refresh kept those of the pipelines it did not
    # fetch again instead of losing them.
    published = json.loads(gzip.decompress((first / "public" / "snapshot.json.gz").read_bytes()))
    assert not thinning.has_job_attempts(published)
    assert (first / "archive" / "carry.json.gz").is_file()
    before, after = (_jobs_by_pipeline(read_json(r / "snapshot.json")) for r in (first, second))
    kept = [pid for pid, jobs in before.items() if jobs and after.get(pid) == jobs]
    assert len(kept) > len(before) // 2, "the refresh lost the job attempts it carried"

    # A .gitlab-ci.yml of an earlier version lists public/ only: the build still publishes,
    # fetching afresh what the published snapshot lacks, and says how to mend the CI file.
    (first / "archive" / "carry.json.gz").rename(tmp_path / "aside.json.gz")
    sim.put_artifact(pid, "main", "pages", artifacts_zip(first))
    old_ci = workspace(tmp_path, "old-ci", sim)
    run = run_job("pages", old_ci, ci_env(sim, pid, old_ci))
    _ok(run)
    _publishable(old_ci)
    assert "no usable archive/carry.json.gz" in run.err
    assert len(read_json(old_ci / "public" / "archive" / "index.json")["snapshots"]) == 2
    refetched = _jobs_by_pipeline(read_json(old_ci / "snapshot.json"))
    assert refetched and all(jobs is not None for jobs in refetched.values())


def _jobs_by_pipeline(snapshot: dict[str, Any]) -> dict[int, Any]:
    return {
        pipeline["id"]: pipeline["jobs"]
        for source in snapshot["sources"]
        for project in source["projects"]
        for pipeline in project["pipelines"]
    }


def test_partial_refresh_is_published_marked_stale_and_a_failed_build_is_not(
    sim: Simulator, tmp_path: Path
) -> None:
    first, pid = _first_deployment(sim, tmp_path)
    sim.put_artifact(pid, "main", "pages", artifacts_zip(first))
    sim.clock.advance(hours=6)
    victim = _moved(sim, read_json(first / "snapshot.json"))[0]
    sim.set_faults(Faults(routes={f"/api/v4/projects/{victim}/*": Faults(error_rate=1.0)}))
    partial = workspace(tmp_path, "partial", sim)
    run = run_job("pages", partial, ci_env(sim, pid, partial))
    _ok(run)
    assert "publishing it marked as stale" in run.out
    _publishable(partial)
    projects = read_json(partial / "snapshot.json")["sources"][0]["projects"]
    assert [p["id"] for p in projects if p["stale"]] == [victim]

    sim.set_faults(Faults())
    failed = workspace(tmp_path, "failed", sim)
    run = run_job("pages", failed, ci_env(sim, pid, failed, GITLAB_TOKEN="revoked-or-wrong"))
    assert run.code == 1 and not (failed / "public").exists()


def test_sharded_pipeline_publishes_the_same_site(sim: Simulator, tmp_path: Path) -> None:
    single, pid = _first_deployment(sim, tmp_path, "single")
    sharded = workspace(tmp_path, "sharded", sim)
    env = ci_env(sim, pid, sharded, GLDASH_SHARDS="3", GLDASH_ALLOW_EMPTY_HISTORY="1")
    _ok(run_job("list-shards", sharded, env))
    for index in range(1, SHARD_JOBS + 1):
        node = {"CI_NODE_INDEX": str(index), "CI_NODE_TOTAL": str(SHARD_JOBS)}
        _ok(run_job("fetch-shard", sharded, {**env, **node}))
    assert sorted(p.name for p in (sharded / "shards").iterdir()) == [
        "listing.json",
        "part-1.json",
        "part-2.json",
        "part-3.json",
    ]
    _ok(run_job("merge-shards", sharded, env))
    _ok(run_job("pages", sharded, env))
    _publishable(sharded)
    assert site_files(sharded) == site_files(single)
    assert comparable(read_json(sharded / "snapshot.json")) == comparable(
        read_json(single / "snapshot.json")
    )


def test_sharded_refresh_keeps_what_a_shard_cannot_fetch_marked_stale(
    sim: Simulator, tmp_path: Path
) -> None:
    first, pid = _first_deployment(sim, tmp_path)
    sim.put_artifact(pid, "main", "pages", artifacts_zip(first))
    before = read_json(first / "snapshot.json")
    sim.clock.advance(hours=6)
    victim = _moved(sim, before)[0]
    sim.set_faults(Faults(routes={f"/api/v4/projects/{victim}/*": Faults(error_rate=1.0)}))
    sharded = workspace(tmp_path, "sharded", sim)
    env = ci_env(sim, pid, sharded, GLDASH_SHARDS="3")
    _ok(run_job("list-shards", sharded, env))
    for index in range(1, 4):
        node = {"CI_NODE_INDEX": str(index), "CI_NODE_TOTAL": str(SHARD_JOBS)}
        run = run_job("fetch-shard", sharded, {**env, **node})
        assert run.code == 0, run.err
    parts = [read_json(sharded / "shards" / f"part-{i}.json") for i in range(1, 4)]
    # Each shard refreshed its share on top of the published snapshot: no pipeline listing
    # from scratch, the changed projects' pipelines through GraphQL.
    for part in parts:
        assert part["fetch"]["mode"] == "shard"
        assert "GET /projects/:id/pipelines/:pipeline_id" not in part["fetch"]["api_calls"]
    # Groups and projects were listed once, by list-shards; shard 1 reports those calls.
    listings = [p["fetch"]["api_calls"].get("GET /groups/:id/projects", 0) for p in parts]
    assert listings[0] > 0 and listings[1:] == [0, 0]
    _ok(run_job("merge-shards", sharded, env))
    _ok(run_job("pages", sharded, env))
    sim.set_faults(Faults())
    _publishable(sharded)
    published = {p["id"]: p for p in read_json(sharded / "snapshot.json")["sources"][0]["projects"]}
    old = next(p for p in before["sources"][0]["projects"] if p["id"] == victim)
    kept = published[victim]
    assert kept["stale"] is not None and kept["stale"]["since"] == old["fetched_at"]
    assert kept["pipelines"] == old["pipelines"]  # the last good data, not nothing
    assert sorted(published) == sorted(p["id"] for p in before["sources"][0]["projects"])
    assert [i for i, p in published.items() if p["stale"]] == [victim]


def test_too_many_shards_is_a_clear_error(sim: Simulator, tmp_path: Path) -> None:
    root = workspace(tmp_path, "many", sim)
    env = ci_env(sim, dashboard_project(sim), root, GLDASH_SHARDS="12")
    run = run_job("fetch-shard", root, {**env, "CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "8"})
    assert run.code == 2 and "raise its parallel:" in run.err


def _moved(sim: Simulator, snapshot: dict[str, Any]) -> list[int]:
    """Projects of `snapshot` with a pipeline updated since it was taken (at least two)."""
    since = datetime.fromisoformat(snapshot["generated_at"].replace("Z", "+00:00"))
    moved = [
        p["id"]
        for p in snapshot["sources"][0]["projects"]
        if any(pl.updated_at > since for pl in sim.state.pipelines(p["id"]))
    ]
    assert len(moved) >= 2
    return moved


def _event_payload(sim: Simulator, project_id: int) -> dict[str, Any]:
    """A pipeline webhook as GitLab sends it, about the newest pipeline of `project_id`."""
    payload: dict[str, Any] = json.loads(WEBHOOK.read_text(encoding="utf-8"))
    project = sim.state.projects[project_id]
    newest = sim.state.pipelines(project_id)[-1]
    web_url = f"{sim.url}/{project.path_with_namespace}"
    payload["project"].update(
        id=project.id,
        name=project.name,
        web_url=web_url,
        path_with_namespace=project.path_with_namespace,
        default_branch=project.default_branch,
    )

    def stamp(moment: datetime | None) -> str | None:
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else None  # webhook format

    payload["object_attributes"].update(
        id=newest.id,
        ref=newest.ref,
        status=newest.status,
        url=f"{web_url}/-/pipelines/{newest.id}",
        created_at=stamp(newest.created_at),
        finished_at=stamp(newest.finished_at),
    )
    return payload


def test_webhook_event_refreshes_exactly_its_project_with_a_handful_of_calls(
    sim: Simulator, tmp_path: Path
) -> None:
    first, pid = _first_deployment(sim, tmp_path)
    before = read_json(first / "snapshot.json")
    sim.put_artifact(pid, "main", "pages", artifacts_zip(first))
    sim.clock.advance(hours=6)  # many projects move on; only the event's one may be refetched
    moved = _moved(sim, before)
    target = moved[0]

    root = workspace(tmp_path, "event", sim)
    payload_file = tmp_path / "TRIGGER_PAYLOAD"  # a file variable: the runner writes a file
    payload_file.write_text(json.dumps(_event_payload(sim, target)), encoding="utf-8")
    env = ci_env(sim, pid, root, CI_PIPELINE_SOURCE="trigger", TRIGGER_PAYLOAD=str(payload_file))
    sim.reset_counters()
    _ok(run_job("pages", root, env))
    calls = sum(sim.counters.values())
    _publishable(root)

    after = read_json(root / "snapshot.json")
    assert after["fetch"]["mode"] == "event"
    fetch_calls = sum(after["fetch"]["api_calls"].values())
    by_id = {p["id"]: p for p in before["sources"][0]["projects"]}
    changed = [p["id"] for p in after["sources"][0]["projects"] if p != by_id.get(p["id"])]
    assert changed == [target]
    # One artifacts download for carry-forward plus the targeted fetch; the note in
    # docs/deploy.md states these numbers.
    assert calls == fetch_calls + 1, sim.counters
    # Five for the project, two a new or changed pipeline (it and its jobs), and at most
    # five once the default branch turns red (its test report, where the streak began).
    new = {
        pl["id"]
        for p in after["sources"][0]["projects"]
        if p["id"] == target
        for pl in p["pipelines"]
    }
    old = {pl["id"]: pl for pl in by_id[target]["pipelines"]}
    fresh = [i for i in new if i not in old]
    assert fetch_calls <= 5 + 2 * len(fresh) + 5, after["fetch"]["api_calls"]
    print(f"event build: {fetch_calls} fetch API calls, {calls} requests in all: {sim.counters}")
    assert len(read_json(root / "public" / "archive" / "index.json")["snapshots"]) == 2
