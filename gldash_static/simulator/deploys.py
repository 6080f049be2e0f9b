"""Environments and deployments, derived from a project's pipelines, jobs and deploy plan.

GitLab creates a deployment with the job that deploys (Deployments::CreateForJobService, when
the pipeline is created) and keeps its status in step with the job's (Deployment#sync_status_with:
a manual job's deployment is `blocked`, a pending one stays `created`); every attempt of the
job has its own deployment, a rollback's re-run included. The environment is created with its
first deployment. Deployments through the API (`POST /projects/:id/deployments`, a deploy tool
promoting staging to production hours later) have no deployable. Iids follow creation; ids are
project id * 1,000,000 + iid. Everything is a function of the pipelines and the clock, so it
is derived again whenever either moved, and reading order changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gldash_static.simulator import deploy_plan, names
from gldash_static.simulator.deploy_plan import PRODUCTION, REVIEW_FOLDER, STAGING, DeployPlan
from gldash_static.simulator.jobs import JOB_ID_BASE
from gldash_static.simulator.model import (
    Deployment,
    Environment,
    Job,
    Pipeline,
    Project,
    ProjectDetail,
)
from gldash_static.simulator.retries import RETRY_OFFSET
from gldash_static.simulator.rollbacks import ROLLBACK_OFFSET, deploys_default

ENV_ID_BASE = 10_000
DEPLOYMENT_ID_BASE = 1_000_000
FINISHED = frozenset({"success", "failed", "canceled"})
UPCOMING = frozenset({"created", "blocked", "running"})
# Deployment#sync_status_with: the job's status, `manual` as `blocked`; statuses a deployment
# does not have (pending, canceling...) leave it where it was.
_FROM_JOB = {
    "created": "created",
    "pending": "created",
    "preparing": "created",
    "waiting_for_resource": "created",
    "scheduled": "created",
    "running": "running",
    "canceling": "running",
    "waiting_for_callback": "running",
    "manual": "blocked",
    "success": "success",
    "failed": "failed",
    "canceled": "canceled",
    "skipped": "skipped",
}
PROMOTE_SHARE = 0.55  # of staging deployments promoted to production
STOP_ON_MERGE = 0.55  # review apps stopped when their branch merges, not by auto-stop
STUCK_STOPPING = 0.06  # review apps whose stop job never finished


@dataclass(slots=True)
class _Draft:
    """A deployment before its iid is known."""

    env: str
    ref: str
    sha: str
    tag: bool
    status: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    user_id: int
    order: tuple[datetime, datetime, int, int]  # when it became visible, then creation
    job_id: int | None = None
    pipeline_id: int | None = None


@dataclass
class DeployState:
    """A project's environments (ascending id) and deployments (ascending iid)."""

    environments: list[Environment] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)

    def environment(self, env_id: int) -> Environment | None:
        """An environment by id."""
        return next((e for e in self.environments if e.id == env_id), None)

    def of(self, env_id: int) -> list[Deployment]:
        """An environment's deployments, ascending iid."""
        return [d for d in self.deployments if d.environment_id == env_id]


def _from_job(p: Pipeline, job: Job, env: str, generated: datetime | None) -> _Draft:
    status = _FROM_JOB.get(job.status, "created")
    done = job.finished_at or p.finished_at or p.updated_at
    finished = done if status in FINISHED else None
    if job.finished_at is not None:
        updated = job.finished_at
    elif job.started_at is not None:
        updated = job.started_at
    elif status in ("skipped", "canceled"):
        updated = done  # skipped or canceled with its pipeline
    else:
        updated = job.created_at
    visible = job.created_at
    number = job.id - p.id * JOB_ID_BASE
    if RETRY_OFFSET <= number < ROLLBACK_OFFSET and (generated is None or done > generated):
        # retries.py shows a retry only once its pipeline finished: it sorts from then on.
        visible = max(visible, done)
    # Whole milliseconds, as the API shows them (job times carry finer ones).
    return _Draft(
        env,
        p.ref,
        p.sha,
        p.tag,
        status,
        names.ms(job.created_at),
        names.ms(max(updated, job.created_at)),
        None if finished is None else names.ms(finished),
        job.user_id,
        (visible, job.created_at, p.id, job.id),
        job.id,
        p.id,
    )


def _targets(plan: DeployPlan, project: Project, p: Pipeline) -> list[tuple[str, str]]:
    """(job, environment) pairs that deploy in the pipeline."""
    if p.source == "merge_request_event" or p.ref.startswith("refs/"):
        return []
    if deploys_default(p, project):
        return list(plan.targets)
    if plan.review_job is not None:
        return [(plan.review_job, f"{REVIEW_FOLDER}/{deploy_plan.ref_slug(p.ref) or 'env'}")]
    return []


def _api(
    env: str, p_ref: str, sha: str, at: datetime, now: datetime, r_key: tuple[object, ...]
) -> _Draft | None:
    """A deployment a deploy tool created through the API at `at` (None: not yet)."""
    if at > now:
        return None
    r = names.rng(*r_key)
    took = timedelta(seconds=r.uniform(40, 400))
    done = at + took <= now
    status = ("failed" if r.random() < 0.06 else "success") if done else "running"
    end = names.ms(at + took)
    return _Draft(
        env,
        p_ref,
        sha,
        False,
        status,
        at,
        end if done else at,
        end if done else None,
        0,  # set by the caller
        (at, at, 0, 0),
    )


