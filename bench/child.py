"""One measured fetch in its own process, so that its peak RSS is its own.

The parent runs the simulator and starts `python -m bench.child JOB_JSON` with the token in
$GITLAB_TOKEN; the child prints one JSON line: wall time of the fetch alone (imports and
start-up excluded), CPU seconds, peak RSS (VmHWM), data counts and, for gldash, its own
request statistics.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    """User plus system CPU seconds of this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def config_text(url: str, groups: list[str], concurrency: int, graphql: bool = True) -> str:
    """The config.yml of a benchmark fetch: every project of the groups, any visibility."""
    return (
        f"sources:\n  - url: {url}\n    groups: {json.dumps(groups)}\n"
        "    visibility: [public, internal, private]\n"
        f"fetch:\n  concurrency: {concurrency}\n  graphql: {str(graphql).lower()}\n"
    )


def run_ours(job: dict[str, Any]) -> dict[str, Any]:
    """gldash's fetch (full, or a refresh on top of job['previous'])."""
    from gldash_static import snapshot as snapshot_io
    from gldash_static.config import parse_config
    from gldash_static.fetch import FetchRequest, fetch_snapshot
    from gldash_static.fetch.progress import Quiet

    text = config_text(
        job["url"], job["groups"], job.get("concurrency", 8), job.get("graphql", True)
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yml"
        path.write_text(text)
        config = parse_config(text, path)
    previous = snapshot_io.read(Path(job["previous"])) if job.get("previous") else None
    started = time.perf_counter()
    outcome = fetch_snapshot(config, previous, FetchRequest(full=previous is None), Quiet())
    wall = time.perf_counter() - started
    snap = outcome.snapshot
    if job.get("save"):
        snapshot_io.write(snap, Path(job["save"]))
    projects = snap["sources"][0]["projects"]
    return {
        "wall_s": wall,
        "client_calls": sum(snap["fetch"]["api_calls"].values()),
        "retries": snap["fetch"]["retries"],
        "rate_limited": snap["fetch"]["rate_limited"],
        "errors": snap["fetch"]["errors"],
        "complete": outcome.complete,
        "stale": sum(1 for p in projects if p["stale"]),
        "summary": outcome.summary,
        "counts": {
            "projects": len(projects),
            "pipelines": sum(len(p["pipelines"]) for p in projects),
            "failed_jobs": sum(len(pl["failed_jobs"]) for p in projects for pl in p["pipelines"]),
            "branches": sum(len(p["branches"]) for p in projects),
            "merge_requests": sum(len(p["merge_requests"]) for p in projects),
        },
    }


def run_baseline(job: dict[str, Any]) -> dict[str, Any]:
    """The naive sequential script of bench.baseline."""
    from bench.baseline import fetch_baseline

    started = time.perf_counter()
    result = fetch_baseline(job["url"], os.environ["GITLAB_TOKEN"], job["groups"])
    return {"wall_s": time.perf_counter() - started, "counts": result["counts"]}


def main() -> None:
    """Run the job given as JSON on the command line and print the result as JSON."""
    job = json.loads(sys.argv[1])
    result = run_ours(job) if job["side"] == "ours" else run_baseline(job)
    result.update(peak_rss_mb=peak_rss_mb(), cpu_s=cpu_s())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
