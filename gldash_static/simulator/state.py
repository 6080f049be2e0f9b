"""The live organisation: lookups, visibility rules, lazy project history and mutations."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from urllib.parse import unquote

from gldash_static.simulator import (
    activity,
    deploy_plan,
    deploys,
    history,
    names,
    permissions,
    rollbacks,
)
from gldash_static.simulator.jobs import jobs_for
from gldash_static.simulator.model import (
    Branch,
    Group,
    Job,
    Membership,
    MergeRequest,
    Pipeline,
    Project,
    ProjectDetail,
    User,
)
from gldash_static.simulator.org import OrgSpec, generate_org
from gldash_static.simulator.rwlock import ReadWriteLock

_JOB_CACHE_MAX = 50_000


class OrgState:
    """Ground truth of the simulated GitLab; every method is safe to call from any thread."""

    def __init__(self, spec: OrgSpec) -> None:
        org = generate_org(spec)
        self.spec = spec
        self.now: datetime = names.ms(spec.now)
        self.users: dict[int, User] = org.users
        self.groups: dict[int, Group] = org.groups
        self.projects: dict[int, Project] = org.projects
        self.memberships = org.memberships
        self.deleted_projects: dict[int, Project] = {}
        self.lock = threading.RLock()  # the derived caches, briefly
        self.access = ReadWriteLock()  # requests read side by side; changes wait for them
        self.version = 0  # bumped whenever the set or paths of projects change
        self.tokens: dict[str, int] = {self._token_for(u): u for u in self.users}
        self.revoked: set[str] = set()
        self.triggers: dict[str, int] = {}
        self.artifacts: dict[tuple[int, str, str], bytes] = {}
        self.redirects: dict[str, int] = {}
        self._path_index: dict[str, int] = {}
        self._path_index_version = -1
        self._user_ids = [u for u in self.users if u != 1]
        self._initial_activity = {p.id: p.last_activity_at for p in self.projects.values()}
        self._details: dict[int, ProjectDetail] = {}
        self._steps: list[tuple[datetime, datetime, dict[int, datetime]]] = []
        self._jobs: dict[int, tuple[str, datetime, list[Job]]] = {}
        self._children: dict[int, list[int]] = {}
        for g in self.groups.values():
            if g.parent_id is not None:
                self._children.setdefault(g.parent_id, []).append(g.id)
        self._member_groups: dict[int, frozenset[int]] = {}
        # Per user: role by group id (inherited ones included) and by project id.
        self._levels: dict[int, tuple[dict[int, int], dict[int, int]]] = {}
        self._member_projects: dict[int, set[int]] = {}
        self._deploys: dict[int, tuple[tuple[object, ...], deploys.DeployState]] = {}
        for p in self.projects.values():
            level = deploy_plan.access_level(spec.seed, p.id)
            if level != "enabled":  # only what differs from GitLab's default is recorded
                p.access["environments"] = level
        for m in self.memberships:
            if m.project_id is not None:
                self._member_projects.setdefault(m.user_id, set()).add(m.project_id)

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Hold the state alone to change it: no request reads it meanwhile."""
        with self.access.write(), self.lock:
            yield

    def _token_for(self, user_id: int) -> str:
        return "glpat-" + names.fake_sha(self.spec.seed, "token", user_id)[:20]

    # --- lookups -----------------------------------------------------------------------

    def token_of(self, username: str) -> str:
        """The personal access token of a user."""
        for u in self.users.values():
            if u.username == username:
                return self._token_for(u.id)
        raise KeyError(f"no user {username!r}")

    def user_by_token(self, token: str) -> User | None:
        """The user a (not revoked) token belongs to."""
        uid = self.tokens.get(token)
        return None if uid is None or token in self.revoked else self.users[uid]

    def user_by_name(self, username: str) -> User | None:
        """A user by username."""
        return next((u for u in self.users.values() if u.username == username), None)

    def subtree(self, group_id: int) -> list[int]:
        """The group and all its descendants, parents before children."""
        out, todo = [], [group_id]
        while todo:
            gid = todo.pop(0)
            out.append(gid)
            todo.extend(sorted(self._children.get(gid, [])))
        return out

    def find_group(self, ref: str) -> Group | None:
        """A group by numeric id or (URL-encoded) full path."""
        ref = unquote(ref)
        if ref.isdigit():
            return self.groups.get(int(ref))
        return next((g for g in self.groups.values() if g.full_path == ref), None)

    def find_project(self, ref: str) -> Project | None:
        """A live project by numeric id or (URL-encoded) full path, following renames."""
        ref = unquote(ref)
        if ref.isdigit():
            return self.projects.get(int(ref))
        if self._path_index_version != self.version:
            self._path_index = {p.path_with_namespace: p.id for p in self.projects.values()}
            self._path_index_version = self.version
        pid = self._path_index.get(ref)
        if pid is None:
            pid = self.redirects.get(ref)
        return self.projects.get(pid) if pid is not None else None

    def namespace_path(self, p: Project) -> tuple[str, str]:
        """(full path, full name) of the project's namespace."""
        if p.namespace_kind == "user":
            u = self.users[p.namespace_id]
            return u.username, u.name
        g = self.groups[p.namespace_id]
        return g.full_path, g.full_name

    # --- visibility ----------------------------------------------------------------------

    def member_groups(self, user_id: int) -> frozenset[int]:
        """Groups a user is a member of, directly or inherited from a parent group."""
        cached = self._member_groups.get(user_id)
        if cached is None:
            ids: set[int] = set()
            for m in self.memberships:
                if m.user_id == user_id and m.group_id is not None and m.group_id in self.groups:
                    ids.update(self.subtree(m.group_id))
            cached = self._member_groups[user_id] = frozenset(ids)
        return cached

    def is_project_member(self, user: User, p: Project) -> bool:
        """Whether the user is a member of the project (directly, via groups or as owner)."""
        if p.namespace_kind == "user":
            if p.namespace_id == user.id:
                return True
        elif p.namespace_id in self.member_groups(user.id):
            return True
        if p.id in self._member_projects.get(user.id, ()):
            return True
        return any(g in self.member_groups(user.id) for g in p.shared_with_group_ids)

    def can_see_project(self, user: User, p: Project) -> bool:
        """GitLab's rule: admins see all; others see public, internal and their private ones."""
        return user.is_admin or p.visibility != "private" or self.is_project_member(user, p)

    def can_use_feature(self, user: User, p: Project, feature: str) -> bool:
        """Whether the user may read a project feature ("repository", "builds", ...)."""
        level = p.access.get(feature, "enabled")
        if level == "disabled":
            return False
        if user.is_admin or self.is_project_member(user, p):
            return True
        return level == "enabled" and (feature != "builds" or p.public_jobs)

    def set_feature_access(
        self, project_id: int, public_jobs: bool | None = None, **levels: str
    ) -> None:
        """Change feature access levels, e.g. builds="private", as a maintainer would."""
        with self.changing():
            p = self.projects[project_id]
            p.access.update(levels)
            if public_jobs is not None:
                p.public_jobs = public_jobs
            self.version += 1

    def role_level(self, user: User, p: Project) -> int:
        """The user's role in the project (GUEST..OWNER), 0 for none."""
        levels = self._levels.get(user.id)
        if levels is None:
            groups: dict[int, int] = {}
            projects: dict[int, int] = {}
            for m in self.memberships:
                if m.user_id != user.id:
                    continue
                if m.project_id is not None:
                    projects[m.project_id] = max(projects.get(m.project_id, 0), m.access_level)
                elif m.group_id is not None and m.group_id in self.groups:
                    for gid in self.subtree(m.group_id):  # inherited by subgroups
                        groups[gid] = max(groups.get(gid, 0), m.access_level)
            levels = self._levels[user.id] = (groups, projects)
        return permissions.role_level(levels[0], levels[1], user, p)

    def abilities(self, user: User, p: Project) -> permissions.Abilities:
        """What the user may read of a project they can see (ProjectPolicy's answer)."""
        if user.is_admin and not p.access:
            return permissions.ALL
        return permissions.abilities(user, p, self.role_level(user, p))

    def add_user(self, username: str, name: str, bot: bool = False) -> User:
        """Create a user (with a personal access token); the existing one if the name is taken."""
        with self.changing():
            found = self.user_by_name(username)
            if found is not None:
                return found
            uid = max(self.users) + 1
            user = User(uid, username, name, self.now, bot=bot)
            self.users[uid] = user
            self.tokens[self._token_for(uid)] = uid
            return user

    def add_membership(
        self, user_id: int, level: int, group_id: int | None = None, project_id: int | None = None
    ) -> None:
        """Make a user a member of a group (and its subgroups) or of one project."""
        with self.changing():
            self.memberships.append(Membership(user_id, level, group_id, project_id))
            if project_id is not None:
                self._member_projects.setdefault(user_id, set()).add(project_id)
            self._member_groups.pop(user_id, None)
            self._levels.pop(user_id, None)
            self.version += 1

    def can_see_group(self, user: User, g: Group) -> bool:
        """Admins see all; others see non-private groups and those they belong to or below."""
        if user.is_admin or g.visibility != "private":
            return True
        mine = self.member_groups(user.id)
        return g.id in mine or any(s in mine for s in self.subtree(g.id))

    # --- per-project history ---------------------------------------------------------------

    def detail(self, project_id: int) -> ProjectDetail:
        """The project's history, generated on first use and brought up to the clock."""
        with self.lock:
            d = self._details.get(project_id)
            p = self.projects.get(project_id) or self.deleted_projects[project_id]
            if d is None:
                saved = p.last_activity_at
                p.last_activity_at = self._initial_activity.get(project_id, saved)
                d = history.generate_detail(
                    self.spec.seed,
                    p,
                    self._user_ids,
                    self.spec.now,
                    self.spec.pipelines_per_project,
                    self.spec.history_days,
                )
                p.last_activity_at = saved
                # Rollbacks belong to the generated history (rollbacks.py).
                rollbacks.generate(self.spec.seed, p, d, self._user_ids, self.spec.now)
                self._details[project_id] = d
            while d.steps_applied < len(self._steps):
                t0, t1, active = self._steps[d.steps_applied]
                history.evolve(
                    self.spec.seed,
                    d.steps_applied,
                    p,
                    d,
                    t0,
                    t1,
                    active.get(project_id),
                    self._user_ids,
                )
                d.steps_applied += 1
            return d

    def pipelines(self, project_id: int) -> list[Pipeline]:
        """The project's pipelines, ascending id."""
        return self.detail(project_id).pipelines

    def pipeline(self, project_id: int, pipeline_id: int) -> Pipeline | None:
        """One pipeline of a project."""
        if pipeline_id // history.PIPELINE_ID_BASE != project_id:
            return None
        for p in self.pipelines(project_id):
            if p.id == pipeline_id:
                return p
        return None

    def jobs(self, project_id: int, pipeline_id: int) -> list[Job]:
        """The latest attempts of a pipeline's jobs, ascending id."""
        return [j for j in self.all_jobs(project_id, pipeline_id) if not j.retried]

    def all_jobs(self, project_id: int, pipeline_id: int) -> list[Job]:
        """Every attempt of a pipeline's jobs, retried ones included, ascending id."""
        with self.lock:
            p = self.pipeline(project_id, pipeline_id)
            if p is None:
                return []
            hit = self._jobs.get(p.id)
            if hit is not None and hit[0] == p.status and hit[1] == p.updated_at:
                return hit[2]
            project = self.projects.get(project_id) or self.deleted_projects[project_id]
            d = self.detail(project_id)
            # A rolled-back pipeline's jobs derive from it as it was; the re-run joins them.
            jobs = jobs_for(self.spec.seed, project, rollbacks.base_view(d, p))
            jobs = rollbacks.with_rollback(d, p, jobs)
            if len(self._jobs) > _JOB_CACHE_MAX:
                self._jobs.clear()  # jobs are cheap to derive again
            self._jobs[p.id] = (p.status, p.updated_at, jobs)
            return jobs

    def deploy_state(self, project_id: int) -> deploys.DeployState:
        """The project's environments and deployments now (derived, cached until time moves)."""
        with self.lock:
            d = self.detail(project_id)
            key = (len(d.pipelines), d.steps_applied, self.now)
            hit = self._deploys.get(project_id)
            if hit is not None and hit[0] == key:
                return hit[1]
            project = self.projects.get(project_id) or self.deleted_projects[project_id]
            found = deploys.derive(
                self.spec.seed,
                project,
                d,
                self.now,
                lambda p: self.all_jobs(project_id, p.id),
                self._user_ids,
            )
            self._deploys[project_id] = (key, found)
            return found

    def branches(self, project_id: int) -> list[Branch]:
        """The project's branches, sorted by name."""
        return self.detail(project_id).branches

    def merge_requests(self, project_id: int) -> list[MergeRequest]:
        """The project's merge requests, ascending iid."""
        return self.detail(project_id).merge_requests

    # --- mutations -------------------------------------------------------------------------

    def advance(self, t0: datetime, t1: datetime) -> None:
        """Record what happens between t0 and t1; project histories catch up lazily."""
        with self.changing():
            step = len(self._steps)
            r = names.rng(self.spec.seed, "step", step)
            hours = (t1 - t0).total_seconds() / 3600
            active: dict[int, datetime] = {}
            for p in self.projects.values():
                if p.archived or p.empty_repo:
                    continue
                if r.random() < 1 - math.exp(-p.activity * hours / 24):
                    at = names.ms(t0 + (t1 - t0) * r.random())
                    active[p.id] = at
                    # The step's first event; its later ones fall within the hour (history.py).
                    activity.record_event(p, at, self.spec.throttle_activity)
            self._steps.append((t0, t1, active))
            self.now = t1
            live = sorted(self.projects)
            if len(live) > 5 and r.random() < 1 - math.exp(-hours / 96):
                self.delete_project(r.choice(live))
                live = sorted(self.projects)
            if len(live) > 5 and r.random() < 1 - math.exp(-hours / 72):
                p = self.projects[r.choice(live)]
                self.rename_project(p.id, f"{p.path}-{r.choice(names.NOUNS)}")

    def delete_project(self, project_id: int) -> None:
        """Delete a project: it disappears from lists and its URLs return 404."""
        with self.changing():
            self.deleted_projects[project_id] = self.projects.pop(project_id)
            self.version += 1

    def rename_project(self, project_id: int, new_path: str, new_name: str | None = None) -> None:
        """Change a project's path (and name); the old full path keeps redirecting."""
        with self.changing():
            p = self.projects[project_id]
            self.redirects[p.path_with_namespace] = p.id
            ns_path, ns_name = self.namespace_path(p)
            p.path, p.name = new_path, new_name or new_path
            p.path_with_namespace = f"{ns_path}/{new_path}"
            p.name_with_namespace = f"{ns_name} / {p.name}"
            self.version += 1

    def revoke_token(self, token: str) -> None:
        """Revoke a token: it gets 401 from now on."""
        with self.changing():
            self.revoked.add(token)

    def create_trigger(self, project_id: int) -> str:
        """Create a pipeline trigger token for a project."""
        with self.changing():
            token = (
                "glptt-"
                + names.fake_sha(self.spec.seed, "trigger", project_id, len(self.triggers))[:20]
            )
            self.triggers[token] = project_id
            return token

    def trigger_pipeline(
        self, project_id: int, ref: str, variables: dict[str, str], source: str = "trigger"
    ) -> Pipeline:
        """Create a pipeline as a trigger (or the API) would."""
        with self.changing():
            project = self.projects[project_id]
            d = self.detail(project_id)
            r = names.rng(self.spec.seed, "trigger", project_id, d.next_pipeline_seq)
            p = history.new_pipeline(
                r,
                self.spec.seed,
                project,
                d,
                self.now,
                self.now,
                ref=ref,
                source=source,
                user_id=project.creator_id,
            )
            p.variables = dict(variables)
            head = next((b for b in d.branches if b.name == ref), None)
            if head is not None:  # it builds the ref's head commit; nothing is pushed
                p.sha, p.commit_title = head.commit_sha, head.commit_title
            return p  # no Event: last_activity_at stays where it was

    def push(self, project_id: int, ref: str, *, pipeline: bool = True) -> Branch:
        """Push a commit to a branch (created if new) now, with or without a pipeline."""
        with self.changing():
            project = self.projects[project_id]
            d = self.detail(project_id)
            seed, now = self.spec.seed, self.now
            r = names.rng(seed, "push", project_id, d.next_pipeline_seq, len(d.branches), now)
            if ref not in {b.name for b in d.branches}:
                sha = names.fake_sha(seed, project_id, "new-branch", ref, now)
                d.branches.append(
                    Branch(ref, project_id, False, False, False, sha, sha, "", now, 1)
                )
                d.branches.sort(key=lambda b: b.name)
            if pipeline:
                p = history.new_pipeline(
                    r, seed, project, d, now, now, ref=ref, source="push", user_id=1
                )
                activity.move_head(d, ref, p.sha, p.commit_title, now)
            else:
                activity.commit_without_pipeline(r, seed, project, d, ref, now, ("push", now))
            activity.record_event(project, now, self.spec.throttle_activity)
            return next(b for b in d.branches if b.name == ref)
