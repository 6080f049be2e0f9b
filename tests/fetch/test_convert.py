"""Turning GitLab records into snapshot records: features, fallbacks, nothing private."""

from __future__ import annotations

from gldash_static.fetch import convert


def test_features_follow_access_levels_and_old_flags() -> None:
    open_ = {
        "builds_access_level": "enabled",
        "merge_requests_access_level": "enabled",
        "repository_access_level": "enabled",
    }
    assert convert.features(open_) == convert.ProjectFeatures("open", "open", "open")
    off = convert.features({key: "disabled" for key in open_})
    assert off == convert.ProjectFeatures("off", "off", "off")
    old = convert.features(open_ | {"jobs_enabled": False, "merge_requests_enabled": True})
    assert old == convert.ProjectFeatures(pipelines="off", merge_requests="open", repository="open")
    members = convert.features(open_ | {"builds_access_level": "private"})
    assert members.pipelines == "members" and members.members_only() == ["pipelines"]


def test_members_only_features_and_unknown_levels() -> None:
    # public_jobs: false hides pipelines and jobs from non-members of a public project.
    hidden_jobs = convert.features(
        {
            "builds_access_level": "enabled",
            "merge_requests_access_level": "private",
            "repository_access_level": "enabled",
            "public_jobs": False,
        }
    )
    assert hidden_jobs.members_only() == ["pipelines", "merge_requests"]
    # A level GitLab did not send is not taken as open: nothing is published on a guess.
    assert convert.features({}).members_only() == ["repository", "pipelines", "merge_requests"]


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
