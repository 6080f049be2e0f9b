"""Routes for a pipeline's test reports and a project's commits."""

from __future__ import annotations

from typing import Any

from gldash_static.simulator import commits, testreports
from gldash_static.simulator.errors import ApiError, not_found
from gldash_static.simulator.model import Pipeline, Project
from gldash_static.simulator.permissions import Abilities, feature_allowed
from gldash_static.simulator.routing import Context, Reply, Request, Router
from gldash_static.simulator.serialize import local_ts

FORBIDDEN = ApiError(403, {"message": "403 Forbidden"})


class ReportRoutes:
    """Handlers for test reports (lib/api/ci/pipelines.rb) and commits (lib/api/commits.rb)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.state = ctx.state
        self.ser = ctx.ser

    def register(self, r: Router) -> None:
        """Add this module's routes."""
        r.add("GET", "/projects/:id/pipelines/:pipeline_id/test_report", self.test_report)
        r.add("GET", "/projects/:id/pipelines/:pipeline_id/test_report_summary", self.summary)
        r.add("GET", "/projects/:id/repository/commits/:sha", self.commit)

    # --- test reports --------------------------------------------------------------------

    def _reported(self, req: Request) -> tuple[Project, list[testreports.Suite]]:
        # `authorize! :read_build, pipeline` after `user_project` (404 for a project the user
        # cannot see) and `all_pipelines.find` (404 for an unknown pipeline): a user shut out
        # of CI/CD gets 403.
        project = self.ctx.project(req)
        raw = req.params["pipeline_id"]
        pl = self.state.pipeline(project.id, int(raw)) if raw.isdigit() else None
        if pl is None:
            raise not_found()
        if not self.state.abilities(req.viewer, project).read_build:
            raise FORBIDDEN
        latest = self.state.jobs(project.id, pl.id)
        return project, testreports.suites(self.state.spec.seed, project, pl.id, latest)

    def test_report(self, req: Request) -> Reply:
        """GET /projects/:id/pipelines/:pipeline_id/test_report: suites with their cases."""
        project, found = self._reported(req)
        jobs_url = f"{self.ser.web}/{project.path_with_namespace}/-/jobs"
        return Reply(testreports.report_body(found, jobs_url))

    def summary(self, req: Request) -> Reply:
        """GET /projects/:id/pipelines/:pipeline_id/test_report_summary: counts only."""
        _, found = self._reported(req)
        return Reply(testreports.summary_body(found))

    # --- commits ------------------------------------------------------------------------

    def commit(self, req: Request) -> Reply:
        """GET /projects/:id/repository/commits/:sha (a sha, a short sha, a branch or tag)."""
        project = self.ctx.project(req)
        viewer = req.viewer
        level = self.state.role_level(viewer, project)
        # lib/api/commits.rb: `require_repository_enabled!` (404 "Repository" when the
        # repository is off or for members only and the user is none), then
        # `authorize_read_code!` (403).
        if not feature_allowed(project, "repository", viewer.is_admin, level):
            raise not_found("Repository")
        abilities = self.state.abilities(viewer, project)
        if not abilities.download_code:
            raise FORBIDDEN
        detail = self.state.detail(project.id)
        found = commits.resolve(project, detail, req.params["sha"])
        if found is None:
            raise not_found("Commit")
        latest = max(
            (p for p in detail.pipelines if p.sha == found.sha), key=lambda p: p.id, default=None
        )
        body = self._commit_body(project, found, latest, abilities)
        if req.flag("stats", True):
            body["stats"] = commits.stats(found.sha)
        return Reply(body)

    def _commit_body(
        self,
        project: Project,
        c: commits.CommitInfo,
        latest: Pipeline | None,
        abilities: Abilities,
    ) -> dict[str, Any]:
        """API::Entities::CommitDetail: the Commit fields, status, project_id, last_pipeline."""
        author = self.state.users[c.author_id]
        when = local_ts(c.committed_at, author.tz_offset_minutes)
        tail, trailers, extended = commits.trailers(c.sha, author.name, author.email)
        last = status = None
        if latest is not None and abilities.read_pipeline:  # PipelineBasic: no name
            last = {k: v for k, v in self.ser.pipeline(latest).items() if k != "name"}
            # CommitPresenter#status_for also wants read_commit_status (CI/CD: read_build).
            status = latest.status if abilities.read_build else None
        return {
            "id": c.sha,
            "short_id": c.sha[:8],
            "created_at": when,
            "parent_ids": [c.parent_sha],
            "title": c.title,
            "message": f"{c.title}\n{tail}",
            "author_name": author.name,
            "author_email": author.email,
            "authored_date": when,
            "committer_name": author.name,
            "committer_email": author.email,
            "committed_date": when,
            "trailers": trailers,
            "extended_trailers": extended,
            "web_url": f"{self.ser.web}/{project.path_with_namespace}/-/commit/{c.sha}",
            "status": status,
            "project_id": project.id,
            "last_pipeline": last,
        }
