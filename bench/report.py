"""Turning raw benchmark results into medians, target verdicts, a table and docs/benchmarks.md."""

from __future__ import annotations

import statistics
from typing import Any

MB = 1024 * 1024
MODE_ORDER = ["gitlab.com", "self-managed", "bare 429"]  # as bench.ratelimit.HEADER_MODES


def median(runs: list[dict[str, Any]], key: str) -> float:
    """Median of `key` over runs."""
    return float(statistics.median(float(r[key]) for r in runs))


def fetch_row(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of a list of fetch runs of one side and size."""
    return {
        "runs": len(runs),
        "wall_s": median(runs, "wall_s"),
        "wall_s_all": [round(r["wall_s"], 2) for r in runs],
        "calls": median(runs, "server_calls"),
        "peak_rss_mb": median(runs, "peak_rss_mb"),
        "cpu_s": median(runs, "cpu_s"),
        "projects": runs[0]["counts"]["projects"],
        "counts": runs[0]["counts"],
    }


def compare(ours: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """Ratios of gldash against the baseline, and whether both fetched the same data."""
    return {
        "speedup": baseline["wall_s"] / ours["wall_s"],
        "calls_ratio": ours["calls"] / baseline["calls"],
        "rss_ratio": ours["peak_rss_mb"] / baseline["peak_rss_mb"],
        "same_data": ours["counts"] == baseline["counts"],
    }


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def targets(results: dict[str, Any]) -> list[dict[str, str]]:
    """Each target of issue 8 with the measured number and met / not met."""
    rows: list[dict[str, str]] = []
    for size, section in sorted(results.get("fetch", {}).items(), key=lambda kv: int(kv[0])):
        if "ratio" not in section:
            continue
        ratio = section["ratio"]
        met = ratio["speedup"] >= 10 and ratio["calls_ratio"] <= 1
        rows.append(
            {
                "target": f"full fetch ≥10x faster than baseline, no more calls ({size} projects)",
                "measured": f"{ratio['speedup']:.1f}x, calls {ratio['calls_ratio']:.2f}x",
                "verdict": _verdict(met),
            }
        )
    for size, section in sorted(results.get("refresh", {}).items(), key=lambda kv: int(kv[0])):
        # Issue 8 set the target against a REST full fetch (20 calls a project); since the
        # GraphQL bulk fetch a full fetch costs about one, so the baseline's (REST, same
        # data) is the yardstick; the share of gldash's own full fetch is shown beside it.
        base = results.get("fetch", {}).get(size, {}).get("baseline")
        calls = section["0"]["calls"]
        share = calls / base["calls"] if base else section["0"]["calls_share"]
        rows.append(
            {
                "target": f"no-change refresh ≤5 % of a REST full fetch's calls ({size} projects)",
                "measured": f"{share * 100:.1f} % ({calls:.0f} calls; "
                f"{section['0']['calls_share'] * 100:.0f} % of gldash's GraphQL full fetch)",
                "verdict": _verdict(share <= 0.05),
            }
        )
    rows += render_target(results, 10_000, 60)  # issue 5
    rows += scale_render_targets(results)
    browser = results.get("browser")
    if browser:
        p95 = browser["filter"]["done_p95"]
        rows.append(
            {
                "target": "filter keystroke ≤50 ms p95 "
                f"({browser.get('projects', 10000):,} projects)",
                "measured": f"{p95:.1f} ms to the frame rendered "
                f"({browser['filter']['raf_p95']:.1f} ms to next frame)",
                "verdict": _verdict(p95 <= 50),
            }
        )
    rate = results.get("ratelimit")
    if rate and rate.get("of_limit"):
        surfaced = bool(rate["errors"]) or not rate["complete"] or rate["stale"] > 0
        met = rate["of_limit"] >= 0.9 and not surfaced
        rows.append(
            {
                "target": "achieved rate within 10 % of the limit, no 429 as an error",
                "measured": f"{rate['achieved_per_minute']:.0f}/min = "
                f"{rate['of_limit'] * 100:.1f} % of {rate['limit_per_minute']}, "
                f"{rate['server_429']} × 429, errors: {len(rate['errors'])}",
                "verdict": _verdict(met),
            }
        )
    if results.get("bulk"):
        from bench import bulk

        rows += bulk.targets(results["bulk"])
    if results.get("site_budget"):
        from bench import site_budget

        rows += site_budget.targets(results["site_budget"]["rows"])
    if results.get("answers"):
        from bench import answers

        rows += answers.targets(results["answers"])
    if results.get("environments"):
        from bench import environments

        rows += environments.targets(results["environments"])
    modes = results.get("header_modes")
    if modes:
        bare = modes["modes"]["bare 429"]
        stale = sum(r["stale"] for r in modes["modes"].values())
        failed = [m for m, r in modes["modes"].items() if not r["complete"] or r["errors"]]
        rows.append(
            {
                "target": "bare 429s (no headers) ≤2x GitLab.com's wall time, 0 stale "
                f"({modes['org_projects']:,} projects)",
                "measured": f"{modes['bare_vs_gitlab_com']:.2f}x ({bare['wall_s']:.0f} s), "
                f"{stale} stale, {bare['server_429']} × 429"
                + (f", incomplete: {', '.join(failed)}" if failed else ""),
                "verdict": _verdict(modes["bare_vs_gitlab_com"] <= 2 and not stale and not failed),
            }
        )
    return rows


def render_target(results: dict[str, Any], size: int, max_s: float) -> list[dict[str, str]]:
    """The render row of `size` projects: within `max_s` seconds and 2 GB, if it was run."""
    render = results.get("render", {}).get(str(size))
    if not render:
        return []
    return [
        {
            "target": f"render {size:,} projects ≤{max_s:g} s and ≤2 GB",
            "measured": f"{render['wall_s']:.1f} s, {render['peak_rss_mb']:.0f} MB",
            "verdict": _verdict(render["wall_s"] <= max_s and render["peak_rss_mb"] <= 2048),
        }
    ]


def scale_render_targets(results: dict[str, Any]) -> list[dict[str, str]]:
    """Issue 15, part 4: 50,000 projects render, and their projects page loads and filters."""
    rows = render_target(results, 50_000, 120)
    large = results.get("browser_large")
    if large and large.get("projects") == 50000:
        # Issue 15 asks for the next frame (requestAnimationFrame after the key event); the
        # frame rendered (the first task after it) is shown beside it, as for issue 5.
        p95 = large["filter"]["raf_p95"]
        rows += [
            {
                "target": "projects page of 50,000 rows ≤1 MB transferred",
                "measured": f"{large['transfer'] / 1e3:,.0f} KB ({large['requests']:.0f} "
                f"requests, first paint {large['fcp']:.0f} ms, load {large['load']:.0f} ms)",
                "verdict": _verdict(large["transfer"] <= 1e6),
            },
            {
                "target": "filter keystroke ≤50 ms p95 to the next frame (50,000 projects)",
                "measured": f"{p95:.1f} ms to the next frame "
                f"({large['filter']['done_p95']:.1f} ms to the frame rendered)",
                "verdict": _verdict(p95 <= 50),
            },
        ]
    return rows


def header_mode_table(modes: dict[str, Any]) -> list[str]:
    """The rate-limit header modes as a Markdown table."""
    base = modes["modes"]["gitlab.com"]["wall_s"]
    rows = [
        [
            mode,
            f"{r['wall_s']:.1f} s",
            f"{r['wall_s'] / base:.2f}x",
            f"{r['requests']:,}",
            f"{r['server_429']:,}" + (f" ({r['bare_429']:,} bare)" if r["bare_429"] else ""),
            f"{r['client_rate_limited']:,}",
            f"{r['projects']:,}",
            f"{r['stale']}",
            "yes" if r["complete"] and not r["errors"] else f"no ({r['errors']} errors)",
        ]
        for mode, r in sorted(modes["modes"].items(), key=lambda kv: MODE_ORDER.index(kv[0]))
    ]
    return _table(
        [
            "header mode",
            "wall",
            "vs GitLab.com",
            "answered",
            "429s",
            "client waits",
            "projects",
            "stale",
            "complete",
        ],
        rows,
    )


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _runs(row: dict[str, Any]) -> str:
    return f"{row['runs']}" if row["runs"] == 1 else f"{row['runs']} (median)"


def tables(results: dict[str, Any]) -> list[str]:
    """Markdown tables of every section that ran."""
    out: list[str] = []
    fetch = results.get("fetch", {})
    if fetch:
        out += ["### 1. Full fetch: gldash against the naive baseline (30 ms a request)", ""]
        rows = []
        for size in sorted(fetch, key=int):
            section = fetch[size]
            for label, key in (("gldash (defaults)", "ours"), ("baseline", "baseline")):
                if key in section:
                    r = section[key]
                    rows.append(
                        [
                            f"{int(size):,}",
                            label,
                            _runs(r),
                            f"{r['projects']:,}",
                            f"{r['wall_s']:.1f} s",
                            f"{r['calls']:,.0f}",
                            f"{r['peak_rss_mb']:.0f} MB",
                            f"{r['cpu_s']:.1f} s",
                        ]
                    )
            if "ratio" in section:
                ratio = section["ratio"]
                rows.append(
                    [
                        f"{int(size):,}",
                        "**ratio**",
                        "",
                        "same data" if ratio["same_data"] else "**data differ**",
                        f"**{ratio['speedup']:.1f}x faster**",
                        f"{ratio['calls_ratio']:.2f}x",
                        f"{ratio['rss_ratio']:.2f}x",
                        "",
                    ]
                )
        header = ["org", "side", "runs", "projects fetched", "wall", "API calls", "peak RSS"]
        out += _table([*header, "CPU"], rows)
        experiments = results.get("concurrency", [])
        if experiments:
            out += ["", "Experiment, not the product's default: `fetch.concurrency` raised.", ""]
            rows = [
                [
                    f"{e['projects']:,}",
                    f"{e['concurrency']}",
                    f"{e['wall_s']:.1f} s",
                    f"{e['calls']:,.0f}",
                    f"{e['peak_rss_mb']:.0f} MB",
                    f"{e['req_per_s']:.0f}",
                    f"{e['speedup']:.1f}x" if e.get("speedup") else "n/a",
                ]
                for e in experiments
            ]
            out += _table(
                ["org", "concurrency", "wall", "API calls", "peak RSS", "req/s", "vs baseline"],
                rows,
            )
        out.append("")
    refresh = results.get("refresh", {})
    if refresh:
        out += ["### 2. Refresh after a full fetch (gldash defaults)", ""]
        rows = []
        for size in sorted(refresh, key=int):
            for key in sorted(refresh[size], key=float):
                r = refresh[size][key]
                rows.append(
                    [
                        f"{int(size):,}",
                        f"{float(key) * 100:g} % ({r['changed']} projects)",
                        _runs(r),
                        f"{r['calls']:,.0f}",
                        f"{r['calls_share'] * 100:.1f} %",
                        f"{r['wall_s']:.2f} s",
                        f"{r['wall_share'] * 100:.1f} %",
                    ]
                )
        out += _table(["org", "changed", "runs", "API calls", "of full", "wall", "of full"], rows)
        out.append("")
    render = results.get("render", {})
    if render:
        out += ["### 3. Render (synthetic snapshots, `tests/factories.make_snapshot`)", ""]
        rows = [
            [
                f"{int(size):,}",
                f"{r['wall_s']:.1f} s",
                f"{r['cpu_s']:.1f} s",
                f"{r['peak_rss_mb']:.0f} MB",
                f"{r['sizes']['files']:,}",
                f"{r['sizes']['raw'] / 1e6:.1f} MB",
                f"{r['sizes']['served_gz'] / 1e6:.1f} MB",
                f"{r['projects_page']['raw'] / 1e3:,.0f} / "
                f"{r['projects_page']['gz'] / 1e3:,.0f} KB",
            ]
            for size, r in sorted(render.items(), key=lambda kv: int(kv[0]))
        ]
        out += _table(
            [
                "projects",
                "wall",
                "CPU",
                "peak RSS",
                "files",
                "raw",
                "gzipped",
                "projects.html raw / gz",
            ],
            rows,
        )
        out.append("")
    for browser in (results.get("browser"), results.get("browser_large")):
        if not browser:
            continue
        f = browser["filter"]
        size = f"{browser.get('projects', 10000):,}"
        out += [f"### 4. Browser: projects page, {size} projects (headless Chromium)", ""]
        out += _table(
            ["measure", "value"],
            [
                ["cold loads", f"{len(browser['loads'])} (median)"],
                ["bytes transferred (gzip, with headers)", f"{browser['transfer'] / 1e3:,.0f} KB"],
                ["decoded size", f"{browser['decoded'] / 1e6:.1f} MB"],
                ["requests", f"{browser['requests']:.0f}"],
                ["first contentful paint", f"{browser['fcp']:.0f} ms"],
                ["DOMContentLoaded / load", f"{browser['dcl']:.0f} / {browser['load']:.0f} ms"],
                ["keystrokes measured", f"{f['samples']}"],
                [
                    "key → next animation frame p50 / p95",
                    f"{f['raf_p50']:.1f} / {f['raf_p95']:.1f} ms",
                ],
                ["key → frame rendered p50 / p95", f"{f['done_p50']:.1f} / {f['done_p95']:.1f} ms"],
                ["key → frame rendered max", f"{f['done_max']:.1f} ms"],
            ],
        )
        out.append("")
    rate = results.get("ratelimit")
    if rate:
        out += ["### 5. Rate-limit ceiling (gldash defaults)", ""]
        achieved = rate["achieved_per_minute"]
        out += _table(
            ["measure", "value"],
            [
                ["organisation", f"{rate['org_projects']:,} projects"],
                ["limit", f"{rate['limit_per_minute']:,} requests a minute (60 s window)"],
                ["fetch wall time", f"{rate['fetch_wall_s']:.0f} s, {rate['requests']:,} requests"],
                ["complete windows", f"{rate['windows_complete']}"],
                ["requests per complete window", ", ".join(map(str, rate["requests_per_window"]))],
                [
                    "achieved",
                    f"{achieved:,.0f}/min ({rate['of_limit'] * 100:.1f} %)" if achieved else "n/a",
                ],
                [
                    "429 responses",
                    f"{rate['server_429']} (client retried {rate['client_rate_limited']})",
                ],
                ["errors / stale projects", f"{len(rate['errors'])} / {rate['stale']}"],
            ],
        )
        out.append("")
    if results.get("bulk"):
        from bench import bulk

        out += [
            "### 7. GraphQL bulk fetch against REST only (issue 15)",
            "",
            *bulk.table(results["bulk"]),
        ]
    if results.get("site_budget"):
        from bench import site_budget

        out += [
            "",
            "### 8. Site budget after 30 days of hourly builds (issue 15)",
            "",
            *site_budget.table(results["site_budget"]["rows"]),
            "",
        ]
    if results.get("answers"):
        from bench import answers

        out += [
            "### 9. What the answers cost in API calls (issue 16)",
            "",
            "The same code with `fetch.jobs`, `fetch.red_streaks` and `fetch.test_reports` off "
            "(what the fetch asked before issue 16) and on; `python -m bench --only answers`.",
            "",
            *answers.table(results["answers"]),
            "",
        ]
    if results.get("environments"):
        from bench import environments

        out += [
            "### 10. What environments and deployments cost in API calls (issue 17)",
            "",
            "The same code with `fetch.environments` off (what the fetch asked before issue 17) "
            "and on; `python -m bench --only environments`.",
            "",
            *environments.table(results["environments"]),
            "",
        ]
    modes = results.get("header_modes")
    if modes:
        window = f"{modes['limit_per_window']:,} requests per {modes['window_s']:g} s window"
        out += [
            f"### 6. Rate-limit header modes: {modes['org_projects']:,} projects, {window}",
            "",
            *header_mode_table(modes),
            "",
            "Same data in every mode: " + ("yes" if modes["same_data"] else "**no**") + ".",
            "",
        ]
        if "run_s" in modes:
            facts = modes.get("machine", {})
            load = modes.get("load_average")
            out += [
                f"Run alone (`python -m bench --only header-modes`) at commit"
                f" {facts.get('commit', '?')} in {modes['run_s'] / 60:.1f} minutes"
                + (f", load average {load[0]:.1f} → {load[1]:.1f} on" if load else " on")
                + f" {facts.get('cores', '?')} cores.",
                "",
            ]
    return out


def target_table(rows: list[dict[str, str]]) -> list[str]:
    """The targets as a Markdown table."""
    return _table(
        ["target", "measured", "verdict"],
        [[r["target"], r["measured"], r["verdict"]] for r in rows],
    )
