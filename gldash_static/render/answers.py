"""The answers behind the pages: broken since when and by what, slow and queued jobs, flaky
jobs, failing tests and why jobs fail, computed from the snapshot's pipelines and jobs.

Pure functions over one project's stored record (`for_project`) and over every project view
(`for_site`); the rules they apply (flaky, kind of failure, percentiles) live in rules/.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from gldash_static.model import SHORT_SHA, Pipeline, Project
from gldash_static.render.answer_records import (
    Flake,
    FlakyJob,
    JobStat,
    ProjectAnswers,
    ReasonCount,
    StreakView,
    TestCaseView,
    TestsView,
)
from gldash_static.render.records import WINDOW, ProjectView
from gldash_static.rules import failures, jobs
from gldash_static.rules.limits import FLAKY_JOBS, MIN_JOB_RUNS, SLOW_JOBS, TEST_CASES_SHOWN
from gldash_static.rules.stats import percentile
from gldash_static.rules.text import PERSON_CHARS, TITLE_CHARS, clean
from gldash_static.rules.urls import safe_url
from gldash_static.timeutil import parse_time

EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SiteAnswers:
    """The organisation-wide lists."""

    slow_jobs: list[tuple[ProjectView, JobStat]]
    long_queues: list[tuple[ProjectView, JobStat]]
    flaky: list[tuple[ProjectView, FlakyJob]]
    flaky_total: int  # flaky jobs before the cap
    reasons: list[ReasonCount]  # most frequent first
    categories: list[tuple[str, int]]  # CATEGORIES order
    queue_p50: float | None  # of every job attempt in the window
    queue_p95: float | None


def _seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e9:
        return None
    return float(value)


def _streak(raw: Project) -> StreakView | None:
    record = raw.get("red_streak")
    if not isinstance(record, dict):
        return None
    first = record.get("pipeline_id")
    first_id = first if isinstance(first, int) and not isinstance(first, bool) else 0
    count = record.get("failed_pipelines")
    return StreakView(
        since=parse_time(record.get("started_at")),
        pipelines=count if isinstance(count, int) and not isinstance(count, bool) else 0,
        exact=record.get("exact") is True,
        first_id=first_id,
        first_url=safe_url(record.get("web_url")),
        short_sha=clean(record.get("short_sha"), SHORT_SHA),
        commit_title=clean(record.get("commit_title"), TITLE_CHARS),
        author=clean(record.get("author_name"), PERSON_CHARS),
    )


def _job_stats(pipelines: Sequence[Pipeline], flakes: Counter[str]) -> tuple[JobStat, ...]:
    durations: dict[str, list[float]] = {}
    queues: dict[str, list[float]] = {}
    failed: Counter[str] = Counter()
    for pipeline in pipelines:
        for job in jobs.attempts(pipeline):
            name = clean(job.get("name"), 120)
            queue = _seconds(job.get("queued_duration"))
            if queue is not None:
                queues.setdefault(name, []).append(queue)
            if job.get("retried") or job.get("status") not in jobs.FINISHED:
                continue
            duration = _seconds(job.get("duration"))
            durations.setdefault(name, [])
            if duration is not None:
                durations[name].append(duration)
            failed[name] += jobs.counted_failure(job)
    stats = []
    for name in sorted(set(durations) | set(queues)):
        ran, waited = sorted(durations.get(name, [])), sorted(queues.get(name, []))
        stats.append(
            JobStat(
                name=name,
                runs=len(durations.get(name, [])),
                p50=percentile(ran, 0.5),
                p95=percentile(ran, 0.95),
                queue_p50=percentile(waited, 0.5),
                queue_p95=percentile(waited, 0.95),
                failed=failed[name],
                flakes=flakes[name],
            )
        )
    return tuple(sorted(stats, key=lambda s: (-(s.p95 or 0.0), s.name)))


def _flaky(pipelines: Sequence[Pipeline]) -> tuple[FlakyJob, ...]:
    by_id = {int(p["id"]): p for p in pipelines}
    evidence: dict[str, list[Flake]] = {}
    for pipeline in pipelines:
        for name in jobs.passed_on_retry(pipeline):
            evidence.setdefault(name, []).append(_flake(pipeline, None))
    for flip in jobs.commit_flips(pipelines):
        evidence.setdefault(flip.name, []).append(_flake(by_id[flip.failed], flip.passed))
    found = []
    for name, items in evidence.items():
        newest = tuple(sorted(items, key=lambda f: (f.when or EPOCH, f.pipeline_id), reverse=True))
        runs = max(jobs.finished_runs(pipelines, name), len(newest))
        found.append(FlakyJob(clean(name, 120), runs, len(newest), newest))
    return tuple(sorted(found, key=lambda f: (-f.flakes, -f.rate, f.name)))


def _flake(pipeline: Pipeline, other: int | None) -> Flake:
    return Flake(
        pipeline_id=int(pipeline["id"]),
        web_url=safe_url(pipeline.get("web_url")),
        when=parse_time(pipeline.get("created_at")),
        other_id=other,
    )


def _tests(head: Pipeline | None) -> TestsView | None:
    report = head.get("test_report") if head is not None else None
    if not isinstance(report, dict) or not (report.get("failed") or report.get("errored")):
        return None
    cases = report.get("cases") if isinstance(report.get("cases"), list) else []
    shown = tuple(
        TestCaseView(
            suite=clean(c.get("suite"), 120),
            classname=clean(c.get("classname"), 200),
            name=clean(c.get("name"), 300),
            status=clean(c.get("status"), 20),
            message=clean(c.get("message"), 200),
        )
        for c in cases[:TEST_CASES_SHOWN]
        if isinstance(c, dict)
    )
    url = safe_url(head.get("web_url")) if head is not None else None

    def count(key: str) -> int:
        value = report.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    return TestsView(
        total=count("total"),
        failed=count("failed"),
        errored=count("errored"),
        skipped=count("skipped"),
        cases=shown,
        omitted=count("cases_omitted") + max(0, len(cases) - len(shown)),
        url=f"{url}/test_report" if url else None,
    )


def for_project(raw: Project, head: Pipeline | None) -> ProjectAnswers:
    """One project's answers from its stored record; `head` is its failing head pipeline."""
    pipelines = [p for p in raw.get("pipelines") or [] if isinstance(p.get("id"), int)]
    flaky = _flaky(pipelines)
    stats = _job_stats(pipelines, Counter({f.name: f.flakes for f in flaky}))
    return ProjectAnswers(_streak(raw), stats, flaky, _tests(head))


