"""The pipelines of many projects in one GraphQL request: how a full fetch stays cheap.

Over REST, a project's kept pipelines cost a listing, one `GET .../pipelines/:id` each (only
the detail has duration, queued time, user and times) and one jobs listing each: about 40
requests for 20 kept pipelines. GraphQL's `projects(ids:)` with nested `pipelines` brings
all of that, every job attempt included, for `batch` projects in one request.

A refresh asks the same way for the pipelines updated since the last run of the projects the
probe found changed (fetch/changes.py), and merges them with the stored ones as REST would.

The same rule as REST chooses what to keep (`pipelines.select` over the newest pipelines,
listed until N on the default branch are seen, at most MAX_LIST_PAGES pages' worth, then the
default branch alone), so both paths store the same pipelines. Whatever GraphQL cannot say
for sure goes to REST project by project: a project it leaves out, one with no pipelines
(GraphQL answers "not allowed" with an empty list), a node in a shape GitLab does not send,
failed jobs hidden from the token. A request refused as too complex is split into batches
the reported complexity leaves room for, one refused as too slow into halves, before its
projects fall back to REST.

Complexity by GitLab's rules (base_field.rb, base_resolver.rb; simulator/graphql_complexity.py
computes the same): a connection costs its children plus its resolver's 1 (+1 Gitaly for
pipelines, +2 with `ref`), times 1 + page size / 100. Jobs: 16 below the connection, +1,
times 2 for 100 a page = 34; a pipeline node 49 with them; pipelines (50 a page): (53 + 2)
x 1.5 = 82; a project 90 (with `environment { id }`: the resolver's 1 and the id's 1, the
sign fetch/environments.py reads, which GitLab resolves for any number of projects, unlike
`environments`); so a batch of 100 projects costs int(90 x 2) + 3 = 183 and a later page of
100 pipelines of one project int((1 + 110 + 1 + 3 + 1 + 2) x 1.01) + 3 = 122. GitLab
allows 250 (a token's user); depth 8 of 20; 1,035 of 10,000 characters.
`queryComplexity` in every answer carries the score GitLab computed (the tests read it).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

from gldash_static.errors import FetchError
from gldash_static.fetch import graphql_convert, pipelines
from gldash_static.fetch import jobs as jobs_mod
from gldash_static.gitlab import ApiClient, ApiError, CircuitOpenError
from gldash_static.model import FINISHED_STATUSES, FailedJob, Job, Pipeline

BATCH = 100  # projects a request: GitLab's max page size
PIPELINES_PAGE = 50  # the first page: 20 kept on the default branch and the other refs
MORE_PAGE = 100  # later pages of a project with many pipelines on other refs
JOBS_PAGE = 100  # job attempts a pipeline (GitLab's max page); one with more asks REST
Note = Callable[[str], None]
LIST_CAP = 300  # as REST: project.MAX_LIST_PAGES pages of 100
SINCE_CAP = 1_000  # updated pipelines read for one project; a project with more asks REST

QUERY = """
query gldashPipelines(
  $ids: [ID!], $projects: Int, $projectsAfter: String, $first: Int, $after: String,
  $ref: String, $since: Time, $jobs: Int, $jobStatuses: [CiJobStatus!], $retried: Boolean
) {
  queryComplexity { limit score }
  projects(ids: $ids, first: $projects, after: $projectsAfter) {
    nodes {
      id
      environment { id }
      pipelines(first: $first, after: $after, ref: $ref, updatedAfter: $since) {
        nodes {
          id iid status ref sha source createdAt updatedAt startedAt finishedAt
          duration queuedDuration coverage
          user { username }
          jobs(statuses: $jobStatuses, retried: $retried, jobKind: BUILD, first: $jobs) {
            nodes {
              id name status retried allowFailure duration queuedDuration failureMessage
              stage { name } detailedStatus { tooltip }
            }
            pageInfo { hasNextPage endCursor }
          }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

# What GitLab says when a request is too big for it: complexity or depth over the limit,
# graphql-ruby's timeout, or the 503/504 of a statement or proxy timeout.
_TOO_BIG_WORDS = ("complexity", "timeout", "timed out", "depth")
_TOO_BIG_STATUSES = (502, 503, 504)


@dataclass(frozen=True)
class Wanted:
    """A project whose newest pipelines, or those updated after `since`, are to be listed."""

    project_id: int
    default_branch: str
    web_url: str
    since: str | None = None  # a refresh: the stored pipelines plus those updated after it
    stored: tuple[Pipeline, ...] = ()


@dataclass(frozen=True)
class Given:
    """What GraphQL brought for one project."""

    kept: list[Pipeline]  # the pipelines to keep, newest first, as REST would keep them
    changed: list[Pipeline]  # a refresh's pipelines updated after `since` ([] otherwise)


@dataclass
class _Listing:
    """One project's pipelines as the pages arrive."""

    wanted: Wanted
    records: list[Pipeline] = field(default_factory=list)
    cursor: str | None = None
    jobs_cut: set[int] = field(default_factory=set)  # pipelines with more jobs than a page
    broken: bool = False  # something GitLab would not send: REST decides


_COMPLEXITY = re.compile(r"complexity of (\d+), which exceeds max complexity of (\d+)")


class _TooBig(Exception):
    """GitLab refused a request for its size; a smaller one may pass."""

    def parts(self, batch: int) -> int:
        """How many requests to split a batch into: as many as the reported complexity
        asks for (0: not even one project fits), else two."""
        if batch <= 1:
            return 0  # one project is as small as a request gets
        found = _COMPLEXITY.search(str(self))
        if found is None:
            return 2  # a timeout says nothing of how much smaller
        score, limit = int(found.group(1)), int(found.group(2))
        # The projects connection multiplies everything below it by 1 + batch/100
        # (base_field.rb); the rest of the query (queryComplexity) costs 3.
        per_batch = max(1.0, (score - 3) / (1 + batch / 100))
        fits = int(((limit - 3) / per_batch - 1) * 100)
        return 0 if fits < 1 else max(2, -(-batch // fits))


class BulkRun:
    """GraphQL's batches under way: each project's answer as soon as its batch is done.

    Projects wait only for their own batch, so their REST requests (branches, merge
    requests) go out while GraphQL is still answering for others.
    """

    def __init__(
        self,
        asker: _Asker,
        batches: list[list[Wanted]],
        pool: Executor,
        note: Callable[[str], None],
    ) -> None:
        self._note = note
        self._asker = asker
        self._lock = threading.Lock()
        self._failure: str | None = None
        self._futures: list[Future[dict[int, Given]]] = []
        self._batch_of: dict[int, Future[dict[int, Given]]] = {}
        for wanted in batches:
            future = pool.submit(asker.batch, wanted)
            self._futures.append(future)
            self._batch_of.update((w.project_id, future) for w in wanted)

    def given(self, project_id: int) -> Given | None:
        """What GraphQL brought for the project (waiting for its batch); None: ask REST."""
        future = self._batch_of.get(project_id)
        return None if future is None else self._answers(future).get(project_id)

    def has_environment(self, project_id: int) -> bool | None:
        """Whether GraphQL saw an environment of the project (None: it did not answer)."""
        future = self._batch_of.get(project_id)
        if future is None:
            return None
        self._answers(future)
        return self._asker.signs.get(project_id)

    def _answers(self, future: Future[dict[int, Given]]) -> dict[int, Given]:
        try:
            return future.result()
        except (ApiError, FetchError, CircuitOpenError) as exc:
            reason = str(exc)
        except Exception as exc:
            # GraphQL only saves requests: nothing it sends may stop the fetch, whose REST
            # path asks these projects again (and the note says what happened).
            reason = f"unexpected answer ({type(exc).__name__})"
        with self._lock:
            self._failure = self._failure or reason
        return {}

    def close(self) -> None:
        """Wait for every batch; one note if GraphQL failed for some."""
        answered = sum(len(self._answers(future)) for future in self._futures)
        if self._failure is not None:
            self._note(
                f"GraphQL could not list the pipelines of {len(self._batch_of) - answered} "
                f"project(s) ({self._failure}); asking them over REST"
            )


def start(
    api: ApiClient,
    wanted: Sequence[Wanted],
    *,
    keep: int,
    failed_jobs: bool,
    all_jobs: bool,
    pool: Executor,
    note: Note,
    batch: int = BATCH,
) -> BulkRun:
    """Start asking for the kept pipelines of `wanted`, `batch` projects a request."""
    if not 1 <= batch <= BATCH:
        raise ValueError(f"GraphQL batch size must be 1..{BATCH}, not {batch}")
    by_since: dict[str | None, list[Wanted]] = {}
    for item in wanted:
        by_since.setdefault(item.since, []).append(item)  # one `since` a request
    batches = [
        group[i : i + batch] for group in by_since.values() for i in range(0, len(group), batch)
    ]
    return BulkRun(_Asker(api, keep, failed_jobs, all_jobs), batches, pool, note)


class _Asker:
    """Sends the requests of the batches (from several threads) and reads their answers."""

    def __init__(self, api: ApiClient, keep: int, failed_jobs: bool, all_jobs: bool) -> None:
        self.api = api
        # Whether each answered project has an environment (Project.environment, which
        # GitLab resolves for any number of projects): the free sign of fetch/environments.
        self.signs: dict[int, bool] = {}
        self.keep = keep
        self.failed_jobs = failed_jobs
        self.all_jobs = all_jobs

    def batch(self, wanted: list[Wanted]) -> dict[int, Given]:
        """The kept pipelines of one batch's projects, splitting it while GitLab refuses."""
        try:
            listings = self._first_pages(wanted)
        except _TooBig as exc:
            parts = exc.parts(len(wanted))
            if parts < 1:
                raise ApiError(None, str(exc), "/api/graphql") from None
            size = -(-len(wanted) // parts)  # even parts: 47 in two of 24, not 23, 23 and 1
            given: dict[int, Given] = {}
            for start in range(0, len(wanted), size):
                given |= self.batch(wanted[start : start + size])
            return given
        given = {}
        for listing in listings:
            found = self._finish(listing)
            if found is not None:
                given[listing.wanted.project_id] = found
        return given

    def _first_pages(self, wanted: list[Wanted]) -> list[_Listing]:
        by_id = {w.project_id: _Listing(w) for w in wanted}
        since = wanted[0].since
        first = MORE_PAGE if since is not None else PIPELINES_PAGE
        ids = [w.project_id for w in wanted]
        answered, cursor = self._ask(ids, first, None, since=since)
        for _ in range(len(ids)):  # a server paging below the batch: each page has one
            if cursor is None:
                break
            more, cursor = self._ask(ids, first, None, since=since, projects_after=cursor)
            answered |= more
        for project_id, page in answered.items():
            listing = by_id.get(project_id)
            if listing is not None:  # a project not asked for is not ours to keep
                self._read_page(listing, page)
        # Left out (deleted, hidden): REST says which.
        return [by_id[i] for i in sorted(by_id) if i in answered]

    def _ask(
        self,
        ids: list[int],
        first: int,
        after: str | None,
        ref: str | None = None,
        since: str | None = None,
        projects_after: str | None = None,
    ) -> tuple[dict[int, object], str | None]:
        """One request: each answered project's `pipelines` connection, by project id, and
        the cursor of the next page of projects (None: the last page)."""
        variables: dict[str, Any] = {
            "ids": [f"{graphql_convert.PROJECT_GID}{i}" for i in ids],
            "projects": len(ids),
            "projectsAfter": projects_after,
            "first": first,
            "after": after,
            "ref": ref,
            "since": since,
            # Asked even with jobs off: a null `jobs` is how GraphQL says the token may not
            # read jobs, and without that right REST refuses the pipelines too.
            "jobs": JOBS_PAGE if self.failed_jobs or self.all_jobs else 1,
            # Every attempt, or (fetch.jobs off) only the failed latest ones, as before.
            "jobStatuses": None if self.all_jobs else ["FAILED"],
            "retried": None if self.all_jobs else False,
        }
        try:
            data = self.api.graphql(QUERY, variables)
        except ApiError as exc:
            text = str(exc).lower()
            if exc.status in _TOO_BIG_STATUSES or any(w in text for w in _TOO_BIG_WORDS):
                raise _TooBig(str(exc)) from None
            raise
        projects = graphql_convert.connection(data.get("projects"))
        if projects is None:
            raise ApiError(None, "GraphQL answer in an unexpected shape", "/api/graphql")
        answered: dict[int, object] = {}
        for node in projects[0]:
            if isinstance(node, dict):
                project_id = graphql_convert.number(node.get("id"), graphql_convert.PROJECT_GID)
                if project_id is not None:
                    answered[project_id] = node.get("pipelines")
                    if "environment" in node:
                        self.signs[project_id] = isinstance(node["environment"], dict)
        return answered, projects[1]

    def _read_page(self, listing: _Listing, page: object) -> None:
        """Add one page of a project's pipelines; anything odd sends the project to REST."""
        read = graphql_convert.connection(page)
        if read is None:
            listing.broken = True
            return
        nodes, cursor = read
        if cursor is not None and (cursor == listing.cursor or not nodes):
            # "More after here" with a cursor that does not move, or a page of nothing that
            # says there is more: a server that never ends the list.
            listing.broken = True
            return
        listing.cursor = cursor
        for node in nodes:
            found = self._jobs(listing, node)
            if found is None:
                listing.broken = True
                return
            record = graphql_convert.pipeline(node, listing.wanted.web_url, found[1], found[0])
            if record is None:
                listing.broken = True
                return
            listing.records.append(record)

    def _jobs(
        self, listing: _Listing, node: object
    ) -> tuple[list[Job] | None, list[FailedJob]] | None:
        """A pipeline's job attempts (None: not asked for) and failed jobs (a failed
        pipeline's only); None when they cannot be read."""
        if not isinstance(node, dict):
            return None
        read = graphql_convert.connection(node.get("jobs"))
        if read is None:  # null: the token may not read jobs (REST says so with a 403)
            return None
        nodes, more = read
        status = str(node.get("status")).lower()
        failed = self.failed_jobs and status == "failed"
        if status not in FINISHED_STATUSES:  # kept once finished, as over REST (fetch.jobs)
            return ([] if self.all_jobs else None), []
        if not self.all_jobs and not failed:
            return None, []
        attempts = [graphql_convert.attempt(n, listing.wanted.web_url) for n in nodes]
        if any(a is None for a in attempts):
            return None
        if more is not None:
            pid = graphql_convert.number(node.get("id"), graphql_convert.PIPELINE_GID)
            listing.jobs_cut.add(pid or 0)
        jobs, failed_jobs = jobs_mod.records([a for a in attempts if a is not None], failed)
        return (jobs if self.all_jobs else None), failed_jobs

    def _finish(self, listing: _Listing) -> Given | None:
        """What to keep of the project's pipelines, reading more pages as REST would; None:
        ask REST."""
        try:
            found = self._since(listing) if listing.wanted.since else self._newest(listing)
        except (ApiError, _TooBig):
            return None  # a later page failed: this project's own REST fetch asks again
        if found is None:
            return None
        kept: list[Pipeline] = []
        for pipeline in found.kept:
            if pipeline["id"] in listing.jobs_cut:
                try:
                    every, failed = self._rest_jobs(listing.wanted, pipeline)
                except ApiError:
                    return None  # the project's own REST fetch meets the same and says so
                pipeline = {**pipeline, "jobs": every, "failed_jobs": failed}
            kept.append(pipeline)
        return Given(kept, found.changed)

    def _more(self, listing: _Listing, cap: int, enough: bool) -> None:
        """Follow the project's next pages up to `cap` records (or enough on the default
        branch, when `enough` says to stop there)."""
        wanted = listing.wanted
        while (
            not listing.broken
            and listing.cursor is not None
            and len(listing.records) < cap
            and not (
                enough
                and pipelines.enough_listed(listing.records, wanted.default_branch, self.keep)
            )
        ):
            page, _ = self._ask([wanted.project_id], MORE_PAGE, listing.cursor, since=wanted.since)
            if wanted.project_id not in page:
                listing.broken = True
                return
            self._read_page(listing, page[wanted.project_id])

    def _newest(self, listing: _Listing) -> Given | None:
        """A full fetch: the newest pipelines, as ProjectFetcher._list_pipelines lists them."""
        wanted = listing.wanted
        self._more(listing, LIST_CAP, enough=True)
        if listing.broken or not listing.records:
            return None  # nothing listed: no pipelines, or not allowed to see them
        candidates = list(listing.records[:LIST_CAP])
        exhausted = listing.cursor is None and len(listing.records) <= LIST_CAP
        if not exhausted and not pipelines.enough_listed(
            candidates, wanted.default_branch, self.keep
        ):
            more = self._default_branch(listing)
            if more is None:
                return None
            candidates += more
        return Given(pipelines.select(candidates, wanted.default_branch, self.keep), [])

    def _since(self, listing: _Listing) -> Given | None:
        """A refresh: the stored pipelines and every one updated since, chosen among as
        ProjectFetcher's "since" does; a stored one not updated since is kept as stored."""
        wanted = listing.wanted
        self._more(listing, SINCE_CAP, enough=False)
        if listing.broken or listing.cursor is not None or not listing.records:
            return None  # too many, or none although the probe saw a change: REST decides
        changed = {p["id"]: p for p in listing.records}
        stored = {p["id"]: p for p in wanted.stored}
        candidates = [pipelines.summary_of(p) for p in wanted.stored] + list(changed.values())
        chosen = pipelines.select(candidates, wanted.default_branch, self.keep)
        picked = (_fresher(stored.get(int(c["id"])), changed.get(int(c["id"]))) for c in chosen)
        kept = [p for p in picked if p is not None]  # each chosen one is stored or listed
        return Given(kept, listing.records)

    def _default_branch(self, listing: _Listing) -> list[Pipeline] | None:
        """The newest `keep` default-branch pipelines, as REST's `ref=` query brings them."""
        wanted = listing.wanted
        page, _ = self._ask([wanted.project_id], self.keep, None, ref=wanted.default_branch)
        extra = _Listing(wanted)
        self._read_page(extra, page.get(wanted.project_id))
        if extra.broken:
            return None
        listing.jobs_cut |= extra.jobs_cut
        return extra.records

    def _rest_jobs(
        self, wanted: Wanted, pipeline: Pipeline
    ) -> tuple[list[Job] | None, list[FailedJob]]:
        """Every job attempt of a pipeline with more than one GraphQL page of them."""
        path = f"/projects/{wanted.project_id}/pipelines/{pipeline['id']}/jobs"
        return jobs_mod.rest_jobs(
            self.api, path, pipeline["status"], failed_jobs=self.failed_jobs, all_jobs=self.all_jobs
        )


def _fresher(stored: Pipeline | None, listed: Pipeline | None) -> Pipeline | None:
    """The record to keep of a pipeline: the stored one while it has not changed (it carries
    what was read once, such as its test report), else the one just listed."""
    if listed is None:
        return stored
    if stored is not None and pipelines.reusable(stored, pipelines.summary_of(listed)):
        return stored
    return listed
