"""`python -m bench` (`make bench`): every benchmark of issue 8, then results.json and docs.

Order: render and browser first, on a quiet machine; then the 1,000-project baseline starts in
the background (in processes of its own: it is sequential and mostly sleeps on the simulated
latency, so it would otherwise take most of the time budget alone) while the fetch, refresh,
concurrency, 200-project baseline and rate-limit runs go on in the foreground.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import (
    answers,
    browser,
    bulk,
    environments,
    machine,
    ratelimit,
    report,
    site_budget,
)
from bench.fetch_run import LATENCY_MS, REPO, measure

RESULTS = REPO / "bench" / "results.json"
DOCS = REPO / "docs" / "benchmarks.md"

FULL = {
    "small": 200,
    "large": 1000,
    "small_reps": 3,
    "baseline_small_reps": 2,
    "large_reps": 1,
    "refresh": [0.0, 0.01],
    "concurrency": [(200, 16), (200, 32), (1000, 32)],
    "render": [1000, 10000, 50000],
    # Issue 5's filter budget at 10,000 projects, issue 15's page and filter budget at 50,000.
    "browser": [10000, 50000],
    "ratelimit_projects": 250,
    "ratelimit": 2000,
    # 2,000 a minute with time compressed 3x (20 s windows), so that three full fetches of
    # the 1,000-project organisation take minutes, not half an hour; at 100 requests a
    # second the limit still binds (unlimited, the fetch makes about 500 a second).
    "modes_projects": 1000,
    "modes_limit": 2000,
    "modes_window_s": 20.0,
    # Issue 15: GraphQL against REST only at 1,000 projects (30 ms latency), and 5,000 under
    # GitLab.com's 2,000 requests per 60 s window.
    "bulk_latency_projects": 1000,
    "bulk_limit_projects": 5000,
    "bulk_limit": 2000,
    "bulk_window_s": 60.0,
    # Issue 15: the published site after 30 days of hourly builds (archive at default retention)
    "site_budget": [1000, 5000],
    "site_days": 30,
    # Issue 16: what every job attempt, red streaks and test reports cost in API calls
    "answers_projects": 1000,
    # Issue 17: what environments and deployments cost in API calls
    "environments_projects": 1000,
}
QUICK = {
    "small": 30,
    "large": 60,
    "small_reps": 2,
    "baseline_small_reps": 1,
    "large_reps": 1,
    "refresh": [0.0, 0.01],
    "concurrency": [(30, 16)],
    "render": [100, 500],
    "browser": [500],
    "ratelimit_projects": 40,
    "ratelimit": 300,
    "modes_projects": 60,
    "modes_limit": 200,
    "modes_window_s": 2.0,
    "bulk_latency_projects": 60,
    "bulk_limit_projects": 200,
    "bulk_limit": 100,
    "bulk_window_s": 2.0,
    "site_budget": [60],
    "site_days": 2,
    "answers_projects": 60,
    "environments_projects": 60,
}
SECTIONS = (
    "render",
    "header-modes",
    "bulk",
    "site-budget",
    "answers",
    "environments",
)  # the sections `--only` can run alone (merged into results)


def log(message: str) -> None:
    """One progress line on stderr with the elapsed time."""
    print(f"[{time.perf_counter() - STARTED:6.0f} s] {message}", file=sys.stderr, flush=True)


STARTED = time.perf_counter()


def run_render(sizes: list[int], keep: Path) -> dict[str, Any]:
    """Render each size in its own process; the largest site is kept for the browser."""
    out: dict[str, Any] = {}
    for size in sizes:
        log(f"render {size:,} projects")
        done = subprocess.run(
            [sys.executable, "-m", "bench.render_run", str(size), str(keep / str(size))],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"render of {size} projects failed:\n{done.stderr[-3000:]}")
        out[str(size)] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def run_render_and_browser(plan: dict[str, Any]) -> dict[str, Any]:
    """Render every size, then the projects page of the browser sizes in Chromium.

    `browser` is the first browser size (issue 5's 10,000), `browser_large` the last (issue
    15's 50,000) when there are two.
    """
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="gldash-bench-site-") as tmp:
        out["render"] = run_render(plan["render"], Path(tmp))
        sizes = plan["browser"]
        for key, size in zip(("browser", "browser_large"), (sizes[0], sizes[-1]), strict=True):
            if key == "browser_large" and len(sizes) == 1:
                break
            log(f"browser: projects page of {size:,} projects")
            out[key] = {**browser.measure(Path(tmp) / str(size)), "projects": size}
    return out


def start_background(job: dict[str, Any]) -> subprocess.Popen[str]:
    """Start `bench.fetch_run` for `job` in a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.fetch_run", json.dumps(job)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )


def refresh_rows(full: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Refresh medians per changed fraction, relative to the median full fetch."""
    out: dict[str, Any] = {}
    for fraction in sorted({r["fraction"] for run in runs for r in run["refreshes"]}):
        picked = [r for run in runs for r in run["refreshes"] if r["fraction"] == fraction]
        calls = report.median(picked, "server_calls")
        wall = report.median(picked, "wall_s")
        out[f"{fraction:g}"] = {
            "runs": len(picked),
            "changed": picked[0]["changed"],
            "calls": calls,
            "wall_s": wall,
            "calls_share": calls / full["calls"],
            "wall_share": wall / full["wall_s"],
            "by_route": picked[0]["by_route"],
        }
    return out


def run_header_modes(plan: dict[str, Any]) -> dict[str, Any]:
    """A full fetch in each rate-limit header mode at the same limit (issue 13)."""
    size, limit, window = plan["modes_projects"], plan["modes_limit"], plan["modes_window_s"]
    load = os.getloadavg()[0]  # other work on the machine slows every mode alike
    rows = {}
    for mode in ratelimit.HEADER_MODES:
        log(f"header mode {mode}: {size:,} projects at {limit:,} per {window:g} s")
        rows[mode] = ratelimit.mode_row(measure(ratelimit.mode_job(mode, size, limit, window)))
    return {
        **ratelimit.header_modes(rows, size, limit, window),
        "load_average": [load, os.getloadavg()[0]],
    }


def run(plan: dict[str, Any]) -> dict[str, Any]:
    """Run every section and return the results."""
    results: dict[str, Any] = {"machine": machine.facts(), "plan": plan}
    results.update(run_render_and_browser(plan))

    small, large = plan["small"], plan["large"]
    log(f"baseline {large:,} projects: started in the background")
    background = start_background({"side": "baseline", "projects": large})

    fetch: dict[str, Any] = {str(small): {}, str(large): {}}
    refresh: dict[str, Any] = {}
    for size, reps in ((small, plan["small_reps"]), (large, plan["large_reps"])):
        runs = []
        for rep in range(reps):
            log(f"gldash {size:,} projects, run {rep + 1}/{reps} (+ refreshes)")
            runs.append(measure({"side": "ours", "projects": size, "refresh": plan["refresh"]}))
        fetch[str(size)]["ours"] = report.fetch_row(runs)
        fetch[str(size)]["ours_by_route"] = runs[0]["by_route"]
        refresh[str(size)] = refresh_rows(fetch[str(size)]["ours"], runs)

    experiments = []
    for size, concurrency in plan["concurrency"]:
        log(f"experiment: gldash {size:,} projects, concurrency {concurrency}")
        r = measure({"side": "ours", "projects": size, "concurrency": concurrency})
        experiments.append(
            {
                "projects": size,
                "concurrency": concurrency,
                "wall_s": r["wall_s"],
                "calls": r["server_calls"],
                "peak_rss_mb": r["peak_rss_mb"],
                "req_per_s": r["server_calls"] / r["wall_s"],
            }
        )

    runs = []
    for rep in range(plan["baseline_small_reps"]):
        log(f"baseline {small:,} projects, run {rep + 1}/{plan['baseline_small_reps']}")
        runs.append(measure({"side": "baseline", "projects": small}))
    fetch[str(small)]["baseline"] = report.fetch_row(runs)
    fetch[str(small)]["baseline_by_route"] = runs[0]["by_route"]

    log(f"rate limit: {plan['ratelimit_projects']} projects at {plan['ratelimit']}/min")
    limited = measure(
        {
            "side": "ours",
            "projects": plan["ratelimit_projects"],
            "rate_limit": plan["ratelimit"],
            "timeline": True,
            "graphql": False,  # REST only: enough requests to run into the limit (see ratelimit)
        }
    )
    results["ratelimit"] = {
        **ratelimit.analyse(limited, plan["ratelimit"]),
        "org_projects": plan["ratelimit_projects"],
    }
    results["header_modes"] = run_header_modes(plan)
    results["bulk"] = bulk.run_bulk(plan, log)
    results["site_budget"] = site_budget.run_all(plan["site_budget"], plan["site_days"], log)
    results["answers"] = answers.run_answers(plan["answers_projects"], log)
    results["environments"] = environments.run_environments(plan["environments_projects"], log)

    log(f"waiting for the background baseline ({large:,} projects)")
    out, _ = background.communicate()
    if background.returncode != 0:
        raise RuntimeError("background baseline failed")
    big = json.loads(out.strip().splitlines()[-1])
    fetch[str(large)]["baseline"] = report.fetch_row([big])
    fetch[str(large)]["baseline_by_route"] = big["by_route"]
    fetch[str(large)]["baseline_ms_per_call"] = big["wall_s"] / big["server_calls"] * 1000
    fetch[str(small)]["baseline_ms_per_call"] = (
        fetch[str(small)]["baseline"]["wall_s"] / fetch[str(small)]["baseline"]["calls"] * 1000
    )

    for size in (small, large):
        section = fetch[str(size)]
        section["ratio"] = report.compare(section["ours"], section["baseline"])
    for e in experiments:
        base = fetch.get(str(e["projects"]), {}).get("baseline")
        e["speedup"] = base["wall_s"] / e["wall_s"] if base else None
    results.update(fetch=fetch, refresh=refresh, concurrency=experiments)
    results["targets"] = report.targets(results)
    results["total_s"] = time.perf_counter() - STARTED
    return results


def markdown(results: dict[str, Any]) -> str:
    """docs/benchmarks.md: how to run, what is measured, the results."""
    m = results["machine"]
    plan = results["plan"]
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by `make bench` (bench/__main__.py); do not edit by hand. -->",
        "",
        "`make bench` (or `.venv/bin/python -m bench`) runs every benchmark of issue 8 in one go,",
        "prints the tables below and writes them here and, with every raw number, to",
        "`bench/results.json`. It takes about two hours on a 2-core machine (the site budget's",
        "5,000-project run alone about 90 minutes, 25 s a simulated build); benchmarks never",
        "run in `make test`. `python -m bench --quick` is a one-minute smoke run on tiny sizes",
        "(it writes to `bench/results-quick.json` and leaves this page alone).",
        "",
        "## How it measures",
        "",
        f"- Fetches run against the simulator (`gldash_static.simulator`) with {LATENCY_MS} ms"
        " latency a request, `OrgSpec(projects=N, seed=1, pipelines_per_project=20)`, a fresh",
        "  simulator for every full fetch. The simulator runs in one process, the measured fetch",
        "  in a child process of its own (`bench/child.py`): peak RSS is the child's VmHWM, so",
        "  the simulator's memory is not counted. API calls are the simulator's own counters.",
        "- Every project of the top-level groups is fetched (`visibility: [public, internal,",
        "  private]`; the default would publish the public and internal third only); archived",
        "  and personal projects are left out by both sides.",
        "- The baseline (`bench/baseline.py`) is a plain sequential python-gitlab script using",
        "  its objects the usual way: `gl.groups.get(g).projects.list(get_all=True,",
        "  include_subgroups=True)`, then per project `pipelines.list(get_all=False,",
        "  per_page=100)`, `pipelines.get(id)` for each kept pipeline (the same choice as",
        "  gldash), `pipeline.jobs.list(scope='failed')` for failed ones,",
        "  `branches.list(get_all=True)` and `mergerequests.list(state='opened', get_all=True)`.",
        "  The results table says whether both fetched the same data (equal counts of projects,",
        "  pipelines, failed jobs, branches and merge requests).",
        f"- Repetitions: gldash {plan['small']:,} projects {plan['small_reps']}x, baseline"
        f" {plan['small']:,} projects {plan['baseline_small_reps']}x, gldash and baseline"
        f" {plan['large']:,} projects {plan['large_reps']}x (medians where more than one).",
        f"  The {plan['large']:,}-project baseline needs over 10 minutes on its own, so it runs",
        "  in the background while the other fetch runs go on; it is latency-bound (its",
        "  per-request time is shown next to the foreground baseline's to show the overlap did",
        "  not slow it), and render and browser run before it starts, on a quiet machine.",
        "- Refresh: after each full fetch, a refresh with nothing changed, then one after a new",
        "  pipeline was triggered (`POST /projects/:id/trigger/pipeline`) in exactly 1 % of the",
        "  projects, evenly spread by id. The clock is not moved: moving it also finishes",
        "  running pipelines and makes a random share of projects active, so it cannot hit 1 %.",
        "- Render: `tests/factories.make_snapshot(projects=N, seed=1)` rendered by",
        "  `render_site` in a process of its own; peak RSS includes the snapshot. Sizes: every",
        "  file raw, and as served (the .gz sibling where there is one).",
        "- Browser: `projects.html` of the 10,000- and the 50,000-project sites served by",
        "  `gldash serve`'s server (it sends the .gz siblings); bytes transferred and first",
        "  contentful paint are medians of 3 cold loads in a fresh headless Chromium (Resource",
        "  Timing `transferSize`, paint timing); keystroke latencies come from",
        "  `bench/render_budget.py`'s `measure_filter`.",
        "  `python -m bench --only render` runs the render and browser rows alone.",
        "- Rate limit: the simulator limits the token to 2,000 requests per 60 s window of real",
        "  time; a REST-only full fetch (`fetch.graphql: false`) of a 250-project organisation",
        "  (about 4,700 requests) runs into it twice (with GraphQL it makes about 270 and never",
        "  would: the pacer is what this measures, so it and the header modes run REST only).",
        "  The achieved rate counts the requests of the complete windows over the time",
        "  they spanned (see `bench/ratelimit.py`). The simulator sends RateLimit-* on every",
        "  answer (its GitLab.com mode), which gldash's pacer reads.",
        "- Rate-limit header modes (issue 13): a REST-only full fetch of the"
        f" {plan.get('modes_projects', 1000):,}-project organisation at"
        f" {plan.get('modes_limit', 2000):,} requests per {plan.get('modes_window_s', 20):g} s"
        " window",
        f"  (2,000 a minute with time compressed {60 / plan.get('modes_window_s', 20):g}x, so"
        " the three fetches take minutes) in each",
        "  way GitLab signals the limit: GitLab.com (RateLimit-* on every answer), self-managed",
        "  (only on throttled answers, GitLab's default) and bare 429 (an application limit",
        "  over every route at the same total: 429 with GitLab's JSON body, no Retry-After, no",
        "  RateLimit-*). Windows are aligned to the epoch, as Rack::Attack's are.",
        "  `python -m bench --only header-modes` runs these rows alone and merges them into",
        "  `bench/results.json`.",
        "- GraphQL bulk fetch (issue 15): a full fetch with GraphQL (the default) and one with",
        "  `fetch.graphql: false`, of the"
        f" {plan.get('bulk_latency_projects', 1000):,}-project organisation with"
        f" {LATENCY_MS} ms latency, and of the {plan.get('bulk_limit_projects', 5000):,}-project",
        f"  organisation, GraphQL under {plan.get('bulk_limit', 2000):,} requests per"
        f" {plan.get('bulk_window_s', 60):g} s window (GitLab.com's limit, RateLimit-* on",
        "  every answer), REST only without limit or latency (it is there for the data: both",
        "  snapshots are compared field by field, less fetch times and the server's port).",
        "  `python -m bench --only bulk` runs these rows alone and merges them in.",
        "- Site budget (issue 15): the 1,000- and 5,000-project organisations evolve for"
        f" {plan.get('site_days', 30)} days;",
        "  each build that default retention keeps at the end (3 days of every build, then one",
        "  a day) is fetched on top of the previous one and archived, then the last build's",
        "  site is rendered with its archive and measured by part (`bench/site_budget.py`). Builds",
        "  retention would prune are skipped: adding then pruning gives the same files as",
        "  adding only what is kept (tests/archive/test_archive_chain.py). Sizes are of the",
        "  files as published (GitLab Pages counts them uncompressed, as written).",
        "  `python -m bench --only site-budget` runs these rows alone.",
        "",
        "## Machine",
        "",
        *report._table(["", ""], [[k, str(v)] for k, v in m.items()]),
        "",
        "## Targets",
        "",
        *report.target_table(results["targets"]),
        "",
        "## Results",
        "",
        *report.tables(results),
    ]
    notes = results.get("notes")
    if notes:
        lines += ["## Analysis", "", notes.strip(), ""]
    if "total_s" in results:
        lines.append(f"Total run time: {results['total_s'] / 60:.1f} minutes.")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Run the benchmarks, print the tables and write results.json and docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description="gldash benchmarks (issue 8)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument(
        "--docs-only",
        action="store_true",
        help="rederive targets and rewrite docs/benchmarks.md from results.json",
    )
    parser.add_argument(
        "--only",
        choices=SECTIONS,
        help="run one section alone and merge it into the existing results",
    )
    args = parser.parse_args()
    notes_file = REPO / "bench" / "analysis.md"
    if args.docs_only:
        results = json.loads(RESULTS.read_text())
        results["targets"] = report.targets(results)  # derived from the raw numbers
        results["notes"] = notes_file.read_text() if notes_file.is_file() else None
        RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
        DOCS.write_text(markdown(results))
        return 0
    plan = QUICK if args.quick else FULL
    if args.only:
        target = RESULTS.with_name("results-quick.json") if args.quick else RESULTS
        results = json.loads(target.read_text()) if target.is_file() else {"plan": {}}
        started = time.perf_counter()
        if args.only == "render":
            key, prefix = "browser", "render"  # run_s and machine go with the browser rows
            results.pop("browser_large", None)
            results.update(run_render_and_browser(dict(plan)))
            results["plan"]["browser"] = plan["browser"]
            shown = ("render", "browser", "browser_large")
            printed = report.tables({k: results[k] for k in shown if k in results})
        elif args.only == "bulk":
            key, prefix = "bulk", "bulk_"
            results["bulk"] = bulk.run_bulk(dict(plan), log)
            printed = bulk.table(results["bulk"])
        elif args.only == "answers":
            key, prefix = "answers", "answers_"
            results["answers"] = answers.run_answers(plan["answers_projects"], log)
            printed = answers.table(results["answers"])
        elif args.only == "environments":
            key, prefix = "environments", "environments_"
            results[key] = environments.run_environments(plan["environments_projects"], log)
            printed = environments.table(results[key])
        elif args.only == "site-budget":
            key, prefix = "site_budget", "site_"
            budget: dict[str, Any] = dict(plan)
            results[key] = site_budget.run_all(budget["site_budget"], budget["site_days"], log)
            printed = site_budget.table(results[key]["rows"])
        else:
            key, prefix = "header_modes", "modes_"
            results["header_modes"] = run_header_modes(dict(plan))
            printed = report.header_mode_table(results["header_modes"])
        results["plan"].update({k: v for k, v in plan.items() if k.startswith(prefix)})
        results[key]["run_s"] = time.perf_counter() - started
        results[key]["machine"] = machine.facts()
        results["targets"] = report.targets(results)
        if notes_file.is_file() and not args.quick:
            results["notes"] = notes_file.read_text()
        target.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
        print("\n".join(printed))
        if not args.quick and "machine" in results:
            DOCS.write_text(markdown(results))
        return 0
    results = run(dict(plan))
    if notes_file.is_file() and not args.quick:
        results["notes"] = notes_file.read_text()
    target = RESULTS.with_name("results-quick.json") if args.quick else RESULTS
    target.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    page = markdown(results)
    if not args.quick:
        DOCS.write_text(page)
    print(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
