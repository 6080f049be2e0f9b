"""Which tests fail: the JUnit test report of the newest failing default-branch pipeline.

GitLab sums a pipeline's JUnit reports up in `GET .../test_report_summary` (counts per suite,
small) and lists every case in `GET .../test_report` (every case of every suite: megabytes
for a large suite). The summary is asked first; the whole report only when it counts
failures, and once per pipeline: a finished pipeline's report does not change, and the
snapshot keeps it with the pipeline.
"""

from __future__ import annotations

import logging
from typing import Any

from gldash_static.fetch import convert
from gldash_static.gitlab import ApiClient, ApiError, CircuitOpenError
from gldash_static.model import Pipeline, Project, TestCase, TestReport
from gldash_static.rules.facts import failing_default, head_pipeline

log = logging.getLogger("gldash.fetch")

NAME_CHARS = 300
MESSAGE_CHARS = 200
FAILED_STATUSES = ("failed", "error")
# A report GitLab refuses for good (404: no such pipeline; 403: not allowed) is stored empty,
# so the next run does not ask again; anything else (5xx, timeouts) is asked again next run.
FINAL_STATUSES = (403, 404)


def empty() -> TestReport:
    """A report with nothing in it: the pipeline has none, or GitLab will not show it."""
    return {"total": 0, "failed": 0, "errored": 0, "skipped": 0, "cases": [], "cases_omitted": 0}


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _message(case: dict[str, Any]) -> str:
    """The first non-empty line of what the case printed or raised."""
    for key in ("system_output", "stack_trace"):
        text = convert.text(case.get(key)) or ""
        for line in text.splitlines():
            if line.strip():
                return line.strip()[:MESSAGE_CHARS]
    return ""


def report(summary: dict[str, Any], full: dict[str, Any] | None, cap: int) -> TestReport:
    """The record kept: totals from the summary, failed and errored cases from the report."""
    total = summary.get("total")
    totals = total if isinstance(total, dict) else {}
    found: dict[str, list[TestCase]] = {status: [] for status in FAILED_STATUSES}
    suites = full.get("test_suites") if isinstance(full, dict) else None
    for suite in suites if isinstance(suites, list) else []:
        cases = suite.get("test_cases") if isinstance(suite, dict) else None
        for case in cases if isinstance(cases, list) else []:
            status = case.get("status") if isinstance(case, dict) else None
            if status not in found:
                continue
            found[status].append(
                {
                    "suite": convert.text(suite.get("name"), NAME_CHARS) or "",
                    "classname": convert.text(case.get("classname"), NAME_CHARS) or "",
                    "name": convert.text(case.get("name"), NAME_CHARS) or "",
                    "status": status,
                    "message": _message(case),
                }
            )
    listed = found["failed"] + found["error"]
    return {
        "total": _count(totals.get("count")),
        "failed": _count(totals.get("failed")),
        "errored": _count(totals.get("error")),
        "skipped": _count(totals.get("skipped")),
        "cases": listed[:cap],
        "cases_omitted": max(0, len(listed) - cap),
    }


def failing_head(project: Project) -> Pipeline | None:
    """The one pipeline whose report is kept: the failing head of the default branch."""
    return head_pipeline(project) if failing_default(project) else None


def read(api: ApiClient, project_id: int, pipeline_id: int, cap: int) -> TestReport | None:
    """The pipeline's test report (None: GitLab failed to answer now; ask again next run)."""
    base = f"/projects/{project_id}/pipelines/{pipeline_id}"
    try:
        summary = api.get(f"{base}/test_report_summary")
        totals = summary.get("total")
        failing = isinstance(totals, dict) and (
            _count(totals.get("failed")) or _count(totals.get("error"))
        )
        full = api.get(f"{base}/test_report") if failing else None
    except CircuitOpenError:
        return None  # the fetch stops asking; the report waits for the next run
    except ApiError as exc:
        if exc.status in FINAL_STATUSES:
            return empty()
        log.info("%s: test report not read (%s); asked again next run", base, exc)
        return None
    return report(summary, full, cap)


def with_report(project: Project, api: ApiClient, cap: int) -> None:
    """Read the report of the project's failing head pipeline, once, into that pipeline; the
    others keep none (a report stays with its pipeline only while it is the failing head, so
    a refresh and a full fetch keep the same)."""
    head = failing_head(project)
    found = head.get("test_report") if head is not None else None
    if head is not None and found is None:
        found = read(api, project["id"], head["id"], cap)
    project["pipelines"] = [
        {**p, "test_report": found if head is not None and p["id"] == head["id"] else None}
        for p in project["pipelines"]
    ]
