"""Fetch one project's pipelines, failed jobs, branches and merge requests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from typing import Any

from gldash_static.config import FetchSettings
from gldash_static.fetch import (
    access,
    convert,
    environments,
    freshness,
    jobs,
    junit,
    pipelines,
    streak,
)
from gldash_static.fetch.bulk import Given
from gldash_static.fetch.plan import ProjectPlan, replan_without, with_given
from gldash_static.gitlab import ApiClient, ApiError
from gldash_static.model import Branch, Deployment, Environment, MergeRequest, Pipeline, Project
from gldash_static.timeutil import second_time

# Listing stops after this many pages even if fewer than N default-branch pipelines were seen;
# a direct `ref=` query then fills in the default branch.
MAX_LIST_PAGES = 3


class ProjectFetcher:
    """Carries out ProjectPlans; detail requests fan out over a shared executor."""

    def __init__(self, api: ApiClient, settings: FetchSettings, details: Executor) -> None:
        self.api = api
        self.settings = settings
        self.details = details

    def fetch(
        self,
        project: Project,
        plan: ProjectPlan,
        given: Callable[[], Given | None] | None = None,
        sign: Callable[[], bool | None] | None = None,
    ) -> Project:
        """Fill `project` (fresh from the listing) as `plan` says; raises ApiError on failure.

        `given`: waits for what GraphQL brought for the project (None: it did not answer, and
        REST lists the pipelines as the plan says). `sign`: whether GraphQL saw an environment
        of the project (None: it was not asked or did not answer, and REST is asked).

        A 403 on one feature means the token's role may not read it: the feature is listed
        as unavailable and the project fetched again by a plan without it, so that its other
        data stays (GitLab usually forbids the first request of a feature, a list, so the
        repeat costs little; the project answer already reveals most such features, see
        convert.unreadable).
        """
        while True:
            try:
                return self._fetch_once(project, plan, given, sign)
            except ApiError as exc:
                feature = access.forbidden_feature(exc.path) if exc.status == 403 else None
                if feature is None or feature in plan.basis.unavailable:
                    raise
                plan = replan_without(plan, feature)
                project["unavailable"] = access.with_feature(project["unavailable"], feature)

    def _fetch_once(
        self,
        project: Project,
        plan: ProjectPlan,
        lookup: Callable[[], Given | None] | None,
        sign: Callable[[], bool | None] | None = None,
    ) -> Project:
        base = f"/projects/{project['id']}"
        keep = self.settings.pipelines_per_project
        branches: Future[list[Branch]] | None = None
        if plan.branches == "fetch":
            branches = self.details.submit(self._branches, base)
        mrs: Future[list[MergeRequest]] | None = None
        if plan.merge_requests == "project":
            mrs = self.details.submit(self._merge_requests, base)

        given = Given([], [])
        if lookup is not None:  # after the branch and merge-request requests went out
            found = lookup()
            if found is not None:
                plan, given = with_given(plan), found
        has_environment = sign() if sign is not None else None
        previous = {p["id"]: p for p in (plan.previous["pipelines"] if plan.previous else [])}
        changed_pipelines = _moved(((p["id"], p["updated_at"]) for p in given.changed), previous)
        if plan.pipelines != "none" and project["default_branch"] is None:
            project["default_branch"] = self._default_branch_from_pipelines(base)
        old_branches = plan.previous["branches"] if plan.previous else []
        if plan.pipelines in ("none", "given"):
            candidates = []
            if plan.branches == "if_pushed" and freshness.pipelines_show_a_push(
                given.changed, old_branches, previous
            ):
                branches = self.details.submit(self._branches, base)
        elif plan.pipelines == "list":
            candidates = self._list_pipelines(base, project["default_branch"], keep)
        elif plan.pipelines == "reuse":
            candidates = [pipelines.summary_of(p) for p in previous.values()]
        else:
            changed = [
                item
                for item in self.api.iterate(
                    f"{base}/pipelines",
                    updated_after=plan.since,
                    # GitLab orders by updated_at alone: ties on a page boundary come back in
                    # another order on the next page, repeating some and skipping others.
                    order_by="id",
                    sort="desc",
                )
                if convert.raw_id(item) is not None
            ]
            changed_pipelines = _moved(
                ((convert.raw_id(p) or 0, second_time(p.get("updated_at"))) for p in changed),
                previous,
            )
            candidates = [pipelines.summary_of(p) for p in previous.values()] + changed
            if plan.branches == "if_pushed" and freshness.pipelines_show_a_push(
                changed, old_branches, previous
            ):
                branches = self.details.submit(self._branches, base)
        selected = pipelines.select(candidates, project["default_branch"], keep)

        pending: list[tuple[int, Future[Pipeline]]] = []
        kept: dict[int, Pipeline] = {}
        for summary in selected:
            pid = int(summary["id"])
            old = previous.get(pid)
            if old is not None and pipelines.reusable(old, summary):
                kept[pid] = old
            else:
                pending.append((pid, self.details.submit(self._pipeline, base, pid)))
        for pid, future in pending:
            kept[pid] = future.result()
        if plan.pipelines == "given":
            kept = {p["id"]: p for p in given.kept}
        project["pipelines"] = [kept[pid] for pid in sorted(kept, reverse=True)]
        if plan.pipelines != "none":
            self._answers(project, plan)
        if branches is not None:
            project["branches"] = branches.result()
            project["branches_fetched_at"] = project["fetched_at"]
        elif plan.branches != "none" and plan.previous is not None:  # keep, or no push seen
            project["branches"] = plan.previous["branches"]
            project["branches_omitted"] = plan.previous["branches_omitted"]
            project["branches_fetched_at"] = plan.previous["branches_fetched_at"]
        if mrs is not None:
            project["merge_requests"] = mrs.result()
        self._environments(project, plan, has_environment, changed_pipelines)
        return project

    def _environments(
        self, project: Project, plan: ProjectPlan, sign: bool | None, changed: bool
    ) -> None:
        """Environments and deployments as the plan says: two requests at most.

        A refresh asks only for a project whose pipelines changed (a deploy job is a job of a
        pipeline); GraphQL's sign (Project.environment) spares projects without any.
        """
        project["environments"], project["deployments"] = None, []
        if plan.environments == "none":
            return
        project["environments"] = []
        # GraphQL leaves out what the token may not read: no environment is a sure sign only
        # where every member may read them (members-only ones, published by a dashboard for
        # members, need Reporter: REST's 403 tells a Guest's token apart from none).
        if sign is False and "environments" in project["members_only"]:
            sign = None
        if plan.environments == "off" or sign is False or plan.basis.empty_repo:
            return
        base = f"/projects/{project['id']}"
        keep = self.settings.max_deployments
        commits = plan.basis.readable("repository")
        jobs_ok = plan.basis.readable("pipelines")
        since: str | None = None  # a full listing
        stored: tuple[list[Environment], list[Deployment]] = ([], [])
        if plan.environments != "list":
            previous = plan.previous
            assert previous is not None and plan.since is not None
            since, stored = plan.since, (previous["environments"] or [], previous["deployments"])
            if not changed:
                project["environments"], project["deployments"] = stored
                return
        try:
            found = environments.fetch_since(
                self.api,
                base,
                since,
                stored,
                keep=keep,
                commits=commits,
                jobs=jobs_ok,
                listed=self._listed(base),
            )
        except ApiError as exc:
            if exc.status != 403:
                raise
            # The token's role may not read them (the last request of the project: the rest
            # of it stays, unlike a 403 of a feature asked earlier, see fetch()).
            project["unavailable"] = access.with_feature(project["unavailable"], "environments")
            return
        project["environments"], project["deployments"] = found

    def _listed(self, base: str) -> environments.Listed | None:
        """The available environments with their tiers, when asked for (one request)."""
        return environments.available(self.api, base) if self.settings.environment_details else None

    def _answers(self, project: Project, plan: ProjectPlan) -> None:
        """Broken since when and by what, and which tests fail: asked once a streak/pipeline."""
        if self.settings.test_reports:
            junit.with_report(project, self.api, self.settings.max_failed_tests)
        if not self.settings.red_streaks:
            project["red_streak"] = streak.decide(
                project, plan.previous_streak, self.settings.pipelines_per_project
            ).record
            return
        project["red_streak"] = streak.resolve(
            self.api,
            project,
            plan.previous_streak,
            keep=self.settings.pipelines_per_project,
            commits_published=plan.basis.readable("repository"),
        )

    def _list_pipelines(
        self, base: str, default_branch: str | None, keep: int
    ) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = []
        exhausted = True
        for item in self.api.iterate(f"{base}/pipelines", order_by="id", sort="desc"):
            if convert.raw_id(item) is None:
                continue  # not a pipeline we could ever ask about
            listed.append(item)
            if len(listed) % 100 == 0 and pipelines.enough_listed(listed, default_branch, keep):
                exhausted = False
                break
            if len(listed) >= MAX_LIST_PAGES * 100:
                exhausted = False
                break
        if not exhausted and not pipelines.enough_listed(listed, default_branch, keep):
            listed += [
                item
                for item in self.api.first_page(
                    f"{base}/pipelines",
                    ref=default_branch,
                    per_page=keep,
                    order_by="id",
                    sort="desc",
                )
                if convert.raw_id(item) is not None
            ]
        return listed

    def _default_branch_from_pipelines(self, base: str) -> str | None:
        """The default branch, for a token that may read pipelines but not the code.

        GitLab omits default_branch without read_code; GET .../pipelines/latest without a
        ref answers the default branch's latest pipeline (404 when it has none yet).
        """
        try:
            return convert.ref(self.api.get(f"{base}/pipelines/latest"))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def _pipeline(self, base: str, pipeline_id: int) -> Pipeline:
        raw = self.api.get(f"{base}/pipelines/{pipeline_id}")
        every, failed = jobs.rest_jobs(
            self.api,
            f"{base}/pipelines/{pipeline_id}/jobs",
            str(raw.get("status")),
            failed_jobs=self.settings.failed_jobs,
            all_jobs=self.settings.jobs,
        )
        return convert.pipeline(raw, failed, every)

    def _branches(self, base: str) -> list[Branch]:
        found = [convert.branch(b) for b in self.api.iterate(f"{base}/repository/branches")]
        return sorted(found, key=lambda b: b["name"])

    def _merge_requests(self, base: str) -> list[MergeRequest]:
        found = [
            convert.merge_request(m)
            for m in self.api.iterate(f"{base}/merge_requests", state="opened")
        ]
        return sorted(found, key=lambda m: m["iid"])


def _moved(listed: Iterable[tuple[int, str | None]], previous: dict[int, Pipeline]) -> bool:
    """Whether pipelines listed as updated since the last run really changed: the safety
    margin lists again those updated just before it, which are stored as they are now."""
    for pipeline_id, updated_at in listed:
        old = previous.get(pipeline_id)
        if old is None or updated_at is None or old["updated_at"] != updated_at:
            return True
    return False
