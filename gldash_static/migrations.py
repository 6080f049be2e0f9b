"""Migrations of older snapshot files, one step per schema version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gldash_static.model import SHORT_SHA


def _projects(raw: dict[str, Any]) -> list[dict[str, Any]]:
    sources = raw.get("sources")
    found: list[dict[str, Any]] = []
    for source in sources if isinstance(sources, list) else []:
        projects = source.get("projects") if isinstance(source, dict) else None
        found += [p for p in projects if isinstance(p, dict)] if isinstance(projects, list) else []
    return found


def v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 2 records members-only features, what the per-project caps left out, the
    visibilities each source publishes and when each project's branches were read.

    Version 1 did not know about members-only features; the next listing build reads them.
    """
    sources = raw.get("sources")
    for source in sources if isinstance(sources, list) else []:
        if isinstance(source, dict):
            source.setdefault("visibility", ["public", "internal", "private"])  # not known
    for project in _projects(raw):
        project.setdefault("members_only", [])
        project.setdefault("withheld", [])
        project.setdefault("unavailable", [])  # the next fetch asks again
        project.setdefault("branches_omitted", 0)
        project.setdefault("branches_fetched_at", None)  # unknown: re-read on the next refresh
        project.setdefault("merge_requests_omitted", 0)
    return raw


def v2_to_v3(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 3 keeps a pipeline's commit as its 8-digit short id (`short_sha`), not `sha`."""
    for project in _projects(raw):
        pipelines = project.get("pipelines")
        for pipeline in pipelines if isinstance(pipelines, list) else []:
            if isinstance(pipeline, dict) and "sha" in pipeline:
                sha = pipeline.pop("sha")
                pipeline["short_sha"] = sha[:SHORT_SHA] if isinstance(sha, str) else ""
    return raw


def v3_to_v4(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 4 keeps every job attempt of a pipeline, the test report of the newest failing
    one and the default branch's red streak; none of them is known for older data."""
    for project in _projects(raw):
        project.setdefault("red_streak", None)
        pipelines = project.get("pipelines")
        for pipeline in pipelines if isinstance(pipelines, list) else []:
            if isinstance(pipeline, dict):
                pipeline.setdefault("jobs", None)  # fetched again by the next refresh
                pipeline.setdefault("test_report", None)
    return raw


def v4_to_v5(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 5 keeps a project's environments and its latest deployments; older data does
    not know them (None: the next fetch reads them)."""
    for project in _projects(raw):
        project.setdefault("environments", None)
        project.setdefault("deployments", [])
    return raw


# Migrations from version N to N+1; each takes and returns the raw dictionary.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: v1_to_v2,
    2: v2_to_v3,
    3: v3_to_v4,
    4: v4_to_v5,
}
