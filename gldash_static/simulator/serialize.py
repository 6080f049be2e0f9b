"""GitLab-shaped JSON bodies, field for field as in GitLab's documented responses."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from gldash_static.simulator.model import (
    Branch,
    Group,
    Job,
    MergeRequest,
    Pipeline,
    Project,
    Schedule,
    User,
)
from gldash_static.simulator.permissions import feature_allowed
from gldash_static.simulator.state import OrgState

Body = dict[str, Any]

_DETAILED = {
    "success": ("status_success", "passed"),
    "failed": ("status_failed", "failed"),
    "running": ("status_running", "running"),
    "pending": ("status_pending", "pending"),
    "canceled": ("status_canceled", "canceled"),
    "skipped": ("status_skipped", "skipped"),
    "created": ("status_created", "created"),
    "manual": ("status_manual", "manual"),
    # lib/gitlab/ci/status/canceling.rb and waiting_for_callback.rb
    "canceling": ("status_canceled", "canceling"),
    "waiting_for_callback": ("status_pending", "waiting"),
}


def ts(dt: datetime | None) -> str | None:
    """A timestamp as GitLab writes it: `2016-04-05T21:40:50.169Z`."""
    if dt is None:
        return None
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:"
        f"{dt.second:02d}.{dt.microsecond // 1000:03d}Z"
    )


def local_ts(dt: datetime, offset_minutes: int) -> str:
    """A commit timestamp in the author's zone, as GitLab writes them: `...000+01:00`."""
    local = dt.astimezone(timezone(timedelta(minutes=offset_minutes)))
    sign = "+" if offset_minutes >= 0 else "-"
    h, m = divmod(abs(offset_minutes), 60)
    return (
        local.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{local.microsecond // 1000:03d}{sign}{h:02d}:{m:02d}"
    )


def date_only(dt: datetime) -> str:
    """A date as GitLab writes due dates."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d")


def default_branch_or_main(p: Project) -> str:
    """Project#default_branch_or_main, the `default_branch` the API sends."""
    # An empty repository says "main" (the instance default) with empty_repo: true, not null.
    return p.default_branch or "main"


def _code_fields(body: Body, code: bool) -> Body:
    """GitLab exposes default_branch and forks_count only to users with `read_code`."""
    if not code:
        body.pop("default_branch")
        body.pop("forks_count")
    return body


class Serializer:
    """Turns ground-truth records into response bodies for one organisation."""

    def __init__(self, state: OrgState) -> None:
        self.state = state
        self.set_web_url(state.spec.web_url or "http://127.0.0.1")

    def set_web_url(self, url: str) -> None:
        """Where web_url fields point (the real GitLab's external_url)."""
        self.web = url.rstrip("/")
        self.host = self.web.split("://", 1)[-1]

    def avatar(self, u: User) -> str | None:
        """Gravatar-style avatar URL (none for some users, as on real instances)."""
        if u.id % 4 == 0:
            return None
        digest = hashlib.md5(u.username.encode()).hexdigest()
        return f"https://www.gravatar.com/avatar/{digest}?s=80&d=identicon"

    def user(self, uid: int) -> Body:
        """The basic user object nested in pipelines and merge requests."""
        u = self.state.users[uid]
        return {
            "id": u.id,
            "username": u.username,
            "name": u.name,
            "state": u.state,
            "avatar_url": self.avatar(u),
            "web_url": f"{self.web}/{u.username}",
        }

    def user_full(self, uid: int) -> Body:
        """The user object nested in jobs."""
        u = self.state.users[uid]
        return self.user(uid) | {
            "created_at": ts(u.created_at),
            "bio": None,
            "location": None,
            "public_email": "",
            "skype": "",
            "linkedin": "",
            "twitter": "",
            "website_url": "",
            "organization": "",
        }

    def current_user(self, u: User) -> Body:
        """GET /user."""
        return self.user_full(u.id) | {
            "is_admin": u.is_admin,
            "locked": False,
            "bot": u.bot,
            "two_factor_enabled": False,
            "email": u.email,
        }

    def group(self, g: Group) -> Body:
        """An item of GET /groups (and GET /groups/:id)."""
        return {
            "id": g.id,
            "name": g.name,
            "path": g.path,
            "description": g.description,
            "visibility": g.visibility,
            "share_with_group_lock": False,
            "require_two_factor_authentication": False,
            "two_factor_grace_period": 48,
            "project_creation_level": "developer",
            "auto_devops_enabled": None,
            "subgroup_creation_level": "owner" if g.depth == 0 else "maintainer",
            "emails_disabled": None,
            "emails_enabled": None,
            "mentions_disabled": None,
            "lfs_enabled": True,
            "default_branch": None,
            "default_branch_protection": 2,
            "default_branch_protection_defaults": {
                "allowed_to_push": [{"access_level": 40}],
                "allow_force_push": False,
                "allowed_to_merge": [{"access_level": 40}],
            },
            "avatar_url": None,
            "web_url": f"{self.web}/groups/{g.full_path}",
            "request_access_enabled": False,
            "repository_storage": "default",
            "full_name": g.full_name,
            "full_path": g.full_path,
            "file_template_project_id": None,
            "parent_id": g.parent_id,
            "created_at": ts(g.created_at),
            "ip_restriction_ranges": None,
        }

    def _namespace(self, p: Project) -> Body:
        if p.namespace_kind == "user":
            u = self.state.users[p.namespace_id]
            return {
                "id": u.id + 1_000_000,
                "name": u.name,
                "path": u.username,
                "kind": "user",
                "full_path": u.username,
                "parent_id": None,
                "avatar_url": self.avatar(u),
                "web_url": f"{self.web}/{u.username}",
            }
        g = self.state.groups[p.namespace_id]
        return {  # NamespaceBasic
            "id": g.id,
            "name": g.name,
            "path": g.path,
            "kind": "group",
            "full_path": g.full_path,
            "parent_id": g.parent_id,
            "avatar_url": None,
            "web_url": f"{self.web}/groups/{g.full_path}",
        }

    def project(self, p: Project, simple: bool = False, viewer: User | None = None) -> Body:
        """An item of GET /projects, GET /groups/:id/projects, or GET /projects/:id.

        Computed for `viewer` as GitLab's entities do (None: as an administrator sees it).
        """
        level = 0 if viewer is None else self.state.role_level(viewer, p)
        admin = viewer is None or viewer.is_admin
        code = viewer is None or self.state.abilities(viewer, p).download_code
        urls = {
            "ssh_url_to_repo": f"git@{self.host}:{p.path_with_namespace}.git",
            "http_url_to_repo": f"{self.web}/{p.path_with_namespace}.git",
            "web_url": f"{self.web}/{p.path_with_namespace}",
        }
        if simple:
            body: Body = {
                "id": p.id,
                "description": p.description,
                "name": p.name,
                "name_with_namespace": p.name_with_namespace,
                "path": p.path,
                "path_with_namespace": p.path_with_namespace,
                "created_at": ts(p.created_at),
                "default_branch": default_branch_or_main(p),
                "tag_list": list(p.topics),
                "topics": list(p.topics),
                **urls,
                "avatar_url": None,
                "star_count": p.star_count,
                "forks_count": p.forks_count,
                "last_activity_at": ts(p.last_activity_at),
                "namespace": self._namespace(p),
            }
            return _code_fields(body, code)
        shared = []
        for gid in p.shared_with_group_ids:
            g = self.state.groups[gid]
            shared.append(
                {
                    "group_id": g.id,
                    "group_name": g.name,
                    "group_full_path": g.full_path,
                    "group_access_level": 30,
                    "expires_at": None,
                }
            )
        body = {
            "id": p.id,
            "description": p.description,
            "default_branch": default_branch_or_main(p),
            "tag_list": list(p.topics),
            "topics": list(p.topics),
            "archived": p.archived,
            "empty_repo": p.empty_repo,
            "visibility": p.visibility,
            **urls,
            "name": p.name,
            "name_with_namespace": p.name_with_namespace,
            "path": p.path,
            "path_with_namespace": p.path_with_namespace,
            "issues_enabled": True,
            # The old *_enabled flags answer "may this user use it" (feature_available?).
            "merge_requests_enabled": feature_allowed(p, "merge_requests", admin, level),
            "wiki_enabled": p.id % 3 != 0,
            "jobs_enabled": feature_allowed(p, "builds", admin, level),
            "snippets_enabled": True,
            "created_at": ts(p.created_at),
            "last_activity_at": ts(p.last_activity_at),
            # Any write to the project row moves updated_at; activity is the nearest truth here.
            "updated_at": ts(max(p.last_activity_at, p.created_at)),
            "shared_runners_enabled": True,
            "creator_id": p.creator_id,
            "namespace": self._namespace(p),
            "avatar_url": None,
            "star_count": p.star_count,
            "forks_count": p.forks_count,
            "open_issues_count": p.open_issues_count,
            "public_jobs": p.public_jobs,
            "issues_access_level": "enabled",
            "repository_access_level": p.access.get("repository", "enabled"),
            "merge_requests_access_level": p.access.get("merge_requests", "enabled"),
            "forking_access_level": "enabled",
            "wiki_access_level": "enabled" if p.id % 3 != 0 else "disabled",
            "builds_access_level": p.access.get("builds", "enabled"),
            "snippets_access_level": "enabled",
            "pages_access_level": "enabled",
            "environments_access_level": p.access.get("environments", "enabled"),
            "shared_with_groups": shared,
            "request_access_enabled": False,
        }
        return _code_fields(body, code)

    def _project_path(self, project_id: int) -> str:
        p = self.state.projects.get(project_id) or self.state.deleted_projects[project_id]
        return p.path_with_namespace

    def pipeline(self, p: Pipeline) -> Body:
        """An item of GET /projects/:id/pipelines (slim: no duration, user or times)."""
        return {
            "id": p.id,
            "iid": p.iid,
            "project_id": p.project_id,
            "status": p.status,
            "source": p.source,
            "ref": p.ref,
            "sha": p.sha,
            "name": p.name,
            "web_url": f"{self.web}/{self._project_path(p.project_id)}/-/pipelines/{p.id}",
            "created_at": ts(p.created_at),
            "updated_at": ts(p.updated_at),
        }

    def pipeline_single(self, p: Pipeline) -> Body:
        """GET /projects/:id/pipelines/:pipeline_id."""
        path = self._project_path(p.project_id)
        icon, text = _DETAILED.get(p.status, ("status_notfound", p.status))
        return self.pipeline(p) | {
            "before_sha": p.before_sha,
            "tag": p.tag,
            "yaml_errors": None,
            "user": self.user(p.user_id),
            "started_at": ts(p.started_at),
            "finished_at": ts(p.finished_at),
            "committed_at": None,
            "duration": p.duration,
            "queued_duration": p.queued_duration,
            "coverage": p.coverage,
            "detailed_status": {
                "icon": icon,
                "text": text,
                "label": text,
                "group": p.status,
                "tooltip": text,
                "has_details": False,
                "details_path": f"/{path}/-/pipelines/{p.id}",
                "illustration": None,
                "favicon": f"/assets/ci_favicons/favicon_{icon}.png",
            },
        }

    def job(self, j: Job, pipeline: Pipeline) -> Body:
        """GET /projects/:id/jobs/:job_id and the items of a pipeline's jobs list."""
        author = self.state.users[pipeline.user_id]
        body: Body = {
            "commit": {
                "author_email": author.email,
                "author_name": author.name,
                "created_at": local_ts(pipeline.created_at, author.tz_offset_minutes),
                "id": j.sha,
                "message": pipeline.commit_title + "\n",
                "short_id": j.sha[:8],
                "title": pipeline.commit_title,
            },
            "coverage": j.coverage,
            "allow_failure": j.allow_failure,
            "created_at": ts(j.created_at),
            "started_at": ts(j.started_at),
            "finished_at": ts(j.finished_at),
            "duration": j.duration,
            "queued_duration": j.queued_duration,
            "artifacts_expire_at": ts(j.artifacts_expire_at),
            "id": j.id,
            "name": j.name,
            "pipeline": {
                "id": pipeline.id,
                "project_id": pipeline.project_id,
                "ref": pipeline.ref,
                "sha": pipeline.sha,
                "status": pipeline.status,
            },
            "ref": j.ref,
            "artifacts": [],
            "runner": None,
            "stage": j.stage,
            "status": j.status,
            "tag": j.tag,
            "web_url": f"{self.web}/{self._project_path(j.project_id)}/-/jobs/{j.id}",
            "project": {"ci_job_token_scope_enabled": False},
            "user": self.user_full(j.user_id),
        }
        if j.status == "failed":  # GitLab exposes failure_reason only on failed jobs
            body["failure_reason"] = j.failure_reason
        return body

    def branch(self, b: Branch) -> Body:
        """An item of GET /projects/:id/repository/branches."""
        path = self._project_path(b.project_id)
        author = self.state.users[b.author_id]
        when = local_ts(b.committed_at, author.tz_offset_minutes)
        return {
            "name": b.name,
            "merged": b.merged,
            "protected": b.protected,
            "default": b.default,
            "developers_can_push": False,
            "developers_can_merge": not b.protected,
            "can_push": True,
            "web_url": f"{self.web}/{path}/-/tree/{b.name}",
            "commit": {
                "id": b.commit_sha,
                "short_id": b.commit_sha[:7],
                "created_at": when,
                "parent_ids": [b.parent_sha],
                "title": b.commit_title,
                "message": b.commit_title,
                "author_name": author.name,
                "author_email": author.email,
                "authored_date": when,
                "committer_name": author.name,
                "committer_email": author.email,
                "committed_date": when,
                "trailers": {},
                "web_url": f"{self.web}/{path}/-/commit/{b.commit_sha}",
            },
        }

    def merge_request(self, m: MergeRequest) -> Body:
        """An item of GET /groups/:id/merge_requests and /projects/:id/merge_requests."""
        from gldash_static.simulator.serialize_mr import merge_request_body

        return merge_request_body(self, m)

    def schedule(self, s: Schedule, next_run: datetime) -> Body:
        """An item of GET /projects/:id/pipeline_schedules."""
        return {
            "id": s.id,
            "description": s.description,
            "ref": s.ref,
            "cron": s.cron,
            "cron_timezone": s.cron_timezone,
            "next_run_at": ts(next_run),
            "active": s.active,
            "created_at": ts(s.created_at),
            "updated_at": ts(s.updated_at),
            "owner": self.user(s.owner_id),
        }
