"""A pipeline's JUnit test report and its summary, in GitLab's shapes and with its rules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from gldash_static.simulator import OrgSpec, Simulator, testreports
from gldash_static.simulator.model import Pipeline, Project

REPORT_KEYS = [
    "total_time", "total_count", "success_count", "failed_count", "skipped_count",
    "error_count", "test_suites",
]  # fmt: skip
SUITE_KEYS = [
    "name", "total_time", "total_count", "success_count", "failed_count", "skipped_count",
    "error_count",
]  # fmt: skip
CASE_KEYS = [
    "status", "name", "classname", "file", "execution_time", "system_output", "stack_trace",
    "recent_failures",
]  # fmt: skip
TOTAL_KEYS = ["time", "count", "success", "failed", "skipped", "error", "suite_error"]


def _get(sim: Simulator, path: str, token: str | None = None) -> requests.Response:
    return requests.get(
        f"{sim.url}/api/v4{path}", headers={"PRIVATE-TOKEN": token or sim.token}, timeout=10
    )


def _reported(sim: Simulator, *, failed: bool) -> tuple[Project, Pipeline]:
    """A project with JUnit reports and a pipeline whose test job passed or failed its script."""
    for p in sorted(sim.state.projects.values(), key=lambda p: p.id):
        if not testreports.has_junit(sim.state.spec.seed, p):
            continue
        for pl in sim.state.pipelines(p.id):
            jobs = [j for j in sim.state.jobs(p.id, pl.id) if j.stage == "test"]
            if failed and any(
                j.status == "failed" and j.failure_reason == "script_failure" for j in jobs
            ):
                return p, pl
            if not failed and pl.status == "success" and jobs:
                return p, pl
    raise AssertionError("no such pipeline")


def test_report_shapes_and_counts(sim: Simulator) -> None:
    p, pl = _reported(sim, failed=True)
    report = _get(sim, f"/projects/{p.id}/pipelines/{pl.id}/test_report").json()
    assert list(report) == REPORT_KEYS
    assert report["test_suites"], report
    latest = {j.id: j for j in sim.state.jobs(p.id, pl.id)}
    for suite in report["test_suites"]:
        assert list(suite) == [*SUITE_KEYS, "suite_error", "test_cases"]
        assert suite["name"] in {j.name for j in latest.values() if j.stage == "test"}
        cases = suite["test_cases"]
        for case in cases:
            assert [k for k in case if k != "attachment_url"] == CASE_KEYS
            assert case["stack_trace"] is None  # the JUnit parser fills system_output only
            assert isinstance(case["execution_time"], float)
        counts = {s: sum(c["status"] == s for c in cases) for s in testreports.STATUS_ORDER}
        assert suite["total_count"] == len(cases) == sum(counts.values())
        assert suite["failed_count"] == counts["failed"]
        assert suite["error_count"] == counts["error"]
        order = [testreports.STATUS_ORDER.index(c["status"]) for c in cases]
        assert order == sorted(order)  # TestSuite#sorted: errors and failures first
    assert report["total_count"] == sum(s["total_count"] for s in report["test_suites"])
    failing = [s for s in report["test_suites"] if s["failed_count"] + s["error_count"]]
    assert failing or any(s["suite_error"] for s in report["test_suites"])
    for suite in failing:
        assert 1 <= suite["failed_count"] + suite["error_count"] <= 6
        broken = [c for c in suite["test_cases"] if c["status"] in ("failed", "error")]
        assert all(c["system_output"] and "\n" in c["system_output"] for c in broken)


def test_summary_agrees_with_the_report(sim: Simulator) -> None:
    for failed in (True, False):
        p, pl = _reported(sim, failed=failed)
        base = f"/projects/{p.id}/pipelines/{pl.id}"
        report = _get(sim, f"{base}/test_report").json()
        summary = _get(sim, f"{base}/test_report_summary").json()
        assert list(summary) == ["total", "test_suites"]
        assert list(summary["total"]) == TOTAL_KEYS
        assert summary["total"]["count"] == report["total_count"]
        assert summary["total"]["failed"] == report["failed_count"]
        assert summary["total"]["time"] == report["total_time"]
        for short, full in zip(summary["test_suites"], report["test_suites"], strict=True):
            assert list(short) == [*SUITE_KEYS, "build_ids", "suite_error"]
            assert {k: short[k] for k in SUITE_KEYS} == {k: full[k] for k in SUITE_KEYS}
            job = next(j for j in sim.state.jobs(p.id, pl.id) if j.name == short["name"])
            assert short["build_ids"] == [job.id]  # the latest attempt's
        if not failed:
            assert summary["total"]["failed"] == 0 and summary["total"]["count"] > 0


def test_only_latest_attempts_count(sim: Simulator) -> None:
    seed = sim.state.spec.seed
    for p in sorted(sim.state.projects.values(), key=lambda p: p.id):
        if not testreports.has_junit(seed, p):
            continue
        for pl in sim.state.pipelines(p.id):
            attempts = sim.state.all_jobs(p.id, pl.id)
            if not any(j.retried and j.stage == "test" for j in attempts):
                continue
            summary = _get(sim, f"/projects/{p.id}/pipelines/{pl.id}/test_report_summary").json()
            ids = [i for s in summary["test_suites"] for i in s["build_ids"]]
            assert ids and all(not j.retried for j in attempts if j.id in ids)
            assert len({s["name"] for s in summary["test_suites"]}) == len(ids)
            return
    raise AssertionError("no retried test job")


def test_no_report_is_zero_not_404(sim: Simulator) -> None:
    seed = sim.state.spec.seed
    p = next(
        p
        for p in sorted(sim.state.projects.values(), key=lambda p: p.id)
        if not testreports.has_junit(seed, p) and sim.state.pipelines(p.id)
    )
    pl = sim.state.pipelines(p.id)[-1]
    summary = _get(sim, f"/projects/{p.id}/pipelines/{pl.id}/test_report_summary")
    assert summary.status_code == 200
    assert summary.json() == {
        "total": {k: None if k == "suite_error" else 0 for k in TOTAL_KEYS},
        "test_suites": [],
    }
    report = _get(sim, f"/projects/{p.id}/pipelines/{pl.id}/test_report").json()
    assert report == {k: [] if k == "test_suites" else 0 for k in REPORT_KEYS}
    shares = [testreports.has_junit(seed, q) for q in sim.state.projects.values()]
    assert 0.6 < sum(shares) / len(shares) < 0.9  # about one project in four has none
    unknown = _get(sim, f"/projects/{p.id}/pipelines/1/test_report")
    assert unknown.status_code == 404 and unknown.json() == {"message": "404 Not found"}


def test_hostile_names_long_output_and_attachments(sim: Simulator) -> None:
    seed = sim.state.spec.seed
    names: list[str] = []
    outputs: list[str] = []
    shots: list[str] = []
    for p in sorted(sim.state.projects.values(), key=lambda p: p.id):
        for pl in sim.state.pipelines(p.id):
            if pl.status != "failed" and names:
                continue  # failed runs have the outputs; one passing run gives names enough
            for suite in testreports.suites(seed, p, pl.id, sim.state.jobs(p.id, pl.id)):
                body = testreports.report_body([suite], f"https://x/{p.path}/-/jobs")
                for case in body["test_suites"][0]["test_cases"]:
                    names.append(case["name"])
                    outputs.append(case["system_output"] or "")
                    if "attachment_url" in case:
                        shots.append(case["attachment_url"])
    assert any("<" in n for n in names) and any("&" in n for n in names)
    assert any('"' in n or "'" in n for n in names)
    assert any(len(o) > 3000 for o in outputs)  # a runaway log, for the caps
    assert max(len(o) for o in outputs) < 20_000
    assert shots and all("/-/jobs/" in s and "/artifacts/file/screenshots/" in s for s in shots)


@pytest.fixture(scope="module")
def psim() -> Iterator[Simulator]:
    """A small organisation whose feature access these tests change (module-private)."""
    with Simulator(OrgSpec(projects=50, seed=13)) as s:
        yield s


def test_permissions(psim: Simulator) -> None:
    projects = sorted(psim.state.projects.values(), key=lambda p: p.id)
    public = next(
        p
        for p in projects
        if p.visibility != "private" and p.namespace_kind == "group" and psim.state.pipelines(p.id)
    )
    private = next(p for p in projects if p.visibility == "private" and psim.state.pipelines(p.id))
    outsider = psim.token_for("non-member")
    pl = psim.state.pipelines(public.id)[-1]
    path = f"/projects/{public.id}/pipelines/{pl.id}/test_report_summary"
    assert _get(psim, path, outsider).status_code == 200
    psim.set_feature_access(public.id, builds="private")  # CI/CD for members only
    denied = _get(psim, path, outsider)
    assert denied.status_code == 403 and denied.json() == {"message": "403 Forbidden"}
    assert _get(psim, path.replace("_summary", ""), outsider).status_code == 403
    member = psim.token_for("reporter", psim.state.groups[public.namespace_id].full_path)
    assert _get(psim, path, member).status_code == 200
    psim.set_feature_access(public.id, builds="enabled", public_jobs=False)
    assert _get(psim, path, outsider).status_code == 403  # no public pipelines: no read_build
    hidden = psim.state.pipelines(private.id)[-1]
    gone = _get(psim, f"/projects/{private.id}/pipelines/{hidden.id}/test_report", outsider)
    assert gone.status_code == 404 and gone.json() == {"message": "404 Project Not Found"}
