"""The two GraphQL steps of a listing-based fetch, each turning one plan into the next.

The probe asks which projects' pipelines changed since the last run (fetch/changes.py); the
bulk listing brings the pipelines of the projects still to be listed (fetch/bulk.py), each
project taking its answer (plan.with_given) when its batch is done. Both only save
requests: whatever they cannot answer stays in the plan for REST.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

from gldash_static.config import FetchSettings
from gldash_static.fetch import bulk, changes, plan
from gldash_static.fetch.plan import FetchPlan, ProjectPlan
from gldash_static.gitlab import ApiClient
from gldash_static.model import Project

Note = Callable[[str], None]


def probe(
    api: ApiClient, fetch_plan: FetchPlan, pool: Executor, note: Note, batch: int
) -> tuple[FetchPlan, bool]:
    """The plan once GraphQL said which projects changed, and whether it could say (True
    also when there was nothing to ask)."""
    ids = fetch_plan.probe_ids()
    if not ids or fetch_plan.since is None:
        return fetch_plan, True
    # A note, not a warning: nothing is lost, the refresh only costs more requests.
    answers = changes.probe(api, ids, fetch_plan.since, pool, note, batch=batch)
    return plan.after_probe(fetch_plan, answers), answers is not None


def start_bulk(
    api: ApiClient,
    fetch_plan: FetchPlan,
    records: list[Project],
    settings: FetchSettings,
    pool: Executor,
    note: Note,
    batch: int,
) -> bulk.BulkRun | None:
    """Start GraphQL listing the pipelines of the projects it takes (None: there are none)."""
    ids = set(fetch_plan.bulk_ids())
    plans = {p.project_id: p for p in fetch_plan.projects}
    wanted = [
        _wanted(r, plans[r["id"]])
        for r in records
        if r["id"] in ids and r["default_branch"] is not None
    ]
    if not wanted:
        return None
    return bulk.start(
        api,
        wanted,
        keep=settings.pipelines_per_project,
        failed_jobs=settings.failed_jobs,
        all_jobs=settings.jobs,
        pool=pool,
        note=note,
        batch=min(batch, bulk.BATCH),
    )


def _wanted(record: Project, project: ProjectPlan) -> bulk.Wanted:
    """What GraphQL is to list for one project (its default branch is known)."""
    stored = tuple(project.previous["pipelines"]) if project.previous else ()
    branch = record["default_branch"] or ""
    return bulk.Wanted(record["id"], branch, record["web_url"], project.since, stored)


def lookup(run: bulk.BulkRun | None, project_id: int) -> Callable[[], bulk.Given | None] | None:
    """What a project waits for: its answer from GraphQL's batch (None: no batch runs)."""
    if run is None:
        return None
    return lambda: run.given(project_id)


def sign(run: bulk.BulkRun | None, project_id: int) -> Callable[[], bool | None] | None:
    """Whether GraphQL's batch saw an environment of the project (None: no batch runs)."""
    if run is None:
        return None
    return lambda: run.has_environment(project_id)
