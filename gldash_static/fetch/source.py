"""Fetch everything from one GitLab instance: full, incremental, one shard, or one event."""

from __future__ import annotations

import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gldash_static.config import FetchSettings, SourceSettings
from gldash_static.errors import FetchError
from gldash_static.fetch import access, changes, convert, freshness, publish, scope
from gldash_static.fetch.progress import Progress
from gldash_static.fetch.project import ProjectFetcher, ProjectTask
from gldash_static.gitlab import ApiClient, ApiError, CircuitOpenError, RequestStats
from gldash_static.model import Group, MergeRequest, Project, Source
from gldash_static.timeutil import gitlab_time as iso
from gldash_static.timeutil import parse_time

log = logging.getLogger("gldash.fetch")


@dataclass
class SourceRequest:
    """What to fetch from one source."""

    mode: str  # full | incremental | event | shard (a full fetch of 1/N of the projects)
    previous: Source | None = None
    shard: tuple[int, int] | None = None
    event_project_id: int | None = None
    # Server minus local time as the previous snapshot saw it: judges lone Date headers.
    clock_anchor: float | None = None


@dataclass
class SourceResult:
    """One source's records plus what went wrong along the way."""

    source: Source
    stats: RequestStats
    errors: list[str] = field(default_factory=list)
    complete: bool = True


def refreshable(old: Project | None, fresh: Project) -> Project | None:
    """The previous record to refresh incrementally, or None to fetch the project afresh.

    A renamed or moved project changed every URL; a stale one missed changes since its
    data was kept, which "updated after the last fetch" would not bring back.
    """
    if old is None or old["stale"] is not None or old["withheld"] != fresh["withheld"]:
        return None  # a feature opened to the dashboard again needs its whole history
    if set(old["unavailable"]) - set(fresh["unavailable"]):
        return None  # so does one the token may read again (or that a 403 may refuse again)
    return old if old["path_with_namespace"] == fresh["path_with_namespace"] else None


