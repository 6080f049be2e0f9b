"""Small facts read from a snapshot, shared by the index, history and changes.

Failing, head pipeline, success rate and the delivery figures are the dashboard's own rules
(gldash_static.rules), re-exported here so that the archive's modules keep reading them from
one place.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from gldash_static.errors import ArchiveError
from gldash_static.model import Pipeline, Project, Snapshot
from gldash_static.rules.delivery import DeliveryFigures as DeliveryFigures
from gldash_static.rules.delivery import daily as delivery_days
from gldash_static.rules.facts import failing_default as failing_default
from gldash_static.rules.facts import head_pipeline as head_pipeline
from gldash_static.rules.facts import success_rate as success_rate
from gldash_static.rules.stats import percentile as percentile
from gldash_static.timeutil import iso_utc as iso_utc
from gldash_static.timeutil import parse_time as parse_time

# Statuses counted as a finished run for volume; success rate uses success and failed only
# (rules.facts.DECIDING), the same rule the dashboard pages use.
COUNTED_STATUSES = frozenset({"success", "failed", "canceled"})


def snapshot_time(snapshot: Snapshot) -> datetime:
    """When the snapshot was generated, in UTC (the archive's only notion of "now")."""
    moment = parse_time(snapshot.get("generated_at"))
    if moment is None:
        raise ArchiveError("snapshot has no valid generated_at time; cannot archive it")
    return moment


def projects(snapshot: Snapshot) -> Iterator[Project]:
    """Every project of every source, in snapshot order."""
    for source in snapshot.get("sources") or []:
        yield from source.get("projects") or []


def group_paths(snapshot: Snapshot) -> list[str]:
    """Full paths of every group in the snapshot, sorted and unique."""
    paths = {
        g.get("full_path")
        for source in snapshot.get("sources") or []
        for g in source.get("groups") or []
    }
    return sorted(p for p in paths if isinstance(p, str) and p)


def groups_of(namespace: str, groups: Sequence[str]) -> list[str]:
    """The groups a project belongs to: its namespace and every ancestor that is a group."""
    return [g for g in groups if namespace == g or namespace.startswith(g + "/")]


def finished_day(pipeline: Pipeline) -> str | None:
    """The UTC day (YYYY-MM-DD) a counted pipeline finished, or None if it does not count."""
    if pipeline.get("status") not in COUNTED_STATUSES:
        return None
    moment = parse_time(pipeline.get("finished_at")) or parse_time(pipeline.get("updated_at"))
    return moment.strftime("%Y-%m-%d") if moment else None


def project_delivery(project: Project) -> dict[str, DeliveryFigures] | None:
    """A project's delivery figures per UTC day; None when its deployments were never fetched."""
    deployments = project.get("deployments") or []
    environments = project.get("environments")
    if environments is None and not deployments:
        return None
    return delivery_days(deployments, environments)
