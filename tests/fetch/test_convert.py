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
    assert off == convert.ProjectFeatures("off", "off", "off", "off")  # environments follow CI/CD
    # The old flags decide only without a level: they answer "may the token use it".
    old = convert.features({"jobs_enabled": False, "merge_requests_enabled": True})
    assert old.pipelines == "off" and old.merge_requests == "members"
    asked_by_outsider = convert.features(
        open_ | {"builds_access_level": "private", "jobs_enabled": False}
    )
    assert asked_by_outsider.pipelines == "members"
    members = convert.features(open_ | {"builds_access_level": "private"})
    assert members.pipelines == "members" and members.members_only() == [
        "pipelines",
        "environments",
    ]


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
    # Without environments_access_level (GitLab before 15.8) CI/CD's audience decides.
    assert hidden_jobs.members_only() == ["pipelines", "merge_requests", "environments"]
    shown = convert.features({"environments_access_level": "enabled", "public_jobs": False})
    assert shown.environments == "open" and shown.pipelines == "members"
    closed = convert.features(
        {"builds_access_level": "enabled", "environments_access_level": "private"}
    )
    assert closed.members_only()[-1:] == ["environments"] and closed.pipelines == "open"
    assert convert.features({"environments_access_level": "disabled"}).environments == "off"
    # A level GitLab did not send is not taken as open: nothing is published on a guess.
    assert convert.features({}).members_only() == [
        "repository",
        "pipelines",
        "merge_requests",
        "environments",
    ]


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


def test_what_the_token_may_not_read_shows_in_the_project_answer() -> None:
    base = {
        "id": 1,
        "empty_repo": False,
        "builds_access_level": "private",
        "merge_requests_access_level": "enabled",
        "jobs_enabled": False,
        "merge_requests_enabled": True,
    }
    # No default_branch at all: GitLab sends it only with read_code (merge requests need it).
    record = convert.project(base, "2024-01-01T00:00:00Z")
    # Nor read_environment (environments follow CI/CD's level when GitLab sends none).
    assert record["unavailable"] == ["repository", "pipelines", "merge_requests", "environments"]
    assert record["empty_repo"] is False and record["default_branch"] is None
    readable = convert.project(
        base | {"default_branch": "main", "jobs_enabled": True}, "2024-01-01T00:00:00Z"
    )
    assert readable["unavailable"] == []
    # A disabled feature is off, not unreadable.
    off = base | {"default_branch": "main", "builds_access_level": "disabled"}
    assert convert.project(off, "2024-01-01T00:00:00Z")["unavailable"] == []
    # Without empty_repo (older list answers), only a default branch sent as null means empty.
    legacy = {"id": 2, "default_branch": None}
    assert convert.project(legacy, "2024-01-01T00:00:00Z")["empty_repo"] is True
    assert convert.project({"id": 3}, "2024-01-01T00:00:00Z")["empty_repo"] is False
