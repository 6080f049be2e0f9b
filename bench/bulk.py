"""Issue 15's fetch rows: the GraphQL bulk fetch against the REST-only path, in one run.

- At `bulk_latency_projects` (1,000) with 30 ms latency a request: a full fetch with GraphQL
  (the default) and with `fetch.graphql: false`; wall time, calls, and whether both stored
  the same snapshot.
- At `bulk_limit_projects` (5,000) under GitLab.com's 2,000 requests per 60 s window: a full
  fetch with GraphQL (calls a project, wall time, 429s, errors), and a REST-only fetch of
  the same organisation without a limit or latency, for the data to compare against.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.fetch_run import measure

Log = Callable[[str], None]


def comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without what differs between two fetches of the same state: times of the
    fetch, and the simulator's address (each run has a port of its own)."""
    text = json.dumps(snapshot)
    for source in snapshot["sources"]:
        text = text.replace(json.dumps(source["url"])[1:-1], "http://simulator")
    data = json.loads(text)
    for key in ("generated_at", "fetch", "generator"):
        data.pop(key, None)
    for source in data["sources"]:
        source.pop("watermark")
        for project in source["projects"]:
            project.pop("fetched_at")
            project.pop("branches_fetched_at")
    return data


def _row(result: dict[str, Any]) -> dict[str, Any]:
    projects = result["counts"]["projects"]
    return {
        "wall_s": result["wall_s"],
        "calls": result["server_calls"],
        "calls_per_project": result["server_calls"] / projects if projects else None,
        "projects": projects,
        "server_429": result["server_429"],
        "rate_limited": result["rate_limited"],
        "errors": result["errors"],
        "complete": result["complete"],
        "stale": result["stale"],
        "peak_rss_mb": result["peak_rss_mb"],
        "cpu_s": result["cpu_s"],
        "by_route": result["by_route"],
        "counts": result["counts"],
    }


def _pair(job: dict[str, Any], rest_job: dict[str, Any], log: Log) -> dict[str, Any]:
    """`job` with GraphQL and `rest_job` with REST only; both snapshots compared."""
    with tempfile.TemporaryDirectory(prefix="gldash-bench-bulk-") as tmp:
        ours, rest = Path(tmp) / "graphql.json", Path(tmp) / "rest.json"
        log(f"bulk: {job['projects']:,} projects with GraphQL")
        graphql = _row(measure({**job, "side": "ours", "save": str(ours)}))
        log(f"bulk: {job['projects']:,} projects over REST only")
        rest_only = _row(measure({**rest_job, "side": "ours", "graphql": False, "save": str(rest)}))
        same = comparable(json.loads(ours.read_text())) == comparable(json.loads(rest.read_text()))
    return {"graphql": graphql, "rest": rest_only, "same_data": same}


def run_bulk(plan: dict[str, Any], log: Log) -> dict[str, Any]:
    """Both rows of issue 15's fetch targets."""
    size = plan["bulk_latency_projects"]
    latency = _pair({"projects": size}, {"projects": size}, log)
    latency["speedup"] = latency["rest"]["wall_s"] / latency["graphql"]["wall_s"]
    big = plan["bulk_limit_projects"]
    limited = _pair(
        {
            "projects": big,
            "rate_limit": plan["bulk_limit"],
            "window_s": plan["bulk_window_s"],
        },
        {"projects": big, "latency_ms": 0, "concurrency": 16},
        log,
    )
    shards = run_shards(plan["bulk_latency_projects"], 4, log)
    return {
        "latency": latency,
        "limited": limited,
        "shards": shards,
        "limit": plan["bulk_limit"],
        "window_s": plan["bulk_window_s"],
    }


def targets(bulk: dict[str, Any]) -> list[dict[str, str]]:
    """Issue 15's fetch targets with the measured numbers."""
    limited, latency = bulk["limited"], bulk["latency"]
    shards = bulk.get("shards")
    sharded = (
        [
            {
                "target": f"sharded refresh ({shards['shards']} shards) within 1.2x of the "
                f"unsharded refresh's calls, same data ({shards['projects']:,} projects)",
                "measured": f"{shards['ratio']:.2f}x ({shards['sharded_calls']:,} vs "
                f"{shards['unsharded_calls']:,} calls), same data: {shards['same_data']}",
                "verdict": "met" if shards["ratio"] <= 1.2 and shards["same_data"] else "NOT met",
            }
        ]
        if shards
        else []
    )
    row = limited["graphql"]
    # Issue 17 puts environments and deployments on top of this budget: counted apart.
    extra = environment_calls(row["by_route"])
    per = (row["calls"] - extra) / row["projects"] if row["projects"] else 0.0
    clean = row["complete"] and not row["errors"] and not row["stale"]
    return [
        {
            "target": f"full fetch ≤2.0 calls a project, ≤6 min, no 429 as an error, data equal "
            f"to REST ({row['projects']:,} projects at {bulk['limit']:,} per "
            f"{bulk['window_s']:g} s)",
            "measured": f"{per:.2f} calls a project ({row['calls'] - extra:,} calls, and "
            f"{extra:,} for environments and deployments), "
            f"{row['wall_s'] / 60:.1f} min, {row['server_429']} × 429, "
            f"errors: {len(row['errors'])}, same data: {limited['same_data']}",
            "verdict": "met"
            if per <= 2.0 and row["wall_s"] <= 360 and clean and limited["same_data"]
            else "NOT met",
        },
        {
            "target": f"GraphQL full fetch ≥3x faster than REST only "
            f"({latency['graphql']['projects']:,} projects, 30 ms latency)",
            "measured": f"{latency['speedup']:.1f}x ({latency['graphql']['wall_s']:.1f} s vs "
            f"{latency['rest']['wall_s']:.1f} s; {latency['graphql']['calls']:,} vs "
            f"{latency['rest']['calls']:,} calls), same data: {latency['same_data']}",
            "verdict": "met" if latency["speedup"] >= 3 and latency["same_data"] else "NOT met",
        },
        *sharded,
    ]


