"""The merge request body, the largest of GitLab's documented shapes."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from gldash_static.simulator.model import MergeRequest
from gldash_static.simulator.serialize import Body, date_only, ts

if TYPE_CHECKING:
    from gldash_static.simulator.serialize import Serializer


def merge_request_body(ser: Serializer, m: MergeRequest) -> Body:
    """An item of GET /groups/:id/merge_requests and /projects/:id/merge_requests."""
    p = ser.state.projects.get(m.project_id) or ser.state.deleted_projects[m.project_id]
    merged_by = ser.user(m.merged_by_id) if m.merged_by_id else None
    assignees = [ser.user(a) for a in m.assignee_ids]
    milestone = None
    if m.iid % 3 == 0:
        milestone = {
            "id": m.project_id * 10 + 1,
            "iid": 1,
            "project_id": m.project_id,
            "title": f"v{m.project_id % 5}.0",
            "description": "Release milestone",
            "state": "active",
            "created_at": ts(p.created_at),
            "updated_at": ts(p.created_at),
            "due_date": date_only(m.created_at + timedelta(days=30)),
            "start_date": date_only(m.created_at),
            "web_url": f"{ser.web}/{p.path_with_namespace}/-/milestones/1",
        }
    return {
        "id": m.id,
        "iid": m.iid,
        "project_id": m.project_id,
        "title": m.title,
        "description": m.description,
        "state": m.state,
        "imported": False,
        "imported_from": "none",
        "merged_by": merged_by,
        "merge_user": merged_by,
        "merged_at": ts(m.merged_at),
        "merge_after": None,
        "prepared_at": ts(m.created_at + timedelta(seconds=3)),
        "closed_by": ser.user(m.closed_by_id) if m.closed_by_id else None,
        "closed_at": ts(m.closed_at),
        "created_at": ts(m.created_at),
        "updated_at": ts(m.updated_at),
        "target_branch": m.target_branch,
        "source_branch": m.source_branch,
        "upvotes": m.upvotes,
        "downvotes": 0,
        "author": ser.user(m.author_id),
        "assignee": assignees[0] if assignees else None,
        "assignees": assignees,
        "reviewers": [ser.user(r) for r in m.reviewer_ids],
        "source_project_id": m.project_id,
        "target_project_id": m.project_id,
        "labels": list(m.labels),
        "draft": m.draft,
        "work_in_progress": m.draft,
        "milestone": milestone,
        "merge_when_pipeline_succeeds": False,
        "merge_status": "cannot_be_merged"
        if m.has_conflicts
        else "checking"
        if m.detailed_merge_status == "checking"
        else "can_be_merged",
        "detailed_merge_status": m.detailed_merge_status,
        "sha": m.sha,
        "merge_commit_sha": m.merge_commit_sha,
        "squash_commit_sha": None,
        "user_notes_count": m.user_notes_count,
        "discussion_locked": None,
        "should_remove_source_branch": True,
        "force_remove_source_branch": False,
        "web_url": f"{ser.web}/{p.path_with_namespace}/-/merge_requests/{m.iid}",
        "references": {
            "short": f"!{m.iid}",
            "relative": f"{p.path}!{m.iid}",
            "full": f"{p.path_with_namespace}!{m.iid}",
        },
        "time_stats": {
            "time_estimate": 0,
            "total_time_spent": 0,
            "human_time_estimate": None,
            "human_total_time_spent": None,
        },
        "squash": False,
        "task_completion_status": {"count": 0, "completed_count": 0},
        "has_conflicts": m.has_conflicts,
        "blocking_discussions_resolved": m.detailed_merge_status != "discussions_not_resolved",
    }
