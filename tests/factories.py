"""Synthetic, seeded snapshots for render and archive tests and benchmarks (no network)."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gldash_static.model import (
    SCHEMA_VERSION,
    Branch,
    Deployment,
    Environment,
    FailedJob,
    Group,
    Job,
    MergeRequest,
    Pipeline,
    Project,
    Snapshot,
    TestReport,
)

GENERATED_AT = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
STATUSES = ["success"] * 14 + ["failed"] * 3 + ["running", "canceled", "pending", "skipped"]


def iso(moment: datetime) -> str:
    """GitLab's timestamp format."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


JOB_NAMES = ("build", "unit", "lint", "deploy")


def _jobs(pid: int, n: int, status: str, failed: list[FailedJob]) -> list[Job]:
    """Every job attempt of a pipeline: one a name, a flaky retry now and then (own seed, so
    the rest of the snapshot stays as it was)."""
    rng = random.Random(f"jobs:{pid}:{n}")
    broken = {job["name"] for job in failed}
    out: list[Job] = []
    for name in JOB_NAMES:
        duration = float(rng.randint(20, 400))
        queued = round(rng.uniform(0.5, 90.0), 1)
        final = "failed" if name in broken else "success" if status != "running" else "running"
        if final == "success" and rng.random() < 0.15:  # failed once, passed on retry
            reason = rng.choice(["script_failure", "runner_system_failure"])
            out.append(_job(name, "failed", duration, queued, True, reason))
        reason = "script_failure" if final == "failed" else None
        out.append(_job(name, final, duration, queued, False, reason))
    return out


def _job(
    name: str, status: str, duration: float, queued: float, retried: bool, reason: str | None
) -> Job:
    return {
        "name": name,
        "status": status,
        "duration": duration,
        "queued_duration": queued,
        "retried": retried,
        "allow_failure": False,
        "failure_reason": reason,
    }


def _report(pid: int) -> TestReport:
    """A failing head pipeline's test report, with text that needs escaping."""
    return {
        "total": 120 + pid % 50,
        "failed": 2,
        "errored": 1,
        "skipped": 3,
        "cases": [
            {
                "suite": "unit",
                "classname": "tests.test_checkout",
                "name": 'test_refund_<rounds> & "down"',
                "status": "failed",
                "message": "AssertionError: 3 != 4",
            },
            {
                "suite": "unit",
                "classname": "tests.test_cart",
                "name": "test_empty_cart",
                "status": "failed",
                "message": "<script>alert(1)</script>",
            },
        ],
        "cases_omitted": 1,
    }


def _answers(project: Project) -> None:
    """The failing head's test report and the red streak, as the fetch decides them."""
    from gldash_static.fetch import junit, streak

    head = junit.failing_head(project)
    project["pipelines"] = [
        {**p, "test_report": _report(project["id"]) if head and p["id"] == head["id"] else None}
        for p in project["pipelines"]
    ]
    record = streak.decide(project, None, keep=20).record
    if record is not None:
        record = {**record, "commit_title": "Bump <lib> & friends", "author_name": "Alice Example"}
    project["red_streak"] = record


def _pipelines(
    rng: random.Random, pid: int, web: str, branch: str, now: datetime
) -> list[Pipeline]:
    out: list[Pipeline] = []
    moment = now - timedelta(minutes=rng.randint(5, 600))
    for n in range(rng.randint(0, 12)):
        status = rng.choice(STATUSES)
        finished = status not in {"running", "pending"}
        duration = round(rng.lognormvariate(5.5, 0.6), 1)
        jobs: list[FailedJob] = []
        if status == "failed":
            jobs.append(
                {
                    "id": pid * 10_000 + n,
                    "name": rng.choice(["rspec", "lint", "build", "deploy"]),
                    "stage": rng.choice(["test", "build", "deploy"]),
                    "failure_reason": "script_failure",
                    "allow_failure": False,
                    "duration": 42.0,
                    "web_url": f"{web}/-/jobs/{pid * 10_000 + n}",
                }
            )
        pipeline_id = pid * 1000 + n
        out.append(
            {
                "id": pipeline_id,
                "iid": n + 1,
                "ref": branch if rng.random() < 0.8 else "feature/x",
                "short_sha": f"{rng.getrandbits(160):040x}"[:8],
                "status": status,
                "source": rng.choice(["push", "schedule", "merge_request_event", "web"]),
                "created_at": iso(moment - timedelta(seconds=duration + 30)),
                "updated_at": iso(moment),
                "started_at": iso(moment - timedelta(seconds=duration)),
                "finished_at": iso(moment) if finished else None,
                "duration": duration if finished else None,
                "queued_duration": 3.0,
                "coverage": None,
                "web_url": f"{web}/-/pipelines/{pipeline_id}",
                "username": "alice",
                "failed_jobs": jobs,
                "jobs": _jobs(pid, n, status, jobs),
                "test_report": None,
            }
        )
        moment -= timedelta(hours=rng.randint(1, 48))
    return out


