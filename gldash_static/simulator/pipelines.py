"""One pipeline's life: its outcome, its plan (queue, run), and the clock applying the plan."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from gldash_static.simulator import load, names
from gldash_static.simulator.model import Pipeline, PipelinePlan, Project, ProjectDetail

PIPELINE_ID_BASE = 100_000  # pipeline id = project id * base + sequence number
BROKEN_DAYS = 18  # a broken project fails from this many days before "now"
LONG_RED_DAYS = 30  # ... or from this many, with a nightly schedule failing every night
LONG_RED_SHARE = 0.4  # of broken projects


def long_red(seed: int, project: Project) -> bool:
    """Whether a broken project has been red for a month, its nightly failing every night."""
    # Its red streak outgrows the latest 20 default-branch pipelines (added.py adds the
    # nightlies); the other broken projects' streaks fit within them.
    if project.health != "broken" or project.archived or project.default_branch is None:
        return False
    return names.rng(seed, "red", project.id).random() < LONG_RED_SHARE


def broken_days(seed: int, project: Project) -> int:
    """For how many days before "now" a broken project's pipelines fail."""
    return LONG_RED_DAYS if long_red(seed, project) else BROKEN_DAYS


def _secs(r: random.Random, median: float, sigma: float) -> float:
    return median * r.lognormvariate(0, sigma)


def _outcome(r: random.Random, project: Project, created: datetime, broken_since: datetime) -> str:
    if project.health == "broken" and created >= broken_since:
        return "failed" if r.random() < 0.95 else "canceled"
    fail = 0.3 if project.health == "flaky" else 0.05
    roll = r.random()
    if roll < fail:
        return "failed"
    if roll < fail + 0.02:
        return "canceled"
    return "skipped" if roll < fail + 0.03 else "success"


def new_pipeline(
    r: random.Random,
    seed: int,
    project: Project,
    detail: ProjectDetail,
    created: datetime,
    now: datetime,
    *,
    ref: str,
    source: str,
    user_id: int,
    status: str | None = None,
) -> Pipeline:
    """Append a pipeline created at `created`; it runs on if it has not finished by `now`."""
    created = names.ms(created)
    seq = detail.next_pipeline_seq
    detail.next_pipeline_seq += 1
    # Added pipelines (re-runs, nightlies) build commits that exist already: they take an
    # iid but neither a commit number nor the place of the previous push.
    prev = next(
        (q.sha for q in reversed(detail.pipelines) if not q.origin),
        names.fake_sha(project.id, "root"),
    )
    since = now - timedelta(days=broken_days(seed, project))
    final = status or _outcome(r, project, created, since)
    median = 120 + 60 * (project.id % 11)  # each project has its own typical length
    queued = _secs(r, 6, 1.0)
    duration = _secs(r, median, 0.45)
    if final == "canceled":
        duration *= r.uniform(0.1, 0.8)
    started = names.ms(created + timedelta(seconds=queued))
    finished = names.ms(started + timedelta(seconds=duration))
    tag = ref.startswith("v") and source == "push"
    p = Pipeline(
        id=project.id * PIPELINE_ID_BASE + seq,
        iid=seq,
        project_id=project.id,
        sha=names.fake_sha(seed, project.id, seq - detail.added),
        before_sha=prev,
        ref=ref,
        tag=tag,
        status=final,
        source=source,
        name=None if project.id % 3 else "Build pipeline",
        created_at=created,
        updated_at=created,
        started_at=None,
        finished_at=None,
        duration=None,
        queued_duration=None,
        coverage=None,
        user_id=user_id,
        commit_title=names.commit_title(r),
        plan=PipelinePlan(final, started, finished),
    )
    if final == "skipped":
        p.plan = None
        p.updated_at = created + timedelta(milliseconds=r.randint(50, 900))
    else:
        _stretch_queue(p, seed, project, detail, queued)
        advance_pipeline(p, now)
    detail.pipelines.append(p)
    return p


def _phase(plan: PipelinePlan, at: datetime) -> str:
    if plan.finished_at <= at:
        return "finished"
    return "running" if plan.started_at <= at else "pending"


def _stretch_queue(
    p: Pipeline, seed: int, project: Project, detail: ProjectDetail, drawn: float
) -> None:
    """Lengthen the drawn queue by the runners' load (load.py), moving the plan with it."""
    plan = p.plan
    if plan is None:
        return
    epoch = detail.generated_at or p.created_at
    factor = load.queue_factor(seed, project, p.created_at, epoch)
    delta = timedelta(seconds=load.stretched(drawn, factor) - drawn)
    if delta <= timedelta(0):
        return
    moved = PipelinePlan(plan.status, plan.started_at + delta, plan.finished_at + delta)
    if p.created_at <= epoch:
        # The organisation as generated keeps every status it had: a pipeline at work when
        # it was generated, or one the longer queue would move to another phase, keeps the
        # queue it drew.
        phase = _phase(plan, epoch)
        if phase == "running" or phase != _phase(moved, epoch):
            return
    plan.started_at, plan.finished_at = names.ms(moved.started_at), names.ms(moved.finished_at)
    p.queue_factor = factor


def advance_pipeline(p: Pipeline, now: datetime) -> None:
    """Apply the pipeline's plan up to `now`: pending, then running, then its final status."""
    plan = p.plan
    if plan is None:
        return
    if plan.finished_at <= now:
        p.status = plan.status
        p.started_at, p.finished_at = plan.started_at, plan.finished_at
        p.duration = round((plan.finished_at - plan.started_at).total_seconds())
        p.queued_duration = round((plan.started_at - p.created_at).total_seconds())
        p.updated_at = plan.finished_at + timedelta(milliseconds=10)
        if p.status == "success" and p.project_id % 2 == 0:
            p.coverage = f"{60 + (p.id % 400) / 10:.1f}"
        p.plan = None
    elif plan.started_at <= now:
        p.status, p.updated_at = _running_phase(p, plan, now)
        p.started_at = plan.started_at
        p.queued_duration = round((plan.started_at - p.created_at).total_seconds())
    else:
        p.status = "pending"


def _running_phase(p: Pipeline, plan: PipelinePlan, now: datetime) -> tuple[str, datetime]:
    """The status of a started pipeline at `now`, and since when (its `updated_at`)."""
    # Ci::HasStatus also has `canceling` (jobs are being stopped before the pipeline is
    # `canceled`) and `waiting_for_callback` (a job waits for an external service); neither
    # is finished. Both derive from the pipeline id, not the generator, so the rest of the
    # history stays as it was.
    if plan.status == "canceled":
        canceling = max(plan.started_at, plan.finished_at - timedelta(seconds=60 + p.id % 240))
        if now >= canceling:
            return "canceling", canceling
    elif p.id % 10 == 7:  # one pipeline in ten has a job that waits for a callback
        length = plan.finished_at - plan.started_at
        wait_from, wait_until = plan.started_at + length * 0.3, plan.started_at + length * 0.6
        if wait_from <= now < wait_until:
            return "waiting_for_callback", names.ms(wait_from)
        if now >= wait_until:
            return "running", names.ms(wait_until)
    return "running", plan.started_at
