"""JUnit test reports: what a pipeline's test jobs uploaded, and GitLab's bodies for them.

Three projects in four upload a JUnit report from each job of their `test` stage, when the
job passed or failed its script (`artifacts: when: always, reports: junit:`); other
failures (the runner, a timeout) leave none. A suite is named after its job, as
`Ci::Build#collect_test_reports!` names it; its cases are the project's own (the same
names every run), and a failed run fails one to six of them, often the same flaky few.
GitLab reports the latest attempt of each job only (`Ci::Pipeline#latest_test_report_builds`).
Content comes from generators of its own (seed, "tests", ...): nothing else changes.

Bodies follow gitlabhq's serializers: app/serializers/test_report_entity.rb,
test_suite_entity.rb, test_case_entity.rb, test_report_summary_entity.rb and
test_suite_summary_entity.rb; case order is TestSuite#sorted (error, failed, success,
skipped; slowest first); `stack_trace` stays null because the JUnit parser
(lib/gitlab/ci/parsers/test/junit.rb) puts a failure's text into `system_output`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from gldash_static.simulator import names
from gldash_static.simulator.model import Job, Project

NO_JUNIT_SHARE = 0.25  # projects that upload no JUnit report at all
REPORT_STAGE = "test"
STATUS_ORDER = ("error", "failed", "success", "skipped")  # TestCase::STATUS_TYPES
EMPTY_XML = "JUnit XML parsing failed: 1:1: FATAL: Document is empty"
_MODULES = [
    "checkout", "refund", "cart", "auth", "billing", "invoice", "search", "session",
    "upload", "export", "webhook", "ledger", "pagination", "cache", "retry", "config",
]  # fmt: skip
_SUBJECTS = [
    "refund", "total", "discount", "token", "header", "cursor", "timeout", "payload",
    "currency", "locale", "slug", "price", "quota", "signature", "batch", "limit",
]  # fmt: skip
_BEHAVIOURS = [
    "rounds_down", "is_idempotent", "rejects_negative", "survives_restart",
    "handles_unicode", "expires", "retries_once", "keeps_order", "escapes_html",
    "is_cached", "fails_closed", "parses_iso_dates", "respects_limit", "logs_nothing",
]  # fmt: skip
# Parametrised ids as pytest and friends print them: text a page must escape.
_HOSTILE_PARAMS = [
    "<script>alert(1)</script>", "a & b", '"quoted"', "'single'", "<b>bold</b> & \"both\"",
    "x<y>z", "&amp;", "tom & jerry's",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Case:
    """One test case of one run."""

    status: str
    name: str
    classname: str
    file: str | None
    execution_time: float
    system_output: str | None = None
    attachment: str | None = None


@dataclass(slots=True)
class Suite:
    """One job's JUnit report."""

    name: str
    build_id: int
    cases: list[Case] = field(default_factory=list)
    suite_error: str | None = None

    def count(self, status: str) -> int:
        """Cases of a status (none when the report could not be parsed)."""
        return 0 if self.suite_error else sum(1 for c in self.cases if c.status == status)

    @property
    def total_time(self) -> float:
        """Seconds, summed over the cases."""
        return round(sum(c.execution_time for c in self.cases), 3)


def has_junit(seed: int, project: Project) -> bool:
    """Whether the project's test jobs upload JUnit reports."""
    return names.rng(seed, "junit", project.id).random() >= NO_JUNIT_SHARE


def _catalogue(seed: int, project: Project, job_name: str) -> list[tuple[str, str, str | None]]:
    """The job's test cases, (classname, name, file), the same in every run."""
    r = names.rng(seed, "tests", project.id, job_name)
    count = r.randint(10, 300)
    out: dict[tuple[str, str], str | None] = {}
    while len(out) < count:
        module = r.choice(_MODULES)
        subject, behaviour = r.choice(_SUBJECTS), r.choice(_BEHAVIOURS)
        # Each runner's report names its cases its own way.
        if _style(job_name) == "rust":
            classname, file = f"{project.path.replace('-', '_')}::{module}::tests", None
            name = f"{subject}_{behaviour}"
        elif _style(job_name) == "jest":
            classname, file = f"{module.title()} component", None
            name = f"{subject} {behaviour.replace('_', ' ')}"
        else:
            classname, file = f"tests.test_{module}", f"tests/test_{module}.py"
            name = f"test_{subject}_{behaviour}"
        if r.random() < 0.04:
            name += f"[{r.choice(_HOSTILE_PARAMS)}]"
        out.setdefault((classname, name), file)
    return [(c, n, f) for (c, n), f in out.items()]


def _style(job_name: str) -> str:
    return "rust" if "cargo" in job_name else "jest" if job_name == "jest" else "pytest"


def _failure_text(r: random.Random, job_name: str, classname: str, name: str) -> str:
    got, want, line = r.randint(0, 99), r.randint(100, 199), r.randint(12, 480)
    module = classname.split("::")[-2] if "::" in classname else classname.split()[0].lower()
    style = _style(job_name)
    if style == "rust":
        where = f"src/{module}.rs:{line}:9"
        lines = [f"thread '{classname}::{name}' panicked at {where}:"]
        lines += ["assertion `left == right` failed", f"  left: {got}", f" right: {want}"]
    elif style == "jest":
        where = f"src/{module}.test.ts:{line}:21"
        lines = ["Error: expect(received).toBe(expected) // Object.is equality", ""]
        lines += [f"Expected: {want}", f"Received: {got}", f"    at Object.<anonymous> ({where})"]
    else:
        where = f"{classname.replace('.', '/')}.py:{line}"
        lines = [f"AssertionError: assert {got} == {want}"]
        lines += [f" +  where {got} = {name.split('[')[0]}()", f"{where}: AssertionError"]
    if r.random() < 0.05:  # a runaway log: a few KB, for the clients' caps
        lines += [f"  retry {n} of {name} at {where}: still failing" for n in range(60, 140)]
    return "\n".join(lines)


