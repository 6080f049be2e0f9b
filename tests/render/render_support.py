"""Helpers for render tests: hostile data, tool checks, a loopback server (uniquely named)."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/factories.py

from factories import make_snapshot

from gldash_static.cli.serve import make_server
from gldash_static.model import Snapshot

REPO = Path(__file__).resolve().parents[2]
BIDI = "\u202e\u2066\u200f"
BIG = "A" * 10_240
XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">\'"&'
EVIL_URL = "javascript:window.__pwned=3"
# The site-wide pages every render writes; the notes page exists where a config adds one.
TOP_PAGES = [
    "index.html",
    "projects.html",
    "failures.html",
    "jobs.html",
    "flaky.html",
    "branches.html",
    "merge-requests.html",
    "environments.html",
    "deployments.html",
    "radiator.html",
    "404.html",
]
NOTES_PAGE = "notes-runbook.html"


def in_ci() -> bool:
    """True when running under CI, where browser tests must run rather than skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(tool: Path, what: str) -> None:
    """Skip when a tool is missing locally; fail when it is missing in CI."""
    if tool.exists():
        return
    if in_ci():
        pytest.fail(f"{what} ({tool}) is required when CI is set")
    pytest.skip(f"{what} not installed ({tool})")


def hostile_snapshot() -> Snapshot:
    """A snapshot whose GitLab-provided texts try markup, quotes, bad URLs and bidi tricks."""
    snap = make_snapshot(projects=4, seed=7, environments=True)
    source = snap["sources"][0]
    source["name"] = f"evil{XSS}"
    group = source["groups"][1]
    group["name"] = f"{XSS}{BIDI}group"
    group["description"] = BIG + XSS
    group["web_url"] = EVIL_URL
    p = source["projects"][0]
    p["name"] = f"{XSS}{BIDI}name"
    p["description"] = f"{XSS}{BIG}"
    p["path_with_namespace"] = f"{group['full_path']}/{XSS}"
    p["topics"] = [XSS, f"{BIDI}topic", BIG]
    p["web_url"] = EVIL_URL
    p["default_branch"] = f"main{XSS}"
    p["stale"] = {"reason": XSS, "since": "2026-11-27T06:00:00Z"}
    for branch in p["branches"]:
        branch["commit_title"] = f"{XSS}{BIDI}{BIG}"
        branch["author_name"] = XSS
    p["branches"][0]["name"] = p["default_branch"]
    p["branches"][1]["name"] = f"feature/{XSS}"
    for pipeline in p["pipelines"]:
        pipeline["ref"] = p["default_branch"]
        pipeline["web_url"] = EVIL_URL
        pipeline["username"] = XSS
        pipeline["status"] = "failed"
        pipeline["failed_jobs"] = [
            {
                "id": 1,
                "name": XSS,
                "stage": BIG,
                "failure_reason": XSS,
                "allow_failure": False,
                "duration": 1.0,
                "web_url": " javascript:alert(1)",
            }
        ]
        pipeline["jobs"] = [
            {
                "name": XSS,
                "status": "failed",
                "duration": float("1e308"),
                "queued_duration": -5.0,
                "retried": True,
                "allow_failure": False,
                "failure_reason": XSS,
            },
            {
                "name": XSS,
                "status": "success",
                "duration": 3.0,
                "queued_duration": 1.0,
                "retried": False,
                "allow_failure": False,
                "failure_reason": None,
            },
        ]
        pipeline["test_report"] = None
    p["pipelines"][0]["test_report"] = {
        "total": 3,
        "failed": 2,
        "errored": 0,
        "skipped": 0,
        "cases": [
            {"suite": XSS, "classname": BIDI, "name": XSS + BIG, "status": "failed", "message": XSS}
        ],
        "cases_omitted": 1,
    }
    p["red_streak"] = {
        "pipeline_id": p["pipelines"][-1]["id"],
        "started_at": "2026-11-01T00:00:00Z",
        "short_sha": XSS,
        "web_url": EVIL_URL,
        "commit_title": f"{XSS}{BIDI}{BIG}",
        "author_name": XSS,
        "failed_pipelines": 10**12,
        "exact": False,
        "newest_id": p["pipelines"][0]["id"],
    }
    p["merge_requests"] = [
        {
            "iid": 1,
            "title": f"{XSS}{BIDI}{BIG}",
            "draft": True,
            "author_username": XSS,
            "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z",
            "source_branch": XSS,
            "target_branch": XSS,
            "detailed_merge_status": XSS,
            "has_conflicts": True,
            "labels": [XSS],
            "web_url": "data:text/html,<script>alert(1)</script>",
        }
    ]
    evil = {
        "id": 9,
        "iid": 9,
        "environment": XSS,
        "status": XSS,
        "ref": XSS,
        "short_sha": XSS,
        "commit_title": f"{XSS}{BIDI}{BIG}",
        "committed_at": None,
        "created_at": "2026-11-27T06:00:00Z",
        "finished_at": None,
        "username": XSS,
        "job_name": XSS,
        "job_id": None,
        "pipeline_id": None,
        "web_url": EVIL_URL,
    }
    p["environments"] = [
        {
            "id": 9,
            "name": f"{XSS}{BIDI}",
            "tier": XSS,
            "state": XSS,
            "external_url": EVIL_URL,
            "last_success": None,
            "last_attempt": evil,  # type: ignore[typeddict-item]
        },
        {"id": 10, "name": "production"},  # type: ignore[typeddict-item]
    ]
    p["deployments"] = [evil, {"id": 11}]  # type: ignore[list-item]
    snap["fetch"]["errors"] = [XSS, BIG]
    return snap


def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` on a free loopback port for the duration of the fixture."""
    server = make_server(directory, 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
