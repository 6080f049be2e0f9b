"""Issue 16's API cost: what the answers (every job attempt, red streaks, test reports) add.

One simulated organisation, fetched side by side by the same code with the answers off
(`fetch.jobs`, `fetch.red_streaks` and `fetch.test_reports` false: what the fetch asked
before issue 16) and on (the defaults), over GraphQL (the default) and REST only:

- a full fetch: calls a project, by endpoint;
- a refresh right after it, nothing changed: must stay within 5 % of the answers-off one;
- a refresh an hour later: the extra calls divided by the pipelines that were new.

Run alone: .venv/bin/python -m bench --only answers
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Log = Callable[[str], None]
OFF = "  jobs: false\n  red_streaks: false\n  test_reports: false\n"
NO_CHANGE_TOLERANCE = 0.05  # issue 16: a no-change refresh within 5 % of today's


def _fetch(config: Any, previous: Any) -> tuple[Any, float]:
    from gldash_static.fetch import FetchRequest, fetch_snapshot
    from gldash_static.fetch.progress import Quiet

    started = time.perf_counter()
    outcome = fetch_snapshot(config, previous, FetchRequest(full=previous is None), Quiet())
    return outcome.snapshot, time.perf_counter() - started


def _calls(snapshot: Any) -> int:
    return int(sum(snapshot["fetch"]["api_calls"].values()))


def _pipelines(snapshot: Any) -> set[int]:
    return {pl["id"] for p in snapshot["sources"][0]["projects"] for pl in p["pipelines"]}


def run_answers(projects: int, log: Log) -> dict[str, Any]:
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
            log(f"answers: {projects:,} projects, {path}, answers {side}: full fetch")
            snapshot, wall = _fetch(config, None)
            published = len(snapshot["sources"][0]["projects"])
            rows.setdefault(path, {})[side] = {
                "projects": published,
                "full_calls": _calls(snapshot),
                "full_calls_per_project": _calls(snapshot) / max(1, published),
                "full_wall_s": wall,
                "full_by_route": snapshot["fetch"]["api_calls"],
            }
            again, _ = _fetch(config, snapshot)
            rows[path][side]["no_change_calls"] = _calls(again)
            full[(path, side)] = again
        sim.clock.advance(hours=1)
        for (path, side), config in configs.items():
            log(f"answers: {path}, answers {side}: a refresh an hour later")
            later, _ = _fetch(config, full[(path, side)])
            rows[path][side]["hour_calls"] = _calls(later)
            rows[path][side]["new_pipelines"] = len(
                _pipelines(later) - _pipelines(full[(path, side)])
            )
            rows[path][side]["hour_by_route"] = later["fetch"]["api_calls"]
    for path in rows:
        before, after = rows[path]["before"], rows[path]["after"]
        rows[path]["no_change_ratio"] = after["no_change_calls"] / max(1, before["no_change_calls"])
        new = max(1, after["new_pipelines"])
        rows[path]["extra_per_new_pipeline"] = (after["hour_calls"] - before["hour_calls"]) / new
    return {"projects": projects, **rows}


def targets(answers: dict[str, Any]) -> list[dict[str, str]]:
    """Issue 16's API cost rows for docs/benchmarks.md."""
    graphql = answers["graphql"]
    ratio = graphql["no_change_ratio"]
    before, after = graphql["before"], graphql["after"]
    return [
        {
            "target": "no-change refresh calls unchanged by the answers (±5 %), "
            f"{answers['projects']:,}-project organisation",
            "measured": f"{after['no_change_calls']:,} vs {before['no_change_calls']:,} calls "
            f"({ratio:.3f}x)",
            "verdict": "met" if abs(ratio - 1) <= NO_CHANGE_TOLERANCE else "NOT met",
        },
        {
            "target": "full-fetch calls a project before/after the answers (reported)",
            "measured": f"GraphQL {before['full_calls_per_project']:.2f} -> "
            f"{after['full_calls_per_project']:.2f}; REST only "
            f"{answers['rest']['before']['full_calls_per_project']:.2f} -> "
            f"{answers['rest']['after']['full_calls_per_project']:.2f}",
            "verdict": "reported",
        },
    ]


def table(answers: dict[str, Any]) -> list[str]:
    """The answers' cost section of docs/benchmarks.md."""
    lines = [
        "| path | answers | full fetch calls (a project) | no-change refresh | an hour later "
        "(new pipelines) | extra a new pipeline |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for path in ("graphql", "rest"):
        for side in ("before", "after"):
            row = answers[path][side]
            extra = f"{answers[path]['extra_per_new_pipeline']:.2f}" if side == "after" else ""
            lines.append(
                f"| {path} | {'on' if side == 'after' else 'off'} | {row['full_calls']:,} "
                f"({row['full_calls_per_project']:.2f}) | {row['no_change_calls']:,} | "
                f"{row['hour_calls']:,} ({row['new_pipelines']:,}) | {extra} |"
            )
    return lines