def for_site(
    projects: Sequence[ProjectView], now: datetime, raw: dict[str, Project]
) -> SiteAnswers:
    """The organisation's slowest jobs, longest queues, flakiest jobs and failure reasons.

    `raw` maps project keys to stored records, for the reasons of the last WINDOW of pipelines.
    """
    slow = [(p, s) for p in projects for s in p.answers.jobs if s.runs >= MIN_JOB_RUNS and s.p95]
    slow.sort(key=lambda item: (-(item[1].p95 or 0.0), item[0].path.lower(), item[1].name))
    queued = [(p, s) for p in projects for s in p.answers.jobs if s.queue_p95]
    queued.sort(key=lambda item: (-(item[1].queue_p95 or 0.0), item[0].path.lower(), item[1].name))
    flaky = [(p, f) for p in projects for f in p.answers.flaky]
    flaky.sort(
        key=lambda item: (-item[1].flakes, -item[1].rate, item[0].path.lower(), item[1].name)
    )
    reasons: Counter[str] = Counter()
    waits: list[float] = []
    for record in raw.values():
        for pipeline in record.get("pipelines") or []:
            created = parse_time(pipeline.get("created_at"))
            if created is None or now - created > WINDOW:
                continue
            for job in jobs.attempts(pipeline):
                queue = _seconds(job.get("queued_duration"))
                if queue is not None:
                    waits.append(queue)
                if jobs.counted_failure(job):
                    reasons[clean(job.get("failure_reason"), 80) or "unknown_failure"] += 1
    kinds: Counter[str] = Counter()
    for reason, count in reasons.items():
        kinds[failures.category(reason)] += count
    waits.sort()
    return SiteAnswers(
        slow_jobs=slow[:SLOW_JOBS],
        long_queues=queued[:SLOW_JOBS],
        flaky=flaky[:FLAKY_JOBS],
        flaky_total=len(flaky),
        reasons=[
            ReasonCount(reason.replace("_", " "), failures.category(reason), count)
            for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
        ],
        categories=[(c, kinds[c]) for c in failures.CATEGORIES],
        queue_p50=percentile(waits, 0.5),
        queue_p95=percentile(waits, 0.95),
    )
