"""GraphQL nodes to snapshot records: the same records REST answers become, bounded alike."""

from __future__ import annotations

from typing import Any

import pytest

from gldash_static.fetch import convert, jobs
from gldash_static.fetch.graphql_convert import attempt, connection, number, pipeline

URL = "https://gitlab.example.com/acme/api"


def node(**overrides: Any) -> dict[str, Any]:
    """A Pipeline node as GitLab sends it."""
    return {
        "id": "gid://gitlab/Ci::Pipeline/61",
        "iid": "7",
        "status": "FAILED",
        "ref": "main",
        "sha": "a" * 40,
        "source": "push",
        "createdAt": "2026-11-28T05:00:00+00:00",
        "updatedAt": "2026-11-28T05:10:00Z",
        "startedAt": "2026-11-28T05:00:03+00:00",
        "finishedAt": None,
        "duration": 597,
        "queuedDuration": 2.5,
        "coverage": 87.5,
        "user": {"username": "ada"},
    } | overrides


def test_a_pipeline_node_becomes_the_rest_record() -> None:
    rest = convert.pipeline(
        {
            "id": 61,
            "iid": 7,
            "status": "failed",
            "ref": "main",
            "sha": "a" * 40,
            "source": "push",
            "created_at": "2026-11-28T05:00:00.000Z",
            "updated_at": "2026-11-28T05:10:00.412Z",
            "started_at": "2026-11-28T05:00:03.100Z",
            "finished_at": None,
            "duration": 597,
            "queued_duration": 2.5,
            "coverage": "87.5",
            "web_url": f"{URL}/-/pipelines/61",
            "user": {"username": "ada", "id": 3},
        },
        [],
    )
    assert pipeline(node(), URL, [], None) == rest


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "gid://gitlab/Ci::Pipeline/abc"},
        {"id": "gid://gitlab/Project/61"},
        {"id": 61},
        {"id": "gid://gitlab/Ci::Pipeline/" + "9" * 30},
        {"id": "gid://gitlab/Ci::Pipeline/0"},
        {"status": None},
        {"iid": 7},
    ],
)
def test_a_node_gitlab_would_not_send_gives_none(bad: dict[str, Any]) -> None:
    assert pipeline(node(**bad), URL, [], None) is None
    assert pipeline("not a node", URL, [], None) is None


def test_hostile_values_are_bounded_by_convert() -> None:
    record = pipeline(
        node(ref="r" * 10_000, duration=-5, queuedDuration=float("inf"), user="ada"),
        URL,
        [],
        None,
    )
    assert record is not None
    assert len(record["ref"]) == convert.MAX_TEXT
    assert record["duration"] is None and record["queued_duration"] is None
    assert record["username"] is None
    assert pipeline(node(iid="1" * 40), URL, [], None) == pipeline(node(iid=None), URL, [], None)


def failed_job(job: dict[str, Any], url: str) -> Any:
    """The failed_jobs record a failed latest attempt becomes (None: not an attempt)."""
    found = attempt(job, url)
    return None if found is None else jobs.records([found], failed=True)[1][0]


def test_a_failed_job_node() -> None:
    job = {
        "id": "gid://gitlab/Ci::Build/6100001",
        "name": "rspec 1/2",
        "status": "FAILED",
        "retried": False,
        "allowFailure": False,
        "duration": 61,
        "queuedDuration": 3.14159,
        "stage": {"name": "test"},
        "detailedStatus": {"tooltip": "Failed - (script failure)"},
    }
    assert failed_job(job, URL) == {
        "id": 6100001,
        "name": "rspec 1/2",
        "stage": "test",
        "failure_reason": "script_failure",
        "allow_failure": False,
        "duration": 61.0,
        "web_url": f"{URL}/-/jobs/6100001",
    }
    found = attempt(job, URL)
    assert found is not None
    assert jobs.records([found], failed=True)[0] == [
        {
            "name": "rspec 1/2",
            "status": "failed",
            "duration": 61.0,
            "queued_duration": 3.1,
            "retried": False,
            "allow_failure": False,
            "failure_reason": "script_failure",
        }
    ]
    commit_status = failed_job(job | {"id": "gid://gitlab/CommitStatus/5"}, URL)
    assert commit_status is not None and commit_status["id"] == 5
    unknown = failed_job(job | {"stage": None, "detailedStatus": None}, URL)
    assert unknown is not None and unknown["stage"] == "" and unknown["failure_reason"] is None
    assert attempt(job | {"id": None}, URL) is None
    assert attempt(job | {"status": None}, URL) is None


def test_rest_job_durations_are_whole_seconds_as_graphql_gives_them() -> None:
    assert convert.failed_job({"id": 1, "duration": 61.97})["duration"] == 61.0


@pytest.mark.parametrize(
    ("value", "read"),
    [
        ({"nodes": [1], "pageInfo": {"hasNextPage": False, "endCursor": "x"}}, ([1], None)),
        ({"nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": "c2"}}, ([], "c2")),
        ({"nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": None}}, None),
        ({"nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": "c" * 2000}}, None),
        ({"nodes": {}, "pageInfo": {}}, None),
        ({"nodes": []}, None),
        (None, None),
    ],
)
def test_connection(value: object, read: object) -> None:
    assert connection(value) == read


def test_number() -> None:
    assert number("gid://gitlab/Project/12", "gid://gitlab/Project/") == 12
    assert number("gid://gitlab/Project/-1", "gid://gitlab/Project/") is None
    assert number("gid://gitlab/Project/12", "gid://gitlab/Group/") is None
