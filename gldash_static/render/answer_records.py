"""Display records of the answers: streaks, job statistics, flaky jobs, failing tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StreakView:
    """Since when the default branch is red, and the change that broke it."""

    since: datetime | None
    pipelines: int
    exact: bool  # False: it began at or before `since`
    first_id: int
    first_url: str | None
    short_sha: str
    commit_title: str
    author: str


@dataclass(frozen=True, slots=True)
class JobStat:
    """One job (by name) of a project over the kept pipelines."""

    name: str
    runs: int  # latest attempts that passed or failed
    p50: float | None  # of their durations
    p95: float | None
    queue_p50: float | None  # of every attempt's queue time
    queue_p95: float | None
    failed: int  # latest attempts that failed (not allowed to)
    flakes: int  # pipelines where it flaked


@dataclass(frozen=True, slots=True)
class Flake:
    """One piece of evidence that a job is flaky."""

    pipeline_id: int
    web_url: str | None
    when: datetime | None
    other_id: int | None  # the pipeline that passed on the same commit; None: a retry passed


@dataclass(frozen=True, slots=True)
class FlakyJob:
    """A job of a project that flaked, with its evidence, newest first."""

    name: str
    runs: int
    flakes: int
    evidence: tuple[Flake, ...]

    @property
    def rate(self) -> float:
        """Flakes per run."""
        return self.flakes / self.runs if self.runs else 0.0


@dataclass(frozen=True, slots=True)
class TestCaseView:
    """A failed test case, ready to show."""

    suite: str
    classname: str
    name: str
    status: str
    message: str


@dataclass(frozen=True, slots=True)
class TestsView:
    """The failing head pipeline's test report."""

    total: int
    failed: int
    errored: int
    skipped: int
    cases: tuple[TestCaseView, ...]
    omitted: int
    url: str | None  # GitLab's test report page of the pipeline


@dataclass(frozen=True, slots=True)
class ProjectAnswers:
    """What a project page and the organisation's lists need of one project."""

    streak: StreakView | None
    jobs: tuple[JobStat, ...]  # slowest first
    flaky: tuple[FlakyJob, ...]  # most flakes first
    tests: TestsView | None

    @classmethod
    def empty(cls) -> ProjectAnswers:
        """Nothing known (a project view built without its stored record)."""
        return cls(None, (), (), None)


@dataclass(frozen=True, slots=True)
class ReasonCount:
    """How often jobs failed for one reason in the recent window."""

    reason: str  # GitLab's words, e.g. "script failure"
    category: str  # rules.failures.CATEGORIES
    count: int