def deployment(
    ident: int,
    env: str,
    status: str,
    when: datetime,
    *,
    sha: str = "abcdef12",
    ref: str = "main",
    web: str = "https://gitlab.example.com/acme/x",
) -> Deployment:
    """One deployment record as the fetch stores it."""
    return {
        "id": ident,
        "iid": ident,
        "environment": env,
        "status": status,
        "ref": ref,
        "short_sha": sha,
        "commit_title": f"Release {sha}",
        "committed_at": iso(when - timedelta(hours=1)),
        "created_at": iso(when),
        "finished_at": iso(when + timedelta(minutes=3)),
        "username": "carol",
        "job_name": f"deploy-{env.split('/')[0]}",
        "job_id": ident * 10,
        "pipeline_id": ident * 100,
        "web_url": f"{web}/-/jobs/{ident * 10}",
    }


def environment(
    ident: int,
    name: str,
    tier: str | None,
    success: Deployment | None,
    attempt: Deployment | None = None,
    *,
    state: str = "available",
    url: str | None = None,
) -> Environment:
    """One environment record as the fetch stores it."""
    return {
        "id": ident,
        "name": name,
        "tier": tier,
        "state": state,
        "external_url": url,
        "last_success": success,
        "last_attempt": attempt,
    }


def _environments(
    i: int, pid: int, web: str, now: datetime
) -> tuple[list[Environment], list[Deployment]]:
    """Every other project deploys: production, staging and now and then a review app, with
    one of each flag (behind staging, failed last, not deployed for long) and a stopped one."""
    if i % 2:
        return [], []
    base = pid * 100

    def dep(n: int, env: str, status: str, hours: float, sha: str, ref: str = "main") -> Deployment:
        return deployment(
            base + n, env, status, now - timedelta(hours=hours), sha=sha, ref=ref, web=web
        )

    live = dep(1, "production", "success", 60 * 24 if i % 8 == 0 else 20, "aaaa1111")
    staged = dep(
        2, "staging", "success", 10 if i % 8 == 0 else 30, "bbbb2222" if i % 8 == 0 else "aaaa1111"
    )
    failed = dep(3, "production", "failed", 2, "cccc3333") if i % 8 == 2 else None
    envs = [
        environment(
            base + 1, "production", "production", live, failed, url=f"https://{pid}.example.com"
        ),
        environment(base + 2, "staging", "staging", staged, state="unknown"),
    ]
    deps = [d for d in (failed, staged, live) if d]
    if i % 4 == 0:
        review = dep(4, "review/feature-x", "success", 5, "dddd4444", "feature/x")
        envs.append(environment(base + 4, "review/feature-x", "development", review))
        deps.insert(0, review)
    if i % 8 == 6:
        old = dep(5, "review/gone", "success", 300, "eeee5555", "gone")
        envs.append(environment(base + 5, "review/gone", "development", old, state="stopped"))
        deps.append(old)
    deps.sort(key=lambda d: d["id"], reverse=True)
    return envs, deps