def _promotions(
    seed: int,
    project: Project,
    drafts: list[_Draft],
    plan: DeployPlan,
    now: datetime,
    user_ids: list[int],
) -> list[_Draft]:
    """API deployments: staging promoted to production, production copied to the extra one."""
    out: list[_Draft] = []
    default = project.default_branch or ""
    if plan.promote:
        staged = [
            d
            for d in drafts
            if d.env == STAGING and d.status == "success" and d.finished_at and not d.tag
        ]
        last_at: datetime | None = None
        last_sha = ""
        for d in staged:
            assert d.finished_at is not None
            if names.unit(seed, "promote", project.id, d.job_id) >= PROMOTE_SHARE:
                continue
            r = names.rng(seed, "promote", project.id, d.job_id)
            at = names.ms(d.finished_at + timedelta(hours=r.uniform(1.5, 30)))
            # The tool promotes what staging runs by then.
            sha = max(
                (s for s in staged if s.finished_at and s.finished_at <= at),
                key=lambda s: s.order,
            ).sha
            if (last_at is not None and at <= last_at) or sha == last_sha:
                continue
            made = _api(PRODUCTION, default, sha, at, now, (seed, "promoted", project.id, at))
            if made is not None:
                made.user_id = r.choice(user_ids) if user_ids else project.creator_id
                out.append(made)
                last_at, last_sha = at, sha
    if plan.extra:
        ran = [d for d in drafts + out if d.env == PRODUCTION and d.status == "success"]
        for d in ran:
            assert d.finished_at is not None
            r = names.rng(seed, "extra", project.id, d.finished_at.isoformat())
            if r.random() >= 0.8:
                continue
            at = names.ms(d.finished_at + timedelta(minutes=r.uniform(10, 60)))
            made = _api(plan.extra, d.ref, d.sha, at, now, (seed, "extra-run", project.id, at))
            if made is not None:
                made.user_id = d.user_id
                out.append(made)
    return out


def derive(
    seed: int,
    project: Project,
    detail: ProjectDetail,
    now: datetime,
    jobs_of: Callable[[Pipeline], list[Job]],
    user_ids: list[int],
) -> DeployState:
    """The project's environments and deployments at `now`."""
    plan = deploy_plan.plan_for(seed, project)
    if not plan.deploys:
        return DeployState()
    drafts: list[_Draft] = []
    for p in detail.pipelines:
        pairs = _targets(plan, project, p)
        if not pairs:
            continue
        attempts = jobs_of(p)
        for job_name, env in pairs:
            for job in attempts:
                if job.name == job_name:
                    drafts.append(_from_job(p, job, env, detail.generated_at))
    drafts.sort(key=lambda d: d.order)
    api = _promotions(seed, project, drafts, plan, now, user_ids)
    drafts = sorted(drafts + api, key=lambda d: d.order)
    return _assemble(seed, project, drafts, now)


def _assemble(seed: int, project: Project, drafts: list[_Draft], now: datetime) -> DeployState:
    envs: dict[str, Environment] = {}
    deployments: list[Deployment] = []
    for iid, d in enumerate(drafts, start=1):
        env = envs.get(d.env)
        if env is None:
            env = envs[d.env] = Environment(
                id=project.id * ENV_ID_BASE + len(envs) + 1,
                project_id=project.id,
                name=d.env,
                slug=deploy_plan.env_slug(d.env),
                tier=deploy_plan.tier_of(d.env),
                external_url=deploy_plan.external_url(seed, project, d.env),
                state="available",
                created_at=d.created_at,
                updated_at=d.created_at,
                auto_stop_at=None,
                description=deploy_plan.description(seed, project, d.env),
            )
        deployments.append(
            Deployment(
                id=project.id * DEPLOYMENT_ID_BASE + iid,
                iid=iid,
                project_id=project.id,
                environment_id=env.id,
                ref=d.ref,
                sha=d.sha,
                tag=d.tag,
                status=d.status,
                created_at=d.created_at,
                updated_at=d.updated_at,
                finished_at=d.finished_at,
                user_id=d.user_id,
                job_id=d.job_id,
                pipeline_id=d.pipeline_id,
            )
        )
    state = DeployState(list(envs.values()), deployments)
    for env in state.environments:
        _settle(seed, project, env, state.of(env.id), now)
    return state


def _settle(
    seed: int, project: Project, env: Environment, deps: list[Deployment], now: datetime
) -> None:
    """The environment's state, auto-stop time and updated_at, from its deployments."""
    done = [d for d in deps if d.status == "success" and d.finished_at is not None]
    if done:
        last_done = max(d.finished_at for d in done if d.finished_at is not None)
        env.updated_at = max(env.updated_at, last_done)
    review = env.name.startswith(f"{REVIEW_FOLDER}/")
    if not (review or project.archived) or not deps:
        return
    last = deps[-1]
    end = last.finished_at
    if end is None:
        return  # deploying right now
    r = names.rng(seed, "env-stop", project.id, env.name, last.iid)
    if project.archived:
        stop_at = end + timedelta(days=14)  # the team tidied up after archiving
    elif r.random() < STOP_ON_MERGE:
        stop_at = end + timedelta(hours=r.uniform(2, 72))  # the branch merged: on_stop ran
    else:
        stop_at = end + timedelta(days=deploy_plan.AUTO_STOP_DAYS)
    stop_at = names.ms(stop_at)
    auto_stop = names.ms(end + timedelta(days=deploy_plan.AUTO_STOP_DAYS))
    if stop_at > now:
        if review:
            env.auto_stop_at = auto_stop
        return
    # Stopping clears auto_stop_at (Environment's `before_transition any => :stopped`); a stop
    # job that never finished leaves it `stopping`, with the auto-stop time that started it.
    if review and r.random() < STUCK_STOPPING:
        env.state = "stopping"
        env.auto_stop_at = auto_stop if stop_at == auto_stop else None
    else:
        env.state = "stopped"
    env.updated_at = max(env.updated_at, stop_at)