def suite_for(seed: int, project: Project, pipeline_id: int, job: Job) -> Suite:
    """The JUnit report of one finished test job."""
    suite = Suite(job.name, job.id)
    r = names.rng(seed, "testrun", pipeline_id, job.name)
    if job.status == "failed" and r.random() < 0.04:
        suite.suite_error = EMPTY_XML  # the runner crashed before writing its report
        return suite
    catalogue = _catalogue(seed, project, job.name)
    base = names.rng(seed, "tests", project.id, job.name, "traits")
    skipped = {k for k in range(len(catalogue)) if base.random() < 0.02}
    slow = {k for k in range(len(catalogue)) if base.random() < 0.02}
    flaky = base.sample(range(len(catalogue)), 3)  # the cases that fail again and again
    failing: set[int] = set()
    if job.status == "failed":
        pool = [k for k in range(len(catalogue)) if k not in skipped]
        for _ in range(r.randint(1, 6)):
            picks = [k for k in flaky if k not in skipped and k not in failing]
            failing.add(r.choice(picks) if picks and r.random() < 0.6 else r.choice(pool))
    screenshots = job.name in ("integration", "jest")
    for k, (classname, name, file) in enumerate(catalogue):
        seconds = base.lognormvariate(-3.0, 1.0) * (200 if k in slow else 1)
        seconds = round(min(seconds, 60.0) * r.uniform(0.8, 1.25), 3)
        if k in skipped:
            case = Case("skipped", name, classname, file, 0.0, "skipped: needs a live service")
        elif k in failing:
            status = "error" if r.random() < 0.1 else "failed"
            text = _failure_text(r, job.name, classname, name)
            shot = None
            if screenshots and r.random() < 0.3:
                shot = f"screenshots/{names.slug(classname)}-{k}.png"
            case = Case(status, name, classname, file, seconds, text, shot)
        else:
            case = Case("success", name, classname, file, seconds)
        suite.cases.append(case)
    return suite


def suites(seed: int, project: Project, pipeline_id: int, latest: list[Job]) -> list[Suite]:
    """The reports of a pipeline's latest job attempts, by ascending job id."""
    if not has_junit(seed, project):
        return []
    out = []
    for job in sorted(latest, key=lambda j: j.id):
        if job.stage != REPORT_STAGE or job.retried:
            continue
        if job.status == "success" or (
            job.status == "failed" and job.failure_reason == "script_failure"
        ):
            out.append(suite_for(seed, project, pipeline_id, job))
    return out


def _counts(suite: Suite) -> dict[str, Any]:
    total = sum(suite.count(s) for s in STATUS_ORDER)
    return {
        "name": suite.name,
        "total_time": suite.total_time,
        "total_count": total,
        "success_count": suite.count("success"),
        "failed_count": suite.count("failed"),
        "skipped_count": suite.count("skipped"),
        "error_count": suite.count("error"),
    }


def report_body(found: list[Suite], job_url: str) -> dict[str, Any]:
    """GET .../pipelines/:pipeline_id/test_report (TestReportEntity with `details`)."""
    # `job_url` is the project's jobs URL, which attachment_url extends.
    bodies = []
    for suite in found:
        ordered = sorted(
            [] if suite.suite_error else suite.cases,
            key=lambda c: (STATUS_ORDER.index(c.status), -c.execution_time),
        )
        cases = []
        for c in ordered:
            case: dict[str, Any] = {
                "status": c.status,
                "name": c.name,
                "classname": c.classname,
                "file": c.file,
                "execution_time": c.execution_time,
                "system_output": c.system_output,
                "stack_trace": None,
                "recent_failures": None,
            }
            if c.attachment:  # only for a case with an attachment
                case["attachment_url"] = f"{job_url}/{suite.build_id}/artifacts/file/{c.attachment}"
            cases.append(case)
        bodies.append(_counts(suite) | {"suite_error": suite.suite_error, "test_cases": cases})
    return {
        "total_time": round(sum(b["total_time"] for b in bodies), 3) if bodies else 0,
        "total_count": sum(b["total_count"] for b in bodies),
        "success_count": sum(b["success_count"] for b in bodies),
        "failed_count": sum(b["failed_count"] for b in bodies),
        "skipped_count": sum(b["skipped_count"] for b in bodies),
        "error_count": sum(b["error_count"] for b in bodies),
        "test_suites": bodies,
    }


def summary_body(found: list[Suite]) -> dict[str, Any]:
    """GET .../pipelines/:pipeline_id/test_report_summary (TestReportSummaryEntity)."""
    suites_ = [
        _counts(s) | {"build_ids": [s.build_id], "suite_error": s.suite_error} for s in found
    ]
    return {
        "total": {
            "time": round(sum(s["total_time"] for s in suites_), 3) if suites_ else 0,
            "count": sum(s["total_count"] for s in suites_),
            "success": sum(s["success_count"] for s in suites_),
            "failed": sum(s["failed_count"] for s in suites_),
            "skipped": sum(s["skipped_count"] for s in suites_),
            "error": sum(s["error_count"] for s in suites_),
            "suite_error": next((s.suite_error for s in found if s.suite_error), None),
        },
        "test_suites": suites_,
    }
