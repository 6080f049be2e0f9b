"""One simulated organisation, one measured fetch (plus refreshes) in a child process.

`measure(job)` starts a fresh simulator in this process (so every run faces the same cold
server), runs `bench.child` against it and reads the server's own request counters, which
count both sides the same way. Run as `python -m bench.fetch_run JOB_JSON` it does the same
in a process of its own, for runs that go on in the background.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from gldash_static.simulator import Faults, OrgSpec, Simulator

REPO = Path(__file__).resolve().parents[1]
LATENCY_MS = 30
PIPELINES_PER_PROJECT = 20


def top_groups(sim: Simulator) -> list[str]:
    """Full paths of the organisation's top-level groups (what a config would list)."""
    return sorted(g.full_path for g in sim.state.groups.values() if g.parent_id is None)


def run_child(job: dict[str, Any], token: str) -> dict[str, Any]:
    """Run one fetch in `bench.child`; raises with its stderr when it fails."""
    env = dict(os.environ, GITLAB_TOKEN=token)
    done = subprocess.run(
        [sys.executable, "-m", "bench.child", json.dumps(job)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.child failed ({job['side']}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


class Sampler:
    """Samples the simulator's counters every `every_s` seconds: a request-rate timeline."""

    def __init__(self, sim: Simulator, every_s: float = 0.1) -> None:
        self.sim = sim
        self.every_s = every_s
        self.samples: list[tuple[float, int, int]] = []  # (monotonic, answered, 429s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _take(self) -> None:
        counters = self.sim.counters
        limited = sum(n for (_, status), n in counters.items() if status == 429)
        self.samples.append((time.monotonic(), sum(counters.values()) - limited, limited))

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self._take()

    def __enter__(self) -> Sampler:
        self._take()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._take()


def _server_calls(before: dict[tuple[str, int], int], sim: Simulator) -> dict[str, Any]:
    delta = Counter(sim.counters)
    delta.subtract(before)
    by_route: Counter[str] = Counter()
    for (route, status), n in delta.items():
        if n and status != 429:
            by_route[route] += n
    limited = sum(n for (_, status), n in delta.items() if status == 429)
    return {
        "server_calls": sum(by_route.values()),
        "server_429": limited,
        "by_route": dict(sorted(by_route.items())),
    }


def trigger_pipelines(sim: Simulator, snapshot_path: Path, fraction: float) -> list[int]:
    """Start a new default-branch pipeline, through the trigger API, in `fraction` of projects."""
    projects = json.loads(snapshot_path.read_text())["sources"][0]["projects"]
    live = sorted((p for p in projects if p["default_branch"]), key=lambda p: p["id"])
    count = max(1, round(len(projects) * fraction))
    step = len(live) / count
    chosen = [live[int(i * step)] for i in range(count)]
    for project in chosen:
        token = sim.create_trigger(project["id"])
        response = requests.post(
            f"{sim.url}/api/v4/projects/{project['id']}/trigger/pipeline",
            data={"token": token, "ref": project["default_branch"]},
            timeout=10,
        )
        response.raise_for_status()
    return [p["id"] for p in chosen]


def measure(job: dict[str, Any]) -> dict[str, Any]:
    """Run `job` against a fresh simulator: a full fetch, then the refreshes it asks for.

    job keys: side (ours | baseline), projects, seed, concurrency, rate_limit (per window or
    None), window_s, headers (the simulator's rate-limit header mode, default gitlab.com),
    app_limits (route template -> requests a window), refresh (list of changed fractions,
    gldash only), timeline (sample the rate), graphql (False: REST only), latency_ms, save
    (where the full fetch's snapshot is written).
    """
    spec = OrgSpec(
        projects=job["projects"],
        seed=job.get("seed", 1),
        pipelines_per_project=PIPELINES_PER_PROJECT,
    )
    sim = Simulator(
        spec,
        latency_ms=job.get("latency_ms", LATENCY_MS),
        rate_limit_per_minute=job.get("rate_limit"),
        rate_limit_window_s=job.get("window_s", 60),
        rate_limit_headers=job.get("headers", "gitlab.com"),
        app_limits=job.get("app_limits"),
        faults=Faults(),
    )
    with sim, tempfile.TemporaryDirectory(prefix="gldash-bench-") as tmp:
        saved = Path(tmp) / "snapshot.json"
        child = {
            "side": job["side"],
            "url": sim.url,
            "groups": top_groups(sim),
            "concurrency": job.get("concurrency", 8),
            "save": job.get("save") or (str(saved) if job.get("refresh") else None),
            "graphql": job.get("graphql", True),
        }
        before = sim.counters
        if job.get("timeline"):
            with Sampler(sim) as sampler:
                result = run_child(child, sim.token)
            result["timeline"] = sampler.samples
        else:
            result = run_child(child, sim.token)
        result.update(_server_calls(before, sim))
        refreshes = []
        for fraction in job.get("refresh", []):
            changed = trigger_pipelines(sim, saved, fraction) if fraction else []
            before = sim.counters
            again = run_child({**child, "previous": str(saved), "save": None}, sim.token)
            again.update(_server_calls(before, sim), fraction=fraction, changed=len(changed))
            refreshes.append(again)
        result["refreshes"] = refreshes
        result["app_429"] = sim.app_limited
    result["job"] = job
    return result


def main() -> None:
    """Measure the job given as JSON and print the result as JSON."""
    print(json.dumps(measure(json.loads(sys.argv[1]))))


if __name__ == "__main__":
    main()
