"""What to fetch from GitLab, and turning it into a snapshot."""

from __future__ import annotations

import copy
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from gldash_static import __version__
from gldash_static.config import Config
from gldash_static.errors import FetchError, UsageError
from gldash_static.fetch import changes, publish
from gldash_static.fetch.event import Event
from gldash_static.fetch.info import fetch_info
from gldash_static.fetch.listing import SourceListing
from gldash_static.fetch.progress import Progress
from gldash_static.fetch.source import SourceFetch, SourceRequest, SourceResult
from gldash_static.gitlab import RequestStats
from gldash_static.model import SCHEMA_VERSION, FetchMode, Snapshot, Source
from gldash_static.timeutil import gitlab_time as iso
from gldash_static.timeutil import parse_time


@dataclass(frozen=True)
class FetchRequest:
    """How to fetch: mode and its inputs."""

    full: bool = False
    shard: tuple[int, int] | None = None
    event: Event | None = None
    # A shard's shared listing (fetch/listing.py), one per source; None: list as usual.
    listing: tuple[SourceListing, ...] | None = None


@dataclass
class FetchOutcome:
    """A new snapshot, and whether everything in it is fresh."""

    snapshot: Snapshot
    complete: bool
    summary: str


def _mode(request: FetchRequest, previous: Snapshot | None) -> FetchMode:
    if request.event is not None:
        return "event"
    if request.shard is not None:
        return "shard"
    return "full" if request.full or previous is None else "incremental"


def _previous_source(previous: Snapshot | None, url: str) -> Source | None:
    for source in previous["sources"] if previous else []:
        if source["url"].rstrip("/") == url.rstrip("/"):
            return source
    return None


def _covering_fetch(previous: Snapshot, event: Event) -> str | None:
    """When the previous snapshot fetched the event's project after the event happened."""
    if event.occurred_at is None:
        return None
    for source in previous["sources"]:
        if event.project_url and not event.project_url.startswith(source["url"] + "/"):
            continue  # project ids are only unique within one GitLab instance
        for project in source["projects"]:
            if project["id"] != event.project_id or project["stale"] is not None:
                continue
            fetched = parse_time(project["fetched_at"])
            # Both times come from the GitLab server's clock, to the second; "strictly
            # before" keeps an event in the same second as the fetch from being skipped.
            if fetched is not None and event.occurred_at < fetched:
                return project["fetched_at"]
    return None


def _clock_anchor(previous: Snapshot | None) -> float | None:
    """Server minus local time when the previous snapshot was made (its date is the server's,
    its fetch's end the runner's), or None when it does not tell."""
    if previous is None:
        return None
    server = parse_time(previous.get("generated_at"))
    local = parse_time(previous.get("fetch", {}).get("finished_at"))
    if server is None or local is None:
        return None
    return (server - local).total_seconds()


def _unchanged(previous: Snapshot, fetched_at: str, config: Config) -> FetchOutcome:
    """Coalesce an event that the previous snapshot already covers: nothing is fetched.

    The config of now still applies: a narrowed scope takes effect on this build too.
    """
    snapshot = copy.deepcopy(previous)
    sources = []
    for settings in config.sources:
        old = _previous_source(previous, settings.url)
        if old is not None:
            sources.append(publish.source_publishable(old, settings, config.fetch))
    snapshot["sources"] = sources
    now = iso(datetime.now(UTC))
    snapshot["fetch"] = fetch_info("event", started_at=now, finished_at=now)
    summary = f"event already covered by data fetched at {fetched_at}; nothing fetched"
    return FetchOutcome(snapshot, True, summary)


def _shared_listing(request: FetchRequest, url: str) -> SourceListing | None:
    if request.listing is None:
        return None
    if request.shard is None:
        raise UsageError("a shared listing is for shard fetches (--listing goes with --shard)")
    for listed in request.listing:
        if listed.url.rstrip("/") == url.rstrip("/"):
            return listed
    raise UsageError(f"the listing has no source {url}: list again with this config")