def environment_calls(by_route: dict[str, int]) -> int:
    """Requests for environments and deployments (issue 17's own budget)."""
    return sum(
        n for route, n in by_route.items() if "/environments" in route or "/deployments" in route
    )


def table(bulk: dict[str, Any]) -> list[str]:
    """The bulk rows as a Markdown table."""
    lines = [
        "| run | projects | wall | calls | calls a project | 429s | peak RSS | same data |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, pair in (("30 ms latency", bulk["latency"]), ("rate-limited", bulk["limited"])):
        for side in ("graphql", "rest"):
            r = pair[side]
            label = f"{name}, {'GraphQL' if side == 'graphql' else 'REST only'}"
            lines.append(
                f"| {label} | {r['projects']:,} | {r['wall_s']:.1f} s | {r['calls']:,} | "
                f"{r['calls_per_project']:.2f} | {r['server_429']} | "
                f"{r['peak_rss_mb']:.0f} MB | {pair['same_data']} |"
            )
    by_route = bulk["limited"]["graphql"]["by_route"]
    lines += ["", "Calls by endpoint, rate-limited GraphQL full fetch:", ""]
    lines += [f"- `{route}`: {n:,}" for route, n in sorted(by_route.items())]
    rest = bulk["limited"]["rest"]["by_route"]
    lines += ["", "The same organisation over REST only:", ""]
    lines += [f"- `{route}`: {n:,}" for route, n in sorted(rest.items())]
    shards = bulk.get("shards")
    if shards:
        lines += [
            "",
            f"Refresh an hour after a full fetch, {shards['projects']:,} projects: unsharded "
            f"{shards['unsharded_calls']:,} calls, {shards['shards']} shards from one shared "
            f"listing {shards['sharded_calls']:,} ({shards['ratio']:.2f}x), same data: "
            f"{shards['same_data']}.",
        ]
    lines.append("")
    return lines


def run_shards(projects: int, shards: int, log: Log) -> dict[str, Any]:
    """A refresh of `projects` one hour after a full fetch, unsharded and in `shards` shards
    from one shared listing; calls are the simulator's own counts."""
    import os
    import sys

    from bench.child import config_text
    from bench.fetch_run import PIPELINES_PER_PROJECT, top_groups
    from gldash_static.config import parse_config
    from gldash_static.fetch import FetchRequest, fetch_snapshot, list_sources
    from gldash_static.fetch.merge import merge_snapshots
    from gldash_static.fetch.progress import Quiet
    from gldash_static.simulator import OrgSpec, Simulator

    spec = OrgSpec(projects=projects, seed=1, pipelines_per_project=PIPELINES_PER_PROJECT)
    with Simulator(spec) as sim, tempfile.TemporaryDirectory() as tmp:
        os.environ["GITLAB_TOKEN"] = sim.token
        text = config_text(sim.url, top_groups(sim), 8)
        config = parse_config(text, Path(tmp) / "config.yml")

        def fetch(previous: Any, **request: Any) -> Any:
            return fetch_snapshot(config, previous, FetchRequest(**request), Quiet()).snapshot

        log(f"shards: {projects:,} projects, full fetch, then refreshes an hour later")
        first = fetch(None, full=True)
        sim.clock.advance(hours=1)
        before = sum(sim.counters.values())
        one = fetch(first)
        unsharded = sum(sim.counters.values()) - before
        before = sum(sim.counters.values())
        shared = tuple(list_sources(config, first, Quiet()))
        parts = [fetch(first, shard=(i, shards), listing=shared) for i in range(1, shards + 1)]
        merged = merge_snapshots(parts, [f"part-{i}" for i in range(1, shards + 1)])
        total = sum(sim.counters.values()) - before
        print(f"shards: {unsharded} vs {total} calls", file=sys.stderr)
    return {
        "projects": projects,
        "shards": shards,
        "unsharded_calls": unsharded,
        "sharded_calls": total,
        "ratio": total / unsharded,
        "same_data": comparable(merged) == comparable(one),
        "by_route_unsharded": dict(one["fetch"]["api_calls"]),
        "by_route_sharded": dict(merged["fetch"]["api_calls"]),
    }
