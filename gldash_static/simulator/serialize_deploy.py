"""Environment and deployment bodies, field for field as GitLab's API entities expose them.

Sources (gitlabhq): `lib/api/entities/environment_basic.rb` (id name slug external_url
created_at updated_at), `environment.rb` (tier, project as BasicProjectDetails, last_deployment
only when asked, state, auto_stop_at, description, auto_stop_setting; cluster_agent,
kubernetes_namespace and flux_resource_path only with a cluster agent, which no environment
here has), `deployment.rb` (id iid ref sha created_at updated_at, user as UserBasic, environment
as EnvironmentBasic, deployable as Ci::Job, status: no finished_at). `lib/api/environments.rb`
lists environments with their project and without last_deployment, and shows one without its
project but with last_deployment, that without its environment.
"""

from __future__ import annotations

from typing import Any

from gldash_static.simulator.deploys import DeployState
from gldash_static.simulator.model import Deployment, Environment, Project
from gldash_static.simulator.serialize import Serializer, ts
from gldash_static.simulator.state import OrgState

Body = dict[str, Any]


def environment_basic(e: Environment) -> Body:
    """Entities::EnvironmentBasic, nested in deployments."""
    return {
        "id": e.id,
        "name": e.name,
        "slug": e.slug,
        "external_url": e.external_url,
        "created_at": ts(e.created_at),
        "updated_at": ts(e.updated_at),
    }


def _environment_rest(e: Environment) -> Body:
    return {
        "state": e.state,
        "auto_stop_at": ts(e.auto_stop_at),
        "description": e.description,
        "auto_stop_setting": "always",
    }


class DeploySerializer:
    """Bodies for the environments and deployments endpoints."""

    def __init__(self, state: OrgState, ser: Serializer) -> None:
        self.state = state
        self.ser = ser

    def environment_item(self, e: Environment, project: Body) -> Body:
        """An item of GET /projects/:id/environments (with its project, no last_deployment)."""
        return environment_basic(e) | {"tier": e.tier, "project": project} | _environment_rest(e)

    def environment_single(self, e: Environment, last: Deployment | None) -> Body:
        """GET /projects/:id/environments/:environment_id."""
        body = environment_basic(e) | {"tier": e.tier}
        body["last_deployment"] = None if last is None else self.deployment(last, None)
        return body | _environment_rest(e)

    def deployment(self, d: Deployment, env: Environment | None) -> Body:
        """Entities::Deployment; without `environment` when `env` is None (nested in one)."""
        body: Body = {
            "id": d.id,
            "iid": d.iid,
            "ref": d.ref,
            "sha": d.sha,
            "created_at": ts(d.created_at),
            "updated_at": ts(d.updated_at),
            "user": self.ser.user(d.user_id),
        }
        if env is not None:
            body["environment"] = environment_basic(env)
        body["deployable"] = self.deployable(d)
        body["status"] = d.status
        return body

    def deployable(self, d: Deployment) -> Body | None:
        """The deploy job, exactly as GET /projects/:id/jobs/:job_id shows it."""
        if d.job_id is None or d.pipeline_id is None:
            return None
        pipeline = self.state.pipeline(d.project_id, d.pipeline_id)
        if pipeline is None:
            return None
        job = next(
            (j for j in self.state.all_jobs(d.project_id, pipeline.id) if j.id == d.job_id), None
        )
        return None if job is None else self.ser.job(job, pipeline)


def last_deployment(found: DeployState, env: Environment) -> Deployment | None:
    """Environment#last_deployment: the last successful one, by finished_at."""
    done = [d for d in found.of(env.id) if d.status == "success" and d.finished_at is not None]
    return max(done, key=lambda d: (d.finished_at, d.id)) if done else None


def basic_project(ser: Serializer, p: Project, viewer: Any) -> Body:
    """Entities::BasicProjectDetails, as `simple=true` project listings send it."""
    return ser.project(p, simple=True, viewer=viewer)
