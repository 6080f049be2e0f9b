"""Archived snapshots past archive.retention.jobs_days drop their job attempts, not pipelines.

Job attempts (every job of every pipeline, with durations and queues) are about a third of a
snapshot. history.json keeps the figures drawn from them when a snapshot is added, and the
newest snapshot, the one pages read, keeps them (archive.carry says when it cannot); an older
snapshot keeps its pipelines,
their failed jobs and everything else, with `jobs` null as a fetch without job data writes it.
"""

from __future__ import annotations

from typing import Any

Raw = dict[str, Any]


def without_jobs(raw: Raw) -> Raw:
    """`raw` with every pipeline's job attempts unknown (null); what it changes is copied,
    since stored JSON rebuilt from deltas shares its parts with its neighbours."""
    sources = raw.get("sources")
    if not isinstance(sources, list):
        return raw
    return {**raw, "sources": [_source(s) for s in sources]}


def has_job_attempts(raw: Raw) -> bool:
    """Whether any pipeline of `raw` still lists its job attempts."""
    return any(
        isinstance(pipeline, dict) and pipeline.get("jobs") is not None
        for project in _projects(raw)
        for pipeline in _list(project.get("pipelines"))
    )


def _source(source: Any) -> Any:
    if not isinstance(source, dict) or not isinstance(source.get("projects"), list):
        return source
    return {**source, "projects": [project_without_jobs(p) for p in source["projects"]]}


def project_without_jobs(project: Any) -> Any:
    """One project of a snapshot as without_jobs writes it; anything else as it is (for
    snapshot.canonical_pieces(leaf=), which thins a snapshot one project at a time)."""
    if not isinstance(project, dict) or not isinstance(project.get("pipelines"), list):
        return project
    if all(not isinstance(p, dict) or p.get("jobs") is None for p in project["pipelines"]):
        return project
    return {**project, "pipelines": [_pipeline(p) for p in project["pipelines"]]}


def _pipeline(pipeline: Any) -> Any:
    if not isinstance(pipeline, dict) or pipeline.get("jobs") is None:
        return pipeline
    return {**pipeline, "jobs": None}


def _projects(raw: Raw) -> list[dict[str, Any]]:
    return [
        project
        for source in _list(raw.get("sources"))
        if isinstance(source, dict)
        for project in _list(source.get("projects"))
        if isinstance(project, dict)
    ]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