def list_sources(
    config: Config, previous: Snapshot | None, progress: Progress, full: bool = False
) -> list[SourceListing]:
    """List every source's groups, projects and group merge requests once, for shard jobs
    (`full`: for shards that fetch in full, whose merge requests are the open ones)."""
    found: list[SourceListing] = []
    for source in config.sources:
        old = _previous_source(previous, source.url)
        progress.section(f"gldash_list_{len(found)}", f"Listing {source.name}")
        try:
            fetch = SourceFetch(
                source,
                config.fetch,
                SourceRequest(
                    mode="shard", previous=old, clock_anchor=_clock_anchor(previous), full=full
                ),
                progress,
            )
            found.append(fetch.list_only())
        finally:
            progress.end_section()
    return found


def fetch_snapshot(
    config: Config,
    previous: Snapshot | None,
    request: FetchRequest,
    progress: Progress,
    backoff_s: float = 0.25,
    graphql_batch: int = changes.BATCH,
) -> FetchOutcome:
    """Fetch every configured source into a new snapshot (nothing is written here)."""
    mode = _mode(request, previous)
    if mode == "event" and previous is None:
        raise FetchError("--event refreshes one project on top of a previous snapshot; none found")
    if request.event is not None and previous is not None:
        covered = _covering_fetch(previous, request.event)
        if covered is not None:
            return _unchanged(previous, covered, config)
    started_local = datetime.now(UTC)
    clock = time.monotonic()
    results: list[SourceResult] = []
    for source in config.sources:
        old = _previous_source(previous, source.url)
        event_id = request.event.project_id if request.event else None
        event_url = request.event.project_url if request.event else None
        if event_url and not event_url.startswith(source.url + "/"):
            if old is not None:  # another instance's event: nothing fetched from this one
                kept = publish.source_publishable(old, source, config.fetch)
                results.append(SourceResult(kept, RequestStats()))
            continue
        progress.section(f"gldash_fetch_{len(results)}", f"Fetching from {source.name} ({mode})")
        shared = _shared_listing(request, source.url)
        fetch = SourceFetch(
            source,
            config.fetch,
            SourceRequest(
                mode=mode,
                previous=old,
                clock_anchor=_clock_anchor(previous),
                shard=request.shard,
                event_project_id=event_id,
                full=request.full,
                listing=shared,
            ),
            progress,
            backoff_s=backoff_s,
            graphql_batch=graphql_batch,
        )
        try:
            results.append(fetch.run())
        finally:
            progress.end_section()
    calls: Counter[str] = Counter()
    retries = rate_limited = 0
    errors: list[str] = []
    for result in results:
        calls.update(result.stats.calls)
        retries += result.stats.retries
        rate_limited += result.stats.rate_limited
        errors += result.errors
    if request.listing is not None and request.shard is not None and request.shard[0] == 1:
        # The shared listing's requests were made once for all shards: the first reports
        # them, so that the merged snapshot counts every request of the run.
        for listed in request.listing:
            calls.update(listed.api_calls or {})
    server_times = [r.stats.server_time_last for r in results if r.stats.server_time_last]
    finished = datetime.fromtimestamp(max(server_times), UTC) if server_times else datetime.now(UTC)
    duration = time.monotonic() - clock
    snapshot: Snapshot = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": iso(finished),
        "generator": f"gldash {__version__}",
        "sources": [r.source for r in results],
        "fetch": fetch_info(
            mode,
            started_at=iso(started_local),
            finished_at=iso(datetime.now(UTC)),
            duration_s=round(duration, 3),
            api_calls=calls,
            retries=retries,
            rate_limited=rate_limited,
            errors=errors,
            shard=request.shard,
        ),
    }
    complete = all(r.complete for r in results)
    projects = sum(len(r.source["projects"]) for r in results)
    stale = sum(1 for r in results for p in r.source["projects"] if p["stale"])
    summary = (
        f"fetched {projects} projects ({mode}) with {sum(calls.values())} API calls, "
        f"{retries} retries, {rate_limited} rate-limited, {stale} stale, in {duration:.1f} s"
    )
    return FetchOutcome(snapshot, complete, summary)
