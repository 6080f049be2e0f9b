"""The naive baseline: one sequential python-gitlab script fetching what gldash fetches.

It uses python-gitlab's objects the usual way, one request after another, with the library's
default page sizes: list the groups' projects, then per project list its pipelines, get each
kept pipeline, list the failed jobs of failed ones, list branches and open merge requests.
It keeps the same pipelines as gldash (`gldash_static.fetch.pipelines.select`: the latest N on
the default branch plus the latest of every other ref in that window), so both sides end up
with the same data; only how it is fetched differs.

Run: GITLAB_TOKEN=... .venv/bin/python -m bench.baseline URL GROUP [GROUP ...]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import gitlab

from gldash_static.fetch.pipelines import select


def fetch_baseline(url: str, token: str, groups: list[str], keep: int = 20) -> dict[str, Any]:
    """Fetch every project of `groups` sequentially; returns the records and their counts."""
    gl = gitlab.Gitlab(url, private_token=token, timeout=30)
    projects: list[dict[str, Any]] = []
    for path in groups:
        group = gl.groups.get(path)
        listed = group.projects.list(
            get_all=True, include_subgroups=True, with_shared=False, archived=False
        )
        for item in listed:
            project = gl.projects.get(item.id, lazy=True)
            default = item.attributes.get("default_branch")
            recent = project.pipelines.list(get_all=False, per_page=100)
            kept = select([p.attributes for p in recent], default, keep)
            pipelines = []
            for summary in kept:
                pipeline = project.pipelines.get(summary["id"])
                failed = []
                if pipeline.status == "failed":
                    failed = [
                        j.attributes for j in pipeline.jobs.list(scope="failed", get_all=True)
                    ]
                pipelines.append({**pipeline.attributes, "failed_jobs": failed})
            branches = [b.attributes for b in project.branches.list(get_all=True)]
            mrs = [m.attributes for m in project.mergerequests.list(state="opened", get_all=True)]
            projects.append(
                {
                    **item.attributes,
                    "pipelines": pipelines,
                    "branches": branches,
                    "merge_requests": mrs,
                }
            )
    return {"projects": projects, "counts": counts_of(projects)}


def counts_of(projects: list[dict[str, Any]]) -> dict[str, int]:
    """Totals that must agree between the baseline and gldash when both fetch the same data."""
    return {
        "projects": len(projects),
        "pipelines": sum(len(p["pipelines"]) for p in projects),
        "failed_jobs": sum(len(pl["failed_jobs"]) for p in projects for pl in p["pipelines"]),
        "branches": sum(len(p["branches"]) for p in projects),
        "merge_requests": sum(len(p["merge_requests"]) for p in projects),
    }


def main() -> None:
    """Fetch and print the counts and the wall time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("groups", nargs="+")
    parser.add_argument("--keep", type=int, default=20, help="pipelines kept per project")
    args = parser.parse_args()
    started = time.perf_counter()
    result = fetch_baseline(args.url, os.environ["GITLAB_TOKEN"], args.groups, args.keep)
    wall = time.perf_counter() - started
    print(json.dumps({"wall_s": round(wall, 2), **result["counts"]}))


if __name__ == "__main__":
    main()
