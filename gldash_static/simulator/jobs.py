"""CI jobs, derived deterministically from their pipeline so they never need storing."""

from __future__ import annotations

from datetime import timedelta

from gldash_static.simulator import load, names, retries
from gldash_static.simulator.model import Job, Pipeline, Project

JOB_ID_BASE = 100  # job id = pipeline id * base + job number (+ 50 for a retry)
# Pipeline statuses with a stage at work: its jobs show the same status, later ones wait.
_AT_WORK = {"running": "created", "canceling": "canceled", "waiting_for_callback": "created"}


def stage_template(seed: int, project: Project) -> list[tuple[str, list[str]]]:
    """The project's CI stages and job names."""
    return names.rng(seed, "stages", project.id).choice(names.STAGE_TEMPLATES)


def jobs_for(seed: int, project: Project, p: Pipeline) -> list[Job]:
    """The pipeline's job attempts, retried ones included (`retried`), ascending id."""
    return retries.attempts(seed, project, p, _latest(seed, project, p))


def _latest(seed: int, project: Project, p: Pipeline) -> list[Job]:
    """The pipeline's jobs as they ended, consistent with its status and times."""
    r = names.rng(seed, "jobs", p.id, p.status)
    stages = stage_template(seed, project)
    plan_start = p.plan.started_at if p.plan else p.started_at
    plan_end = p.plan.finished_at if p.plan else p.finished_at
    total = (plan_end - plan_start).total_seconds() if plan_start and plan_end else 0.0
    n_stages = len(stages)
    fail_stage = r.randrange(n_stages) if p.status in ("failed", "canceled") else n_stages
    if p.status in _AT_WORK and plan_start and plan_end and p.plan:
        elapsed = (p.updated_at - plan_start).total_seconds()
        fail_stage = min(n_stages - 1, int(n_stages * max(0.0, elapsed) / max(total, 1.0)))
    jobs: list[Job] = []
    n = 0
    for si, (stage, job_names) in enumerate(stages):
        s_start = plan_start + timedelta(seconds=total * si / n_stages) if plan_start else None
        for name in job_names:
            n += 1
            status, reason = "success", None
            if p.status == "skipped":
                status = "skipped"
            elif p.status == "pending":
                status = "pending" if si == 0 else "created"
            elif si > fail_stage:
                status = {"failed": "skipped", "canceled": "canceled", **_AT_WORK}.get(
                    p.status, "success"
                )
            elif si == fail_stage:
                status = p.status  # failed, canceled, or a status of _AT_WORK
                if status == "failed" and name != job_names[0] and r.random() < 0.5:
                    status = "success"  # only one job of the stage broke
                if status == "failed":
                    reason = r.choice(names.FAILURE_REASONS)
                    if reason == "runner_system_failure" and (p.id + n) % 2 == 0:
                        # A runner that could not prepare the job (no random draw: the
                        # organisation stays as it was).
                        reason = "unmet_prerequisites"
            allow = name in ("lint", "ruff", "eslint") and r.random() < 0.5 and status != "failed"
            if p.status == "success" and allow and r.random() < 0.2:
                status, reason = "failed", "script_failure"  # allowed to fail: still a pass
            started = finished = None
            duration = queued = None
            if s_start is not None and status not in ("created", "pending", "skipped"):
                queued = round(r.uniform(0.2, 9.0), 3)
                if status not in _AT_WORK:
                    slot = total / n_stages
                    duration = round(max(1.0, slot * r.uniform(0.4, 0.95)), 3)
                    if p.queue_factor != 1.0:
                        # The pipeline's load stretches its jobs' queues, within the stage.
                        room = max(queued, slot - duration)
                        queued = round(min(load.stretched(queued, p.queue_factor), room), 3)
                started = s_start + timedelta(seconds=queued)
                if duration is not None:
                    finished = started + timedelta(seconds=duration)
            jobs.append(
                Job(
                    id=p.id * JOB_ID_BASE + n,
                    pipeline_id=p.id,
                    project_id=p.project_id,
                    name=name,
                    stage=stage,
                    status=status,
                    failure_reason=reason,
                    allow_failure=allow,
                    created_at=p.created_at + timedelta(milliseconds=40 * n),
                    started_at=started,
                    finished_at=finished,
                    duration=duration,
                    queued_duration=queued,
                    coverage=float(p.coverage) if p.coverage and stage == "test" else None,
                    user_id=p.user_id,
                    ref=p.ref,
                    sha=p.sha,
                    tag=p.tag,
                    artifacts_expire_at=finished + timedelta(days=30) if finished else None,
                )
            )
    return jobs
