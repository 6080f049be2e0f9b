"""A pipeline's job attempts: which are retried, what failed_jobs keeps, REST and GraphQL alike."""

from __future__ import annotations

from typing import Any

from gldash_static.fetch import jobs
from gldash_static.fetch.graphql_convert import attempt

URL = "https://gitlab.example.com/acme/api"


def rest(job_id: int, name: str, status: str, **extra: Any) -> dict[str, Any]:
    """A job as GET .../pipelines/:id/jobs lists it (REST has no `retried` field)."""
    return {
        "id": job_id,
        "name": name,
        "stage": "test",
        "status": status,
        "duration": 12.9,
        "queued_duration": 0.44,
        "allow_failure": False,
        "web_url": f"{URL}/-/jobs/{job_id}",
        "commit": {"author_email": "ada@example.com", "title": "x"},
        **({"failure_reason": "script_failure"} if status == "failed" else {}),
        **extra,
    }


def test_of_the_attempts_sharing_a_name_all_but_the_newest_are_retried() -> None:
    listed = [rest(15, "unit", "success"), rest(11, "unit", "failed"), rest(12, "lint", "failed")]
    every, failed = jobs.from_rest(listed, failed=True)
    assert [(j["name"], j["status"], j["retried"]) for j in every] == [
        ("unit", "failed", True),
        ("lint", "failed", False),
        ("unit", "success", False),
    ]
    # A retried attempt that failed is not a failed job of the pipeline: its retry passed.
    assert [j["id"] for j in failed] == [12]
    assert every[0]["failure_reason"] == "script_failure"
    assert every[2]["failure_reason"] is None
    assert every[0]["duration"] == 12.0 and every[0]["queued_duration"] == 0.4


def test_a_passed_pipeline_keeps_its_attempts_but_no_failed_jobs() -> None:
    every, failed = jobs.from_rest([rest(3, "lint", "failed", allow_failure=True)], failed=False)
    assert failed == [] and every[0]["allow_failure"] is True


def test_no_email_or_commit_reaches_the_records() -> None:
    every, failed = jobs.from_rest([rest(3, "unit", "failed")], failed=True)
    assert "example.com" not in repr(every) + repr(failed).replace(URL, "")


def test_repeated_and_idless_items_are_dropped() -> None:
    listed = [rest(3, "unit", "failed"), rest(3, "unit", "failed"), {"name": "x"}, "junk"]
    every, _ = jobs.from_rest([i for i in listed if isinstance(i, dict)], failed=True)
    assert len(every) == 1


def test_graphql_says_retried_itself_and_rest_infers_the_same() -> None:
    def node(job_id: int, status: str, retried: bool | None) -> dict[str, Any]:
        return {
            "id": f"gid://gitlab/Ci::Build/{job_id}",
            "name": "unit",
            "status": status,
            "retried": retried,
            "allowFailure": False,
            "duration": 12,
            "queuedDuration": 0.44,
            "stage": {"name": "test"},
            "detailedStatus": {"tooltip": "Failed - (script failure)"},
        }

    said = [attempt(node(15, "SUCCESS", False), URL), attempt(node(11, "FAILED", True), URL)]
    unsaid = [attempt(node(15, "SUCCESS", None), URL), attempt(node(11, "FAILED", None), URL)]
    from_graphql = jobs.records([a for a in said if a], failed=False)
    inferred = jobs.records([a for a in unsaid if a], failed=False)
    from_rest = jobs.from_rest([rest(11, "unit", "failed"), rest(15, "unit", "success")], False)
    assert from_graphql == inferred == from_rest


def test_a_huge_listing_keeps_the_newest_attempts() -> None:
    listed = [rest(n, f"job {n}", "success") for n in range(1, jobs.MAX_ATTEMPTS + 50)]
    every, _ = jobs.from_rest(listed, failed=False)
    assert len(every) == jobs.MAX_ATTEMPTS and every[-1]["name"] == f"job {jobs.MAX_ATTEMPTS + 49}"
