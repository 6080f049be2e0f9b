"""Merge requests of the projects in configured groups, from one listing per group.

Which projects take theirs from here is the plan's decision (merge_requests == "group");
the others list their own, or publish none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gldash_static.fetch import convert
from gldash_static.fetch.plan import FetchPlan
from gldash_static.gitlab import ApiClient
from gldash_static.model import MergeRequest, Project


def listing(api: ApiClient, group_ids: Sequence[int], since: str | None) -> list[dict[str, Any]]:
    """The groups' merge requests: the open ones, or all updated after `since`."""
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
        for raw in api.iterate(f"/groups/{group_id}/merge_requests", **params):
            project_id, iid = convert.raw_id(raw, "project_id"), convert.raw_id(raw, "iid")
            if project_id is not None and iid is not None:
                found[(project_id, iid)] = raw
    return list(found.values())


def assign(records: list[Project], plan: FetchPlan, raws: list[dict[str, Any]]) -> None:
    """Give each fresh record the plan takes from the group listing its merge requests.

    Incrementally the listing holds only changes: applied to the previous open ones.
    """
    by_project: dict[int, dict[int, MergeRequest]] = {}
    omitted: dict[int, int] = {}
    for project in plan.merge_requests_by_group():
        previous = project.previous if plan.since is not None else None
        start = previous["merge_requests"] if previous else []
        by_project[project.project_id] = {mr["iid"]: mr for mr in start}
        if previous:
            omitted[project.project_id] = previous["merge_requests_omitted"]
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


def keep_previous(records: list[Project], plan: FetchPlan, previous: Sequence[Project]) -> None:
    """After a failed group listing: the records it should have filled keep their old ones.

    Only those: a project that listed its own merge requests has them fresh, even none.
    """
    prior = {p["id"]: p for p in previous}
    by_group = {p.project_id for p in plan.merge_requests_by_group()}
    for record in records:
        old = prior.get(record["id"])
        if old is not None and record["id"] in by_group and not record["merge_requests"]:
            record["merge_requests"] = old["merge_requests"]
            record["merge_requests_omitted"] = old["merge_requests_omitted"]
