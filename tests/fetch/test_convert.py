"""Turning GitLab records into snapshot records: features, fallbacks, nothing private."""

from __future__ import annotations

from gldash_static.fetch import convert


def test_features_follow_access_levels_and_old_flags() -> None:
    assert convert.features({}) == convert.ProjectFeatures(True, True, True)
    off = convert.features(
        {
            "builds_access_level": "disabled",
            "merge_requests_access_level": "disabled",
            "repository_access_level": "disabled",
        }
    )
    assert off == convert.ProjectFeatures(False, False, False)
    old = convert.features({"jobs_enabled": False, "merge_requests_enabled": True})
    assert old == convert.ProjectFeatures(pipelines=False, merge_requests=True, repository=True)
    assert convert.features({"builds_access_level": "private"}).pipelines  # members only


def test_branch_keeps_no_email_and_project_defaults() -> None:
    branch = convert.branch(
        {
            "name": "main",
            "commit": {
                "short_id": "7b5c3cc",
                "title": "add projects API",
                "author_name": "John Smith",
                "author_email": "john@example.com",
                "committer_email": "john@example.com",
                "committed_date": "2012-06-28T03:44:20-07:00",
            },
        }
    )
    assert "example.com" not in repr(branch)
    project = convert.project({"id": 1, "path_with_namespace": "a/b", "default_branch": None}, "t")
    assert project["empty_repo"] is True  # list endpoints may omit empty_repo
    assert project["namespace"] == "a"
    assert convert.project({"id": 2, "visibility": "weird"}, "t")["visibility"] == "private"
