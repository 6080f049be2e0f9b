"""Fetch everything from one GitLab instance: full, incremental, one shard, or one event."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gldash_static.config import FetchSettings, SourceSettings
from gldash_static.errors import FetchError
from gldash_static.fetch import (
    access,
    bulk,
    changes,
    convert,
    graphql_steps,
    group_mrs,
    listing,
    plan,
    publish,
    scope,
)
from gldash_static.fetch.listing import SourceListing
from gldash_static.fetch.plan import FetchPlan, ProjectPlan
from gldash_static.fetch.progress import Progress
from gldash_static.fetch.project import ProjectFetcher
from gldash_static.gitlab import ApiClient, ApiError, CircuitOpenError, RequestStats
from gldash_static.model import FetchMode, Group, Project, Source
from gldash_static.timeutil import gitlab_time as iso
from gldash_static.timeutil import parse_time

log = logging.getLogger("gldash.fetch")
# Runner clocks disagree by minutes at worst; a listing more than this ahead is not one.
LISTING_CLOCK_SLACK = timedelta(hours=1)


@dataclass
class SourceRequest:
    """What to fetch from one source."""

    mode: FetchMode  # full | incremental | event | shard (1/N of the projects)
    previous: Source | None = None
    full: bool = False  # asked for in full (--full): a shard lists its share afresh
    # A shard's share of one listing made for the whole run (fetch/listing.py): groups,
    # projects and the groups' merge requests are taken from it instead of asked again.
    listing: SourceListing | None = None
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
        self._graphql_failed = False  # the probe could not ask GraphQL
        self._graphql_pool: ThreadPoolExecutor | None = None

    def run(self) -> SourceResult:
        """Fetch the source; raises FetchError when nothing useful can be fetched."""
        shared = self.request.listing
        try:
            if shared is not None:
                version, started = shared.version, self._listing_start(shared)
            else:
                version = self._connect()
                started = self._server_now()
            with (
                # GraphQL's batches run beside the projects that wait for them.
                ThreadPoolExecutor(min(4, self.settings.concurrency), "gldash-graphql") as graphql,
                ThreadPoolExecutor(self.settings.concurrency, "gldash-project") as projects,
                # Project threads mostly wait for their pipeline details, so details get
                # twice the threads: the speed of a fetch is the number of detail requests
                # in flight (measured in docs/benchmarks.md).
                ThreadPoolExecutor(2 * self.settings.concurrency, "gldash-detail") as details,
            ):
                self._graphql_pool = graphql
                fetcher = ProjectFetcher(self.api, self.settings, details)
                if self.request.mode == "event":
                    groups, records = self._event(fetcher, started)
                else:
                    groups, records = self._listing(fetcher, projects, started)
        except ApiError as exc:
            raise self._fatal(exc) from None
        finally:
            self.api.close()
        if shared is None:  # a shared listing's start is every shard's, to the second
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
            self.progress.note(f"{self.source.name}: {note}")
        return SourceResult(published, self.api.stats, self.errors, self.complete)

    def list_only(self) -> SourceListing:
        """List groups, projects and the groups' merge requests once, for a run's shards."""
        try:
            version = self._connect()
            started = self._server_now()
            raw_groups, top_ids = self._groups()
            raw_projects = self._projects(top_ids)
            since = self._since()
            mrs: list[dict[str, Any]] | None = None
            error: str | None = None
            if self.settings.merge_requests and top_ids:
                try:
                    mrs = group_mrs.listing(self.api, top_ids, since)
                except (ApiError, CircuitOpenError) as exc:
                    if isinstance(exc, ApiError) and exc.status == 401:
                        raise
                    error = str(exc)  # each shard keeps its projects' previous ones
        except ApiError as exc:
            raise self._fatal(exc) from None
        finally:
            self.api.close()
        return SourceListing(
            url=self.source.url,
            version=version,
            started=iso(started),
            since=since,
            groups=[listing.slim_group(g) for g in raw_groups],
            projects=[listing.slim_project(p) for p in raw_projects],
            merge_requests=None if mrs is None else [listing.slim_merge_request(m) for m in mrs],
            merge_requests_error=error,
            api_calls=dict(self.api.stats.calls),
        )

    def _groups(self) -> tuple[list[dict[str, Any]], list[int]]:
        """The groups' answers (the shared listing's, or asked now) and the top ones' ids."""
        shared = self.request.listing
        raw = shared.groups if shared else scope.list_groups(self.api, self.source)
        return raw, scope.top_ids(raw, self.source)

    def _projects(self, top_ids: list[int]) -> list[dict[str, Any]]:
        """The answers of every project the config admits (the shared listing's, or asked)."""
        shared = self.request.listing
        listed = shared.projects if shared else scope.list_projects(self.api, self.source, top_ids)
        return [raw for raw in listed if scope.allowed(raw, self.source)]

    def _listing_start(self, shared: SourceListing) -> datetime:
        moment = parse_time(shared.started)
        if moment is None:  # listing.read admits only readable times
            raise FetchError(f"{self.source.name}: the listing has no valid start time")
        # Every shard's watermark: one from the future would make the next refreshes ask for
        # changes after it, and see none.
        if moment > datetime.now(UTC) + LISTING_CLOCK_SLACK:
            raise FetchError(
                f"{self.source.name}: the listing starts at {shared.started}, after this "
                "machine's clock; list again (gldash fetch --list-only)"
            )
        return moment

    def _since(self) -> str | None:
        return plan.listing_since(
            self._planning_mode(),
            self.request.previous is not None,
            self._previous_watermark(),
            self.settings,
        )

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

    # -- listing-based modes (full, incremental, shard) ----------------------------------------

    def _listing(
        self, fetcher: ProjectFetcher, pool: ThreadPoolExecutor, started: datetime
    ) -> tuple[list[Group], list[Project]]:
        raw_groups, top_ids = self._groups()
        previous = self.request.previous
        since = self._since()
        group_listing = self._group_listing(pool, top_ids, since)
        raw_projects = [
            raw
            for raw in self._projects(top_ids)
            if scope.in_shard(int(raw["id"]), self.request.shard)
        ]
        groups = [convert.group(g) for g in raw_groups if publish.group_publishable(g, self.source)]
        fetched_at = iso(started)
        records = [self._record(raw, fetched_at) for raw in raw_projects]
        listed = [
            plan.Listed(
                record=record,
                features=convert.features(raw),
                covered=scope.covered_by_groups(record["path_with_namespace"], self.source),
            )
            for raw, record in zip(raw_projects, records, strict=True)
        ]
        fetch_plan = plan.plan_projects(
            listed,
            previous["projects"] if previous is not None else None,
            mode=self._planning_mode(),
            watermark=self._previous_watermark(),
            now=started,
            settings=self.settings,
        )
        fetch_plan = self._probe(fetch_plan, pool)
        bulk_run = self._bulk(fetch_plan, records)
        try:
            done = self._run_plan(fetcher, pool, records, fetch_plan, bulk_run)
        finally:
            if bulk_run is not None:
                bulk_run.close()  # every batch done; one note if some failed
        if group_listing is not None:
            try:
                group_mrs.assign(done, fetch_plan, group_listing())
            except CircuitOpenError:
                self._breaker_tripped()
            except ApiError as exc:
                if exc.status == 401:
                    raise
                # The projects' own data is good; only their merge requests stay as they were.
                self._warn(f"{self.source.name}: group merge requests: {exc}; previous ones kept")
                self.complete = False
                group_mrs.keep_previous(done, fetch_plan, self._previous_projects())
        return groups, done

    def _group_listing(
        self, pool: ThreadPoolExecutor, top_ids: list[int], since: str | None
    ) -> Callable[[], list[dict[str, Any]]] | None:
        """The groups' merge requests, when to be had: from the shared listing if it asked
        for the same changes, else listed now (in the background)."""
        if not (self.settings.merge_requests and top_ids):
            return None
        shared = self.request.listing
        if shared is not None and shared.since == since:
            if shared.merge_requests is not None:
                found = shared.merge_requests
                return lambda: found
            if shared.merge_requests_error is not None:
                failed = ApiError(None, shared.merge_requests_error, "/groups/:id/merge_requests")

                def fail() -> list[dict[str, Any]]:
                    raise failed

                return fail
        return pool.submit(group_mrs.listing, self.api, top_ids, since).result

    def _planning_mode(self) -> FetchMode:
        """How the listed projects are planned: a shard refreshes its share on top of the
        previous (merged) snapshot as an unsharded refresh would, unless asked in full."""
        if self.request.mode != "shard":
            return self.request.mode
        return "full" if self.request.full else "incremental"

    def _record(self, raw: dict[str, Any], fetched_at: str) -> Project:
        """A project record from its API answer, with what this dashboard withholds."""
        record = convert.project(raw, fetched_at)
        record["withheld"] = publish.withheld(record["members_only"], self.source.visibility)
        return record

    def _probe(self, fetch_plan: FetchPlan, pool: ThreadPoolExecutor) -> FetchPlan:
        """The plan after asking GraphQL which projects' pipelines changed since the last run."""
        fetch_plan, answered = graphql_steps.probe(
            self.api, fetch_plan, pool, self.progress.note, self.graphql_batch
        )
        # GraphQL that cannot answer the probe is not asked for the pipelines either.
        self._graphql_failed = not answered
        return fetch_plan

    def _bulk(self, fetch_plan: FetchPlan, records: list[Project]) -> bulk.BulkRun | None:
        """Start GraphQL listing the pipelines of many projects at once (None: not asked)."""
        if self._graphql_failed or self._graphql_pool is None:
            return None
        return graphql_steps.start_bulk(
            self.api,
            fetch_plan,
            records,
            self.settings,
            self._graphql_pool,
            self.progress.note,
            self.graphql_batch,
        )

    def _run_plan(
        self,
        fetcher: ProjectFetcher,
        pool: ThreadPoolExecutor,
        records: list[Project],
        fetch_plan: FetchPlan,
        bulk_run: bulk.BulkRun | None,
    ) -> list[Project]:
        self.progress.start(
            len(records), lambda: self.api.stats.total, lambda: self.api.stats.retries
        )
        futures = [
            (record, project, pool.submit(fetcher.fetch, record, project, lookup, sign))
            for record, project in zip(records, fetch_plan.projects, strict=True)
            for lookup in [graphql_steps.lookup(bulk_run, record["id"])]
            for sign in [graphql_steps.sign(bulk_run, record["id"])]
        ]
        done: list[Project] = []
        for record, project, future in futures:
            try:
                done.append(future.result())
            except (ApiError, CircuitOpenError) as exc:
                if isinstance(exc, ApiError) and exc.status == 401:
                    # The token stopped working: drop the queue instead of sending every
                    # queued project's requests with a revoked token.
                    pool.shutdown(wait=False, cancel_futures=True)
                kept = self._on_project_error(record, project, exc)
                if kept is not None:
                    done.append(kept)
            finally:
                self.progress.advance()
        return done

    def _on_project_error(
        self, record: Project, project: ProjectPlan, exc: ApiError | CircuitOpenError
    ) -> Project | None:
        if isinstance(exc, CircuitOpenError):
            self._breaker_tripped()
            return self._keep_stale(record, project, "not refreshed: GitLab kept failing")
        path = record["path_with_namespace"]
        if exc.status == 401:
            raise exc  # the token stopped working: nothing more can be trusted
        if exc.status == 404:
            self._warn(f"{path}: deleted or hidden during the fetch; left out")
            return None
        if exc.status == 403:
            self._warn(f"{path}: access denied (403); previous data kept")
            return self._keep_stale(record, project, "access denied (403)")
        self._warn(f"{path}: {exc}; previous data kept")
        self.complete = False
        return self._keep_stale(record, project, f"fetch failed: {exc}")

    def _breaker_tripped(self) -> None:
        if not self._breaker_reported:
            self._breaker_reported = True
            self._warn(
                f"{self.source.name}: stopped asking after {self.settings.circuit_breaker} "
                f"consecutive failures ({self.api.breaker.last_failure}); previous data kept"
            )
        self.complete = False

    def _keep_stale(self, record: Project, project: ProjectPlan, reason: str) -> Project | None:
        previous = project.previous
        if previous is None:  # fetched afresh (renamed, stale...): still the last data known
            prior = {p["id"]: p for p in self._previous_projects()}
            previous = prior.get(record["id"])
        if previous is None:
            self.errors.append(f"{record['path_with_namespace']}: {reason}; no earlier data")
            return None
        kept: Project = dict(previous)  # type: ignore[assignment]
        since = previous["stale"]["since"] if previous["stale"] else previous["fetched_at"]
        kept["stale"] = {"reason": reason, "since": since}
        return kept

    def _warn(self, message: str) -> None:
        self.errors.append(message)
        self.progress.warning(message)

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
        listed = plan.Listed(record, convert.features(raw), covered=False)
        project = plan.plan_event(listed, old, self._previous_watermark(), self.settings)
        self.progress.start(1, lambda: self.api.stats.total, lambda: self.api.stats.retries)
        try:
            fresh = fetcher.fetch(record, project)
        except (ApiError, CircuitOpenError) as exc:
            kept = self._on_project_error(record, project, exc)
            return previous["groups"], others + ([kept] if kept else [])
        finally:
            self.progress.advance()
        return previous["groups"], [*others, fresh]