def make_snapshot(
    projects: int = 20, seed: int = 1, now: datetime = GENERATED_AT, environments: bool = False
) -> Snapshot:
    """A valid snapshot of `projects` projects in a few nested groups.

    `environments`: every other project has environments and deployments (else none fetched).
    """
    rng = random.Random(seed)
    base = "https://gitlab.example.com"
    groups: list[Group] = [
        {
            "id": 1,
            "full_path": "acme",
            "name": "Acme",
            "parent_id": None,
            "web_url": f"{base}/groups/acme",
            "visibility": "public",
            "description": "Everything Acme builds",
        }
    ]
    for gid, name in enumerate(["platform", "payments", "web"], start=2):
        groups.append(
            {
                "id": gid,
                "full_path": f"acme/{name}",
                "name": name.title(),
                "parent_id": 1,
                "web_url": f"{base}/groups/acme/{name}",
                "visibility": "internal" if gid % 2 else "public",
                "description": None,
            }
        )
    plist: list[Project] = []
    for i in range(projects):
        pid = 100 + i
        group = groups[1 + i % 3]
        path = f"{group['full_path']}/service-{i:05d}"
        web = f"{base}/{path}"
        branch = "main" if i % 5 else "master"
        branches: list[Branch] = [
            {
                "name": branch,
                "default": True,
                "protected": i % 7 != 0,
                "merged": False,
                "commit_short_id": "7b5c3cc",
                "commit_title": "Update dependencies",
                "committed_date": iso(now - timedelta(days=1)),
                "author_name": "Alice Example",
            },
            {
                "name": "feature/old-thing",
                "default": False,
                "protected": False,
                "merged": i % 3 == 0,
                "commit_short_id": "1a2b3c4",
                "commit_title": "WIP",
                "committed_date": iso(now - timedelta(days=rng.randint(1, 200))),
                "author_name": "Bob Example",
            },
        ]
        mrs: list[MergeRequest] = [
            {
                "iid": 1,
                "title": f"Improve service {i}",
                "draft": i % 4 == 0,
                "author_username": "bob",
                "created_at": iso(now - timedelta(days=rng.randint(1, 90))),
                "updated_at": iso(now - timedelta(hours=3)),
                "source_branch": "feature/old-thing",
                "target_branch": branch,
                "detailed_merge_status": "mergeable",
                "has_conflicts": i % 6 == 0,
                "labels": ["backend"],
                "web_url": f"{web}/-/merge_requests/1",
            }
        ][: i % 2 + 0]
        plist.append(
            {
                "id": pid,
                "path_with_namespace": path,
                "name": f"service-{i:05d}",
                "namespace": group["full_path"],
                "description": f"Service number {i}",
                "visibility": "public" if i % 3 else "internal",
                "archived": False,
                "default_branch": branch,
                "topics": ["python"] if i % 2 else ["go", "api"],
                "last_activity_at": iso(now - timedelta(hours=i % 50)),
                "web_url": web,
                "star_count": i % 10,
                "forks_count": 0,
                "open_issues_count": i % 4,
                "empty_repo": False,
                "fetched_at": iso(now),
                "stale": None,
                "pipelines": _pipelines(rng, pid, web, branch, now),
                "red_streak": None,
                "environments": None,
                "deployments": [],
                "branches": branches,
                "merge_requests": mrs,
                "members_only": [],
                "withheld": [],
                "unavailable": [],
                "branches_omitted": 0,
                "merge_requests_omitted": 0,
                "branches_fetched_at": iso(now - timedelta(hours=i % 7)),
            }
        )
        _answers(plist[-1])
        if environments:
            envs, deps = _environments(i, pid, web, now)
            plist[-1]["environments"], plist[-1]["deployments"] = envs, deps
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": iso(now),
        "generator": "gldash test factory",
        "sources": [
            {
                "name": "gitlab.example.com",
                "url": base,
                "version": "17.6.0",
                "watermark": iso(now - timedelta(seconds=30)),
                "visibility": ["public", "internal"],
                "groups": groups,
                "projects": plist,
            }
        ],
        "fetch": {
            "mode": "full",
            "started_at": iso(now - timedelta(seconds=30)),
            "finished_at": iso(now),
            "duration_s": 30.0,
            "api_calls": {"GET /projects/:id/pipelines": projects},
            "retries": 0,
            "rate_limited": 0,
            "errors": [],
            "shard": None,
        },
    }


def add_deployments(snapshot: Snapshot, seed: int = 1, every: int = 2) -> Snapshot:
    """Give every `every`-th project a production and a staging environment, with deployments
    over the day before the snapshot's time: some failed, some fixed by the next one."""
    rng = random.Random(seed)
    now = datetime.fromisoformat(snapshot["generated_at"].replace("Z", "+00:00"))
    for n, project in enumerate(snapshot["sources"][0]["projects"]):
        if n % every:
            continue
        deployments: list[Deployment] = []
        for k in range(rng.randint(1, 4)):
            env = "production" if k % 3 != 2 else "staging"
            created = now - timedelta(hours=20 - 4 * k, minutes=rng.randint(0, 50))
            status = "failed" if rng.random() < 0.2 else "success"
            sha = f"{rng.getrandbits(32):08x}"
            deployments.append(
                {
                    "id": project["id"] * 1000 + k,
                    "iid": k + 1,
                    "environment": env,
                    "status": status,
                    "ref": "main",
                    "short_sha": sha,
                    "commit_title": "Fix things",
                    "committed_at": iso(created - timedelta(hours=rng.randint(1, 30))),
                    "created_at": iso(created),
                    "finished_at": iso(created + timedelta(minutes=rng.randint(2, 15))),
                    "username": "dev",
                    "job_name": "deploy",
                    "job_id": None,
                    "pipeline_id": None,
                    "web_url": None,
                }
            )
        deployments.sort(key=lambda d: d["created_at"], reverse=True)
        environments: list[Environment] = []
        for eid, (env, tier) in enumerate([("production", "production"), ("staging", "staging")]):
            mine = [d for d in deployments if d["environment"] == env]
            success = next((d for d in mine if d["status"] == "success"), None)
            environments.append(
                {
                    "id": project["id"] * 10 + eid,
                    "name": env,
                    "tier": tier,
                    "state": "available",
                    "external_url": None,
                    "last_success": success,
                    "last_attempt": mine[0] if mine and mine[0] is not success else None,
                }
            )
        project["environments"] = environments
        project["deployments"] = deployments
    return snapshot


def pages_zip(public: Path, carry: Path | None = None) -> bytes:
    """The artifacts zip a `pages` job uploads: the public/ folder, and the build's carry
    file as archive/carry.json.gz when there is one."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as bundle:
        for item in sorted(public.rglob("*")):
            if item.is_file():
                bundle.write(item, "public/" + item.relative_to(public).as_posix())
        if carry is not None:
            bundle.write(carry, "archive/carry.json.gz")
    return out.getvalue()
