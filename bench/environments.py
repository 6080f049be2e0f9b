"""Issue 17's API cost: what fetching environments and deployments adds.

One simulated organisation, fetched side by side by the same code with `fetch.environments`
off (what the fetch asked before issue 17) and on (the default), over GraphQL (the default)
and REST only:

- a full fetch: calls a project, by endpoint;
- a refresh right after it, nothing changed: must stay within 5 % of the environments-off
  one ("a refresh must stay within 5 % of today's calls");
- a refresh an hour later (the simulator's projects deploy meanwhile): the extra calls.

Run alone: .venv/bin/python -m bench --only environments
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from bench.answers import NO_CHANGE_TOLERANCE, Log, _calls, _fetch

OFF = "  environments: false\n"
ROUTE = "environments"  # endpoints whose name has it: what the environments cost


def _environment_calls(by_route: dict[str, int]) -> int:
    return sum(n for route, n in by_route.items() if ROUTE in route or "deployments" in route)


def _deploying(snapshot: Any) -> tuple[int, int, int]:
    """Projects with environments, environments, deployments kept."""
    projects = snapshot["sources"][0]["projects"]
    with_envs = [p for p in projects if p.get("environments")]
    return (
        len(with_envs),
        sum(len(p["environments"]) for p in with_envs),
        sum(len(p.get("deployments") or []) for p in projects),
    )


def run_environments(projects: int, log: Log) -> dict[str, Any]:
    """Both sides, both paths: full, no-change and hourly refresh calls."""
    from bench.child import config_text
    from bench.fetch_run import top_groups
    from gldash_static.config import parse_config
    from gldash_static.simulator import OrgSpec, Simulator

    rows: dict[str, Any] = {}
    with Simulator(OrgSpec(projects=projects, seed=1)) as sim, tempfile.TemporaryDirectory() as tmp:
        os.environ["GITLAB_TOKEN"] = sim.token
        configs = {}
        for path in ("graphql", "rest"):
            for side in ("before", "after"):
                text = config_text(sim.url, top_groups(sim), 8, graphql=path == "graphql")
                text += OFF if side == "before" else ""
                configs[(path, side)] = parse_config(text, Path(tmp) / f"{path}-{side}.yml")
        full: dict[tuple[str, str], Any] = {}
        for (path, side), config in configs.items():
            log(f"environments: {projects:,} projects, {path}, environments {side}: full fetch")
            snapshot, wall = _fetch(config, None)
            published = len(snapshot["sources"][0]["projects"])
            with_envs, envs, deployments = _deploying(snapshot)
            rows.setdefault(path, {})[side] = {
                "projects": published,
                "projects_with_environments": with_envs,
                "environments": envs,
                "deployments": deployments,
                "full_calls": _calls(snapshot),
                "full_calls_per_project": _calls(snapshot) / max(1, published),
                "full_environment_calls": _environment_calls(snapshot["fetch"]["api_calls"]),
                "full_wall_s": wall,
                "full_by_route": snapshot["fetch"]["api_calls"],
            }
            again, _ = _fetch(config, snapshot)
            rows[path][side]["no_change_calls"] = _calls(again)
            rows[path][side]["no_change_by_route"] = again["fetch"]["api_calls"]
            full[(path, side)] = again
        sim.clock.advance(hours=1)
        for (path, side), config in configs.items():
            log(f"environments: {path}, environments {side}: a refresh an hour later")
            later, _ = _fetch(config, full[(path, side)])
            rows[path][side]["hour_calls"] = _calls(later)
            rows[path][side]["hour_environment_calls"] = _environment_calls(
                later["fetch"]["api_calls"]
            )
            rows[path][side]["hour_by_route"] = later["fetch"]["api_calls"]
    for path in rows:
        before, after = rows[path]["before"], rows[path]["after"]
        rows[path]["no_change_ratio"] = after["no_change_calls"] / max(1, before["no_change_calls"])
        rows[path]["full_ratio"] = after["full_calls"] / max(1, before["full_calls"])
    return {"projects": projects, **rows}


def targets(result: dict[str, Any]) -> list[dict[str, str]]:
    """Issue 17's API cost rows for docs/benchmarks.md."""
    rows = []
    for path, label in (("graphql", "GraphQL"), ("rest", "REST only")):
        side = result[path]
        ratio = side["no_change_ratio"]
        before, after = side["before"], side["after"]
        rows.append(
            {
                "target": "no-change refresh calls with environments within 5 % of without, "
                f"{result['projects']:,}-project organisation, {label}",
                "measured": f"{after['no_change_calls']:,} vs {before['no_change_calls']:,} "
                f"calls ({ratio:.3f}x)",
                "verdict": "met" if ratio - 1 <= NO_CHANGE_TOLERANCE else "NOT met",
            }
        )
    graphql = result["graphql"]
    rows.append(
        {
            "target": "full-fetch calls with environments off/on (reported)",
            "measured": f"GraphQL {graphql['before']['full_calls']:,} -> "
            f"{graphql['after']['full_calls']:,} ({graphql['full_ratio']:.3f}x, "
            f"{graphql['after']['projects_with_environments']:,} projects with environments); "
            f"REST only {result['rest']['before']['full_calls']:,} -> "
            f"{result['rest']['after']['full_calls']:,} ({result['rest']['full_ratio']:.3f}x)",
            "verdict": "reported",
        }
    )
    return rows


def table(result: dict[str, Any]) -> list[str]:
    """The environments' cost section of docs/benchmarks.md."""
    lines = [
        "| path | environments | full fetch calls (a project) | of them environments and "
        "deployments | no-change refresh | an hour later (of them environments) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for path in ("graphql", "rest"):
        for side in ("before", "after"):
            row = result[path][side]
            lines.append(
                f"| {path} | {'on' if side == 'after' else 'off'} | {row['full_calls']:,} "
                f"({row['full_calls_per_project']:.2f}) | {row['full_environment_calls']:,} | "
                f"{row['no_change_calls']:,} | {row['hour_calls']:,} "
                f"({row['hour_environment_calls']:,}) |"
            )
    after = result["graphql"]["after"]
    lines += [
        "",
        f"With environments on, {after['projects_with_environments']:,} of "
        f"{after['projects']:,} projects have environments ({after['environments']:,} "
        f"environments, {after['deployments']:,} deployments kept).",
    ]
    return lines
