"""Routes for pipelines, jobs, branches, merge requests, artifacts, triggers and schedules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gldash_static.simulator.errors import ApiError, not_found
from gldash_static.simulator.jobs import JOB_ID_BASE
from gldash_static.simulator.model import MergeRequest, Pipeline, Project, Schedule
from gldash_static.simulator.pagination import single_column_order
from gldash_static.simulator.permissions import (
    DOWNLOAD_CODE,
    READ_BUILD,
    READ_MERGE_REQUEST,
    READ_PIPELINE,
)
from gldash_static.simulator.routing import Context, Reply, Request, Router, sort_items

# Ci::HasStatus::AVAILABLE_STATUSES, which `status` of GET .../pipelines accepts.
PIPELINE_STATUSES = (
    "created",
    "waiting_for_resource",
    "preparing",
    "waiting_for_callback",
    "pending",
    "running",
    "success",
    "failed",
    "canceling",
    "canceled",
    "skipped",
    "manual",
    "scheduled",
)
JOB_SCOPES = PIPELINE_STATUSES
MR_STATES = ("opened", "closed", "locked", "merged", "all")


def _next_run(cron: str, now: datetime) -> datetime:
    """The next run of "M H * * *" crons; other crons run at the next full hour."""
    parts = cron.split()
    if len(parts) == 5 and parts[0].isdigit() and parts[1].isdigit() and parts[2:] == ["*"] * 3:
        run = now.replace(
            hour=int(parts[1]) % 24, minute=int(parts[0]) % 60, second=0, microsecond=0
        )
        return run if run > now else run + timedelta(days=1)
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


class CiRoutes:
    """Handlers for a project's CI and code-review resources."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.state = ctx.state
        self.ser = ctx.ser

    def register(self, r: Router) -> None:
        """Add this module's routes."""
        r.add("GET", "/projects/:id/pipelines", self.pipelines)
        r.add("GET", "/projects/:id/pipelines/latest", self.latest_pipeline)
        r.add("GET", "/projects/:id/pipelines/:pipeline_id", self.pipeline)
        r.add("GET", "/projects/:id/pipelines/:pipeline_id/jobs", self.pipeline_jobs)
        r.add("GET", "/projects/:id/jobs", self.project_jobs)
        r.add("GET", "/projects/:id/jobs/artifacts/:ref/download", self.artifact, True)
        r.add("GET", "/projects/:id/jobs/:job_id", self.job)
        r.add("GET", "/projects/:id/repository/branches", self.branches)
        r.add("GET", "/projects/:id/repository/branches/:branch", self.branch)
        r.add("GET", "/projects/:id/merge_requests", self.project_mrs)
        r.add("GET", "/projects/:id/merge_requests/:iid", self.project_mr)
        r.add("GET", "/groups/:id/merge_requests", self.group_mrs)
        r.add("POST", "/projects/:id/trigger/pipeline", self.trigger, True)
        r.add("POST", "/projects/:id/ref/:ref/trigger/pipeline", self.trigger, True)
        r.add("GET", "/projects/:id/pipeline_schedules", self.schedules)
        r.add("POST", "/projects/:id/pipeline_schedules", self.create_schedule)
        r.add("GET", "/projects/:id/pipeline_schedules/:schedule_id", self.schedule)
        r.add("PUT", "/projects/:id/pipeline_schedules/:schedule_id", self.edit_schedule)

    # --- pipelines and jobs ------------------------------------------------------------------

    def pipelines(self, req: Request) -> Reply:
        """GET /projects/:id/pipelines with ref, status, source, scope and time filters."""
        p = self.ctx.project(req, "id", READ_PIPELINE, READ_BUILD)  # GitLab checks both
        ref, sha, source, name = req.get("ref"), req.get("sha"), req.get("source"), req.get("name")
        status = req.get("status")
        if status is not None and status not in PIPELINE_STATUSES:
            raise ApiError(400, {"error": "status does not have a valid value"})
        scope = req.get("scope")
        after, before = req.time("updated_after"), req.time("updated_before")
        c_after, c_before = req.time("created_after"), req.time("created_before")
        username = req.get("username")
        items: list[Pipeline] = []
        for pl in self.state.pipelines(p.id):
            if ref is not None and pl.ref != ref:
                continue
            if sha is not None and pl.sha != sha:
                continue
            if status is not None and pl.status != status:
                continue
            if source is not None and pl.source != source:
                continue
            if name is not None and pl.name != name:
                continue
            # Inclusive bounds: UpdatedAtFilterable's `updated_at >= ?` / `<= ?`.
            if after is not None and pl.updated_at < after:
                continue
            if before is not None and pl.updated_at > before:
                continue
            # Inclusive too: CreatedAtFilter with CreatedAtFilterable's `>=` / `<=`.
            if c_after is not None and pl.created_at < c_after:
                continue
            if c_before is not None and pl.created_at > c_before:
                continue
            if username is not None and self.state.users[pl.user_id].username != username:
                continue
            if scope == "running" and pl.status != "running":
                continue
            if scope == "pending" and pl.status != "pending":
                continue
            if scope == "finished" and pl.status not in ("success", "failed", "canceled"):
                continue
            if scope == "tags" and not pl.tag:
                continue
            if scope == "branches" and pl.tag:
                continue
            items.append(pl)
        order = req.choice("order_by", ("id", "status", "ref", "updated_at", "user_id"), "id")
        desc = req.choice("sort", ("asc", "desc"), "desc") == "desc"
        # Ci::PipelinesFinder orders by the one column asked for, with no tie-breaker.
        ordered = single_column_order(
            items, lambda pl: getattr(pl, order), lambda pl: pl.id, desc, req.query
        )
        return self.ctx.page(req, ordered, self.ser.pipeline)

    def latest_pipeline(self, req: Request) -> Reply:
        """GET /projects/:id/pipelines/latest: the newest on `ref` (default: default branch)."""
        p = self.ctx.project(req, "id", READ_PIPELINE)
        ref = req.get("ref") or p.default_branch
        for pl in reversed(self.state.pipelines(p.id)):
            if pl.ref == ref:
                return Reply(self.ser.pipeline_single(pl))
        raise not_found()

    def _pipeline(self, req: Request, project: Project) -> Pipeline:
        raw = req.params["pipeline_id"]
        pl = self.state.pipeline(project.id, int(raw)) if raw.isdigit() else None
        if pl is None:
            raise not_found()
        return pl

    def pipeline(self, req: Request) -> Reply:
        """GET /projects/:id/pipelines/:pipeline_id."""
        project = self.ctx.project(req, "id", READ_PIPELINE)
        return Reply(self.ser.pipeline_single(self._pipeline(req, project)))

    def _scoped(self, req: Request, jobs: list[Any]) -> list[Any]:
        scopes = req.get_list("scope")
        bad = [s for s in scopes if s not in JOB_SCOPES]
        if bad:
            raise ApiError(400, {"error": "scope does not have a valid value"})
        return [j for j in jobs if j.status in scopes] if scopes else jobs

    def pipeline_jobs(self, req: Request) -> Reply:
        """GET /projects/:id/pipelines/:pipeline_id/jobs with scope[] and include_retried."""
        project = self.ctx.project(req, "id", READ_PIPELINE)
        pl = self._pipeline(req, project)
        # Ci::JobsFinder: `latest` attempts unless include_retried, newest (highest id) first.
        if req.flag("include_retried", False):
            attempts = self.state.all_jobs(project.id, pl.id)
        else:
            attempts = self.state.jobs(project.id, pl.id)
        jobs = self._scoped(req, sorted(attempts, key=lambda j: -j.id))
        if not self.state.abilities(req.viewer, project).read_build:
            jobs = []  # Ci::JobsFinder answers "none" rather than 403
        return self.ctx.page(req, jobs, lambda j: self.ser.job(j, pl))

    def project_jobs(self, req: Request) -> Reply:
        """GET /projects/:id/jobs: every attempt, retried ones too, newest first."""
        project = self.ctx.project(req, "id", READ_BUILD)
        pairs = []
        for pl in reversed(self.state.pipelines(project.id)):
            for j in reversed(self.state.all_jobs(project.id, pl.id)):
                pairs.append((j, pl))
        allowed = {id(j) for j in self._scoped(req, [j for j, _ in pairs])}
        pairs = [(j, pl) for j, pl in pairs if id(j) in allowed]
        return self.ctx.page(req, pairs, lambda jp: self.ser.job(jp[0], jp[1]))

    def job(self, req: Request) -> Reply:
        """GET /projects/:id/jobs/:job_id."""
        project = self.ctx.project(req, "id", READ_BUILD)
        raw = req.params["job_id"]
        if raw.isdigit():
            pl = self.state.pipeline(project.id, int(raw) // JOB_ID_BASE)
            if pl is not None:
                for j in self.state.all_jobs(project.id, pl.id):
                    if j.id == int(raw):
                        return Reply(self.ser.job(j, pl))
        raise not_found()

    def artifact(self, req: Request) -> Reply:
        """GET /projects/:id/jobs/artifacts/:ref/download?job=NAME: a stored zip."""
        p = self.state.find_project(req.params["id"])
        if p is None or (req.user is None and p.visibility != "public"):
            raise not_found("Project")
        if req.user is not None and not self.state.can_see_project(req.user, p):
            raise not_found("Project")
        data = self.state.artifacts.get((p.id, req.params["ref"], req.get("job") or ""))
        if data is None:
            raise not_found()
        return Reply(
            data,
            content_type="application/zip",
            headers={"Content-Disposition": 'attachment; filename="artifacts.zip"'},
        )

    def trigger(self, req: Request) -> Reply:
        """POST /projects/:id/trigger/pipeline with token, ref and variables[KEY]."""
        p = self.state.find_project(req.params["id"])
        token = req.get("token")
        if p is None or token is None or self.state.triggers.get(token) != p.id:
            raise ApiError(404, {"message": "404 Not Found"})
        ref = req.params.get("ref") or req.get("ref")
        if not ref:
            raise ApiError(400, {"error": "ref is missing"})
        variables: dict[str, str] = {}
        raw_vars = req.body.get("variables")
        if isinstance(raw_vars, dict):
            variables.update({str(k): str(v) for k, v in raw_vars.items()})
        for k, v in list(req.query) + [(k, str(v)) for k, v in req.body.items()]:
            if k.startswith("variables[") and k.endswith("]"):
                variables[k[10:-1]] = v
        if ref not in {b.name for b in self.state.branches(p.id)}:
            raise ApiError(400, {"message": {"base": ["Reference not found"]}})
        pl = self.state.trigger_pipeline(p.id, ref, variables)
        return Reply(self.ser.pipeline_single(pl), status=201)

    # --- branches and merge requests ------------------------------------------------------

    def branches(self, req: Request) -> Reply:
        """GET /projects/:id/repository/branches (search)."""
        p = self.ctx.project(req, "id", DOWNLOAD_CODE)
        search = req.get("search")
        items = [b for b in self.state.branches(p.id) if not search or search in b.name]
        return self.ctx.page(req, items, self.ser.branch)

    def branch(self, req: Request) -> Reply:
        """GET /projects/:id/repository/branches/:branch."""
        p = self.ctx.project(req, "id", DOWNLOAD_CODE)
        for b in self.state.branches(p.id):
            if b.name == req.params["branch"]:
                return Reply(self.ser.branch(b))
        raise not_found("Branch")

    def _mr_filter(self, req: Request, mrs: list[MergeRequest]) -> list[MergeRequest]:
        state = req.choice("state", MR_STATES, "all")
        after, before = req.time("updated_after"), req.time("updated_before")
        c_after, c_before = req.time("created_after"), req.time("created_before")
        wip = req.get("wip")  # the old spelling takes yes/no
        draft = req.flag("draft") if wip is None else wip == "yes"
        out = []
        for m in mrs:
            if state != "all" and m.state != state:
                continue
            # Inclusive bounds: UpdatedAtFilterable and CreatedAtFilterable (`>=` / `<=`).
            if (after and m.updated_at < after) or (before and m.updated_at > before):
                continue
            if (c_after and m.created_at < c_after) or (c_before and m.created_at > c_before):
                continue
            if draft is not None and m.draft != draft:
                continue
            out.append(m)
        order = req.choice(
            "order_by", ("created_at", "updated_at", "title", "merged_at"), "created_at"
        )
        desc = req.choice("sort", ("asc", "desc"), "desc") == "desc"
        if order == "merged_at":
            return sort_items(out, lambda m: m.merged_at or m.created_at, desc)
        return sort_items(out, lambda m: getattr(m, order), desc)

    def project_mrs(self, req: Request) -> Reply:
        """GET /projects/:id/merge_requests."""
        p = self.ctx.project(req, "id", READ_MERGE_REQUEST)
        items = self._mr_filter(req, self.state.merge_requests(p.id))
        return self.ctx.page(req, items, self.ser.merge_request)

    def project_mr(self, req: Request) -> Reply:
        """GET /projects/:id/merge_requests/:iid."""
        p = self.ctx.project(req, "id", READ_MERGE_REQUEST)
        for m in self.state.merge_requests(p.id):
            if str(m.iid) == req.params["iid"]:
                return Reply(self.ser.merge_request(m))
        raise not_found()

    def group_mrs(self, req: Request) -> Reply:
        """GET /groups/:id/merge_requests: the group and its subgroups."""
        g = self.ctx.group(req)
        ids = set(self.state.subtree(g.id))
        non_archived = req.flag("non_archived", True)
        mrs: list[MergeRequest] = []
        for p in list(self.state.projects.values()):
            if p.namespace_kind != "group" or p.namespace_id not in ids:
                continue
            if (non_archived and p.archived) or not self.state.can_see_project(req.viewer, p):
                continue
            if not self.state.abilities(req.viewer, p).read_merge_request:
                continue  # GitLab leaves out what the user may not read
            mrs.extend(self.state.merge_requests(p.id))
        return self.ctx.page(req, self._mr_filter(req, mrs), self.ser.merge_request)

    # --- pipeline schedules ----------------------------------------------------------------

    def schedules(self, req: Request) -> Reply:
        """GET /projects/:id/pipeline_schedules."""
        p = self.ctx.project(req)
        items = self.state.detail(p.id).schedules
        return self.ctx.page(
            req, items, lambda s: self.ser.schedule(s, _next_run(s.cron, self.state.now))
        )

    def _schedule(self, req: Request) -> Schedule:
        p = self.ctx.project(req)
        for s in self.state.detail(p.id).schedules:
            if str(s.id) == req.params["schedule_id"]:
                return s
        raise not_found()

    def schedule(self, req: Request) -> Reply:
        """GET /projects/:id/pipeline_schedules/:schedule_id."""
        s = self._schedule(req)
        return Reply(self.ser.schedule(s, _next_run(s.cron, self.state.now)))

    def create_schedule(self, req: Request) -> Reply:
        """POST /projects/:id/pipeline_schedules (description, ref, cron, cron_timezone)."""
        p = self.ctx.project(req)
        description, ref, cron = req.get("description"), req.get("ref"), req.get("cron")
        if not description or not ref or not cron:
            missing = next(
                k for k, v in (("description", description), ("ref", ref), ("cron", cron)) if not v
            )
            raise ApiError(400, {"error": f"{missing} is missing"})
        d = self.state.detail(p.id)
        now = self.state.now
        sid = p.id * 100 + len(d.schedules) + 1
        s = Schedule(
            sid,
            p.id,
            description,
            ref,
            cron,
            req.get("cron_timezone") or "UTC",
            bool(req.flag("active", True)),
            req.viewer.id,
            now,
            now,
        )
        d.schedules.append(s)
        return Reply(self.ser.schedule(s, _next_run(cron, now)), status=201)

    def edit_schedule(self, req: Request) -> Reply:
        """PUT /projects/:id/pipeline_schedules/:schedule_id."""
        s = self._schedule(req)
        for key in ("description", "ref", "cron", "cron_timezone"):
            value = req.get(key)
            if value is not None:
                setattr(s, key, value)
        active = req.flag("active")
        if active is not None:
            s.active = active
        s.updated_at = self.state.now
        return Reply(self.ser.schedule(s, _next_run(s.cron, self.state.now)))
