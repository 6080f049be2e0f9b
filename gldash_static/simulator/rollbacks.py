"""What a team does after a failed production deployment: roll back, or revert the commit.

A rollback is GitLab's "Re-deploy" of the deployment that last succeeded (the environment's
"Rollback" button): Ci::RetryJobService runs that deployment's job again, as a new attempt in
its old pipeline, which marks the old attempt retried, deploys the old sha once more and
moves the pipeline's `updated_at` and `finished_at` to when the new attempt finished. Like the
retries of retries.py, rollbacks belong to the generated history: the clock adds none, so a
pipeline that has finished never changes while it runs. They all pass, so no pipeline's
status changes either. The attempt's id is pipeline id * 100 + ROLLBACK_OFFSET + the job's
number, above every retry.

When the clock runs, a push to the default branch right after a failed deploy sometimes
reverts the commit that broke it (`Revert "..."`, as `git revert` titles it).

Every decision draws from generators of its own, keyed by the failed pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from gldash_static.simulator import deploy_plan, names
from gldash_static.simulator.jobs import JOB_ID_BASE, jobs_for
from gldash_static.simulator.model import Job, Pipeline, Project, ProjectDetail, Rollback
from gldash_static.simulator.retries import RETRY_OFFSET

ROLLBACK_OFFSET = 70  # above RETRY_OFFSET + every job number
ROLLBACK_SHARE = 0.45  # of failed production deployments that someone rolls back
REVERT_SHARE = 0.5  # of pushes right after a failed deploy that revert the breaking commit

JobsOf = Callable[[Pipeline], list[Job]]


def deploys_default(p: Pipeline, project: Project) -> bool:
    """Whether the pipeline runs the default branch's deploy jobs (its branch, or a tag)."""
    return p.tag or p.ref == project.default_branch


def latest(jobs: list[Job], name: str) -> Job | None:
    """The latest attempt of the named job."""
    found = [j for j in jobs if j.name == name and not j.retried]
    return found[-1] if found else None


def base_view(detail: ProjectDetail, p: Pipeline) -> Pipeline:
    """The pipeline as its jobs were derived, before a rollback ran one of them again."""
    rb = detail.rollbacks.get(p.id)
    if rb is None:
        return p
    return replace(
        p,
        updated_at=rb.base_updated_at,
        finished_at=rb.base_finished_at,
        duration=rb.base_duration,
    )


def with_rollback(detail: ProjectDetail, p: Pipeline, attempts: list[Job]) -> list[Job]:
    """Every attempt of the pipeline's jobs, a rollback's new attempt included."""
    rb = detail.rollbacks.get(p.id)
    if rb is None:
        return attempts
    out = [replace(j, retried=True) if j.id == rb.replaced_id else j for j in attempts]
    return sorted([*out, rb.job], key=lambda j: j.id)


def _production_status(p: Pipeline, job: str, jobs_of: JobsOf) -> tuple[str, Job | None]:
    """How the pipeline's production deploy job ended (its jobs are derived only if needed)."""
    if p.status in ("success", "skipped", "canceled"):
        # A passed pipeline passed every deploy job; a skipped or canceled one ran none.
        return p.status, None
    found = latest(jobs_of(p), job)
    return (found.status, found) if found is not None else ("skipped", None)


def generate(
    seed: int, project: Project, detail: ProjectDetail, user_ids: list[int], now: datetime
) -> None:
    """Decide the history's rollbacks and apply them to their pipelines (once, when generated)."""
    job = deploy_plan.plan_for(seed, project).production_job()
    if job is None:
        return

    def jobs_of(p: Pipeline) -> list[Job]:
        return jobs_for(seed, project, p)

    deploying = [p for p in detail.pipelines if deploys_default(p, project) and p.plan is None]
    good: Pipeline | None = None  # whose deployment production runs
    for k, p in enumerate(deploying):
        status, failed = _production_status(p, job, jobs_of)
        if status == "success":
            good = p
            continue
        if status != "failed" or failed is None or failed.finished_at is None or good is None:
            continue
        if good.id in detail.rollbacks or names.unit(seed, "rollback", p.id) >= ROLLBACK_SHARE:
            continue  # a job is re-run once at most; most failures are fixed forward
        r = names.rng(seed, "rollback", p.id)
        at = names.ms(failed.finished_at + timedelta(minutes=r.uniform(6, 90)))
        following = deploying[k + 1] if k + 1 < len(deploying) else None
        if following is not None and following.created_at <= at:
            continue  # a fix was pushed first
        old = latest(jobs_of(good), job)
        if old is None or old.finished_at is None:
            continue
        queued = round(r.uniform(1.0, 20.0), 3)
        length = round(old.duration or 30.0, 3)
        started = names.ms(at + timedelta(seconds=queued))
        finished = names.ms(started + timedelta(seconds=length))
        if finished > now:
            continue  # the history holds finished rollbacks only
        number = (old.id - good.id * JOB_ID_BASE) % RETRY_OFFSET
        new = replace(
            old,
            id=good.id * JOB_ID_BASE + ROLLBACK_OFFSET + number,
            created_at=at,
            started_at=started,
            finished_at=finished,
            duration=length,
            queued_duration=queued,
            user_id=r.choice(user_ids) if user_ids else old.user_id,
            artifacts_expire_at=finished + timedelta(days=30),
        )
        detail.rollbacks[good.id] = Rollback(
            new, old.id, p.id, good.updated_at, old_finished(good), good.duration
        )
        # The pipeline ran again: it finished anew (Ci::Pipeline's transition to success sets
        # finished_at and recomputes the duration from its jobs' periods).
        good.finished_at = finished
        good.updated_at = finished + timedelta(milliseconds=10)
        good.duration = (good.duration or 0) + round(length)


def old_finished(p: Pipeline) -> datetime:
    """A finished pipeline's finished_at (its updated_at when GitLab left it unset)."""
    return p.finished_at or p.updated_at


def revert_title(seed: int, project: Project, detail: ProjectDetail, p: Pipeline) -> None:
    """A push to the default branch right after a failed deploy may revert its commit."""
    if p.source != "push" or p.ref != project.default_branch:
        return
    if names.unit(seed, "revert", p.id) >= REVERT_SHARE:
        return  # most teams fix forward
    plan = deploy_plan.plan_for(seed, project)
    before = [
        q
        for q in detail.pipelines
        if q is not p and deploys_default(q, project) and q.created_at <= p.created_at
    ]
    if not plan.deploys or not before:
        return
    last = before[-1]
    if last.status != "failed" or last.finished_at is None or last.finished_at > p.created_at:
        return
    attempts = jobs_for(seed, project, base_view(detail, last))
    deploy_jobs = [latest(attempts, job) for job, _ in plan.targets]
    if any(j is not None and j.status == "failed" for j in deploy_jobs):
        p.commit_title = f'Revert "{last.commit_title}"'