class SourceFetch:
    """Runs one source's fetch on a bounded pool of worker threads."""

    def __init__(
        self,
        source: SourceSettings,
        settings: FetchSettings,
        request: SourceRequest,
        progress: Progress,
        backoff_s: float = 0.25,
        graphql_batch: int = changes.BATCH,
    ) -> None:
        self.source = source
        self.graphql_batch = graphql_batch  # projects per GraphQL probe request
        self.settings = settings
        self.request = request
        self.progress = progress
        token = os.environ.get(source.token_env, "").strip()
        if not token:
            raise FetchError(
                f"{source.name}: environment variable {source.token_env} is not set; it must "
                "hold a GitLab access token with the read_api scope"
            )
        self.api = ApiClient(
            source.url,
            token,
            timeout_s=settings.timeout_s,
            max_retries=settings.max_retries,
            breaker_threshold=settings.circuit_breaker,
            concurrency=settings.concurrency,
            backoff_s=backoff_s,
        )
        self.api.stats.server_clock.anchor = request.clock_anchor
        self.errors: list[str] = []
        self.complete = True
        self._breaker_reported = False

    def run(self) -> SourceResult:
        """Fetch the source; raises FetchError when nothing useful can be fetched."""
        try:
            version = self._connect()
            started = self._server_now()
            with (
                ThreadPoolExecutor(self.settings.concurrency, "gldash-project") as projects,
                # Project threads mostly wait for their pipeline details, so details get
                # twice the threads: the speed of a fetch is the number of detail requests
                # in flight (measured in docs/benchmarks.md).
                ThreadPoolExecutor(2 * self.settings.concurrency, "gldash-detail") as details,
            ):
                fetcher = ProjectFetcher(self.api, self.settings, details)
                if self.request.mode == "event":
                    groups, records = self._event(fetcher, started)
                else:
                    groups, records = self._listing(fetcher, projects, started)
        except ApiError as exc:
            raise self._fatal(exc) from None
        finally:
            self.api.close()
        started = self._settle_clock(started, records)
        watermark = iso(started) if self.request.mode != "event" else self._previous_watermark()
        source: Source = {
            "name": self.source.name,
            "url": self.source.url,
            "version": version,
            "watermark": watermark,
            "visibility": [],  # set from the config below
            "groups": sorted(groups, key=lambda g: g["full_path"]),
            "projects": sorted(records, key=lambda p: p["path_with_namespace"]),
        }
        # Last, on everything written, carried-over records included: the config of now.
        published = publish.source_publishable(source, self.source, self.settings)
        note = access.unavailable_note(self._previous_projects(), published["projects"])
        if note is not None:
            self.progress.line(f"note: {self.source.name}: {note}")
        return SourceResult(published, self.api.stats, self.errors, self.complete)

    # -- connection and errors -------------------------------------------------------------

    def _connect(self) -> str | None:
        data = self.api.get("/version")
        version = data.get("version")
        return version if isinstance(version, str) else None

    def _server_now(self) -> datetime:
        stamp = self.api.stats.server_time_first
        if stamp is None:  # no Date header could be trusted: the runner's clock, as offset before
            return datetime.now(UTC) + timedelta(seconds=self.request.clock_anchor or 0.0)
        return datetime.fromtimestamp(stamp, UTC)

    def _fatal(self, exc: ApiError) -> FetchError:
        name = self.source.name
        if exc.status == 401:
            return FetchError(
                f"{name}: the token in ${self.source.token_env} was rejected (401 Unauthorized); "
                "use a personal, group or project access token with the read_api scope"
            )
        if exc.status is None and "connect" in str(exc):
            return FetchError(f"{name}: cannot reach {self.source.url} (connection failed)")
        return FetchError(f"{name}: {exc.path}: {exc}")

    def _settle_clock(self, started: datetime, records: list[Project]) -> datetime:
        """The run's start by the server's clock, judged on all its answers, not the first.

        The first answer alone decided it while fetching; if the later answers outvoted it,
        the records fetched in this run get the agreed time instead.
        """
        settled = self._server_now()
        if iso(settled) != iso(started):
            for record in records:
                if record["fetched_at"] == iso(started):
                    record["fetched_at"] = iso(settled)
                if record["branches_fetched_at"] == iso(started):
                    record["branches_fetched_at"] = iso(settled)
        clock = self.api.stats.server_clock.reading()
        if clock.outvoted and clock.example is not None:
            odd = iso(datetime.fromtimestamp(clock.example, UTC))
            self._warn(
                f"{self.source.name}: {clock.outvoted} answer(s) carried a Date header far "
                f"from the others' (e.g. {odd}); ignored for the watermark and snapshot date"
            )
        return settled

    def _previous_watermark(self) -> str | None:
        return self.request.previous["watermark"] if self.request.previous else None

    def _previous_projects(self) -> list[Project]:
        return self.request.previous["projects"] if self.request.previous else []

    def _since(self) -> str | None:
        mark = self._previous_watermark()
        if mark is None:
            return None
        moment = parse_time(mark)
        if moment is None:
            return None  # an unreadable watermark: fetch this source from scratch
        return iso(moment - timedelta(seconds=self.settings.incremental_margin_s))

    # -- listing-based modes (full, incremental, shard) ----------------------------------------

    def _listing(
        self, fetcher: ProjectFetcher, pool: ThreadPoolExecutor, started: datetime
    ) -> tuple[list[Group], list[Project]]:
        raw_groups = scope.list_groups(self.api, self.source)
        top_ids = [
            int(g["id"]) for g in raw_groups if g.get("full_path") in self.source.groups
        ]  # list_groups kept only groups with valid ids
        incremental = self.request.mode == "incremental" and self.request.previous is not None
        since = self._since() if incremental else None
        group_mrs: Future[list[dict[str, Any]]] | None = None
        if self.settings.merge_requests and top_ids:
            group_mrs = pool.submit(self._group_merge_requests, top_ids, since)
        raw_projects = [
            raw
            for raw in scope.list_projects(self.api, self.source, top_ids)
            if scope.allowed(raw, self.source)
            and scope.in_shard(int(raw["id"]), self.request.shard)
        ]
        groups = [convert.group(g) for g in raw_groups if publish.group_publishable(g, self.source)]
        previous = {p["id"]: p for p in self._previous_projects()}
        fetched_at = iso(started)
        bound = timedelta(hours=self.settings.branch_max_age_hours)
        run_every = freshness.previous_run_gap(self._previous_watermark(), started)
        tasks: list[ProjectTask] = []
        for raw in raw_projects:
            record = self._record(raw, fetched_at)
            old = refreshable(previous.get(record["id"]), record) if incremental else None
            covered = scope.covered_by_groups(record["path_with_namespace"], self.source)
            tasks.append(
                ProjectTask(
                    project=record,
                    previous=old,
                    pipelines_since=since if old is not None else None,
                    refresh_branches=freshness.needs_branch_refresh(
                        old, record, started, bound, run_every
                    ),
                    fetch_merge_requests=not covered or (incremental and old is None),
                    features=convert.features(raw),
                )
            )
        if since is not None and self.settings.graphql:
            self._skip_unchanged(tasks, since, pool)
        records = self._run_tasks(fetcher, pool, tasks)
        if group_mrs is not None:
            try:
                self._assign_merge_requests(records, tasks, group_mrs.result(), since is not None)
            except CircuitOpenError:
                self._breaker_tripped()
            except ApiError as exc:
                if exc.status == 401:
                    raise
                # The projects' own data is good; only their merge requests stay as they were.
                self._warn(f"{self.source.name}: group merge requests: {exc}; previous ones kept")
                self.complete = False
                self._keep_previous_merge_requests(records)
        return groups, records

    def _record(self, raw: dict[str, Any], fetched_at: str) -> Project:
        """A project record from its API answer, with what this dashboard withholds."""
        record = convert.project(raw, fetched_at)
        record["withheld"] = publish.withheld(record["members_only"], self.source.visibility)
        return record

    def _skip_unchanged(
        self, tasks: list[ProjectTask], since: str, pool: ThreadPoolExecutor
    ) -> None:
        """Mark the tasks whose pipelines GraphQL says did not change since `since`."""
        asking = [
            t
            for t in tasks
            if t.pipelines_since is not None
            and t.wants("pipelines")
            and t.wants("repository")
            and not t.project["empty_repo"]  # these never ask for pipelines anyway
        ]
        if not asking:
            return
        ids = [t.project["id"] for t in asking]
        # A note, not a warning: nothing is lost, the refresh only costs more requests.
        answers = changes.probe(
            self.api,
            ids,
            since,
            pool,
            lambda m: self.progress.line(f"note: {m}"),
            batch=self.graphql_batch,
        )
        if answers is None:
            return
        for task in asking:
            previous = task.previous["pipelines"] if task.previous else []
            task.pipelines_unchanged = changes.unchanged(
                answers.get(task.project["id"]), [p["id"] for p in previous]
            )

    def _keep_previous_merge_requests(self, records: list[Project]) -> None:
        prior = {p["id"]: p for p in self._previous_projects()}
        for record in records:
            old = prior.get(record["id"])
            if old is not None and not record["merge_requests"]:
                record["merge_requests"] = old["merge_requests"]
                record["merge_requests_omitted"] = old["merge_requests_omitted"]

    def _group_merge_requests(
        self, group_ids: list[int], since: str | None
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = (
            {"state": "opened"}
            if since is None
            else {
                "state": "all",
                "updated_after": since,
            }
        )
        # Merge requests cannot be ordered by id; created_at never changes and GitLab breaks
        # its ties by id (Issuable.sort_by_attribute), so offset pages neither skip nor repeat
        # as updated_at order would when one is updated mid-listing. New ones come last.
        params.update(order_by="created_at", sort="asc")
        found: dict[tuple[int, int], dict[str, Any]] = {}
        for group_id in group_ids:
            for raw in self.api.iterate(f"/groups/{group_id}/merge_requests", **params):
                project_id, iid = convert.raw_id(raw, "project_id"), convert.raw_id(raw, "iid")
                if project_id is not None and iid is not None:
                    found[(project_id, iid)] = raw
        return list(found.values())

    def _assign_merge_requests(
        self,
        records: list[Project],
        tasks: list[ProjectTask],
        raws: list[dict[str, Any]],
        incremental: bool,
    ) -> None:
        by_project: dict[int, dict[int, MergeRequest]] = {}
        omitted: dict[int, int] = {}
        for task in tasks:
            if task.fetch_merge_requests or not task.wants("merge_requests"):
                continue  # fetched through the project, or not to be published at all
            start = task.previous["merge_requests"] if (incremental and task.previous) else []
            by_project[task.project["id"]] = {mr["iid"]: mr for mr in start}
            if incremental and task.previous:
                omitted[task.project["id"]] = task.previous["merge_requests_omitted"]
        for raw in raws:
            mrs = by_project.get(int(raw["project_id"]))  # checked when listed
            if mrs is None:
                continue
            if raw.get("state") == "opened":
                mrs[int(raw["iid"])] = convert.merge_request(raw)
            else:
                mrs.pop(int(raw["iid"]), None)  # merged or closed since last time
        for record in records:
            mrs = by_project.get(record["id"])
            if mrs is not None and record["stale"] is None:
                record["merge_requests"] = [mrs[i] for i in sorted(mrs)]
                record["merge_requests_omitted"] = omitted.get(record["id"], 0)

    def _run_tasks(
        self, fetcher: ProjectFetcher, pool: ThreadPoolExecutor, tasks: list[ProjectTask]
    ) -> list[Project]:
        self.progress.start(
            len(tasks), lambda: self.api.stats.total, lambda: self.api.stats.retries
        )
        futures = [(task, pool.submit(fetcher.fetch, task)) for task in tasks]
        records: list[Project] = []
        for task, future in futures:
            try:
                records.append(future.result())
            except (ApiError, CircuitOpenError) as exc:
                if isinstance(exc, ApiError) and exc.status == 401:
                    # The token stopped working: drop the queue instead of sending every
                    # queued project's requests with a revoked token.
                    pool.shutdown(wait=False, cancel_futures=True)
                kept = self._on_project_error(task, exc)
                if kept is not None:
                    records.append(kept)
            finally:
                self.progress.advance()
        return records

    def _on_project_error(
        self, task: ProjectTask, exc: ApiError | CircuitOpenError
    ) -> Project | None:
        if isinstance(exc, CircuitOpenError):
            self._breaker_tripped()
            return self._keep_stale(task, "not refreshed: GitLab kept failing")
        path = task.project["path_with_namespace"]
        if exc.status == 401:
            raise exc  # the token stopped working: nothing more can be trusted
        if exc.status == 404:
            self._warn(f"{path}: deleted or hidden during the fetch; left out")
            return None
        if exc.status == 403:
            self._warn(f"{path}: access denied (403); previous data kept")
            return self._keep_stale(task, "access denied (403)")
        self._warn(f"{path}: {exc}; previous data kept")
        self.complete = False
        return self._keep_stale(task, f"fetch failed: {exc}")

    def _breaker_tripped(self) -> None:
        if not self._breaker_reported:
            self._breaker_reported = True
            self._warn(
                f"{self.source.name}: stopped asking after {self.settings.circuit_breaker} "
                f"consecutive failures ({self.api.breaker.last_failure}); previous data kept"
            )
        self.complete = False

    def _keep_stale(self, task: ProjectTask, reason: str) -> Project | None:
        previous = task.previous
        if previous is None:
            prior = {p["id"]: p for p in self._previous_projects()}
            previous = prior.get(task.project["id"])
        if previous is None:
            self.errors.append(f"{task.project['path_with_namespace']}: {reason}; no earlier data")
            return None
        kept: Project = dict(previous)  # type: ignore[assignment]
        since = previous["stale"]["since"] if previous["stale"] else previous["fetched_at"]
        kept["stale"] = {"reason": reason, "since": since}
        return kept

    def _warn(self, message: str) -> None:
        self.errors.append(message)
        self.progress.line(f"warning: {message}")

    # -- event mode ------------------------------------------------------------------------------

    def _event(
        self, fetcher: ProjectFetcher, started: datetime
    ) -> tuple[list[Group], list[Project]]:
        previous = self.request.previous
        if previous is None or self.request.event_project_id is None:
            raise FetchError(
                f"{self.source.name}: an event refreshes one project on top of earlier data, and "
                "the previous snapshot has none for this source; run a full build first"
            )
        others = [p for p in previous["projects"] if p["id"] != self.request.event_project_id]
        old = next(
            (p for p in previous["projects"] if p["id"] == self.request.event_project_id), None
        )
        try:
            raw = self.api.get(f"/projects/{self.request.event_project_id}")
        except ApiError as exc:
            if exc.status == 404:
                self._warn(f"project {self.request.event_project_id}: deleted or not visible")
                return previous["groups"], others
            raise
        path = str(raw.get("path_with_namespace", ""))
        if not (scope.in_configured_scope(path, self.source) and scope.allowed(raw, self.source)):
            return previous["groups"], others  # not ours to publish (any more)
        record = self._record(raw, iso(started))
        old = refreshable(old, record)
        task = ProjectTask(
            project=record,
            previous=old,
            pipelines_since=self._since() if old is not None else None,
            refresh_branches=True,
            fetch_merge_requests=True,
            features=convert.features(raw),
        )
        self.progress.start(1, lambda: self.api.stats.total, lambda: self.api.stats.retries)
        try:
            fresh = fetcher.fetch(task)
        except (ApiError, CircuitOpenError) as exc:
            kept = self._on_project_error(task, exc)
            return previous["groups"], others + ([kept] if kept else [])
        finally:
            self.progress.advance()
        return previous["groups"], [*others, fresh]
