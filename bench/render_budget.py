"""Render budget: 10,000 projects — wall time, peak RSS, projects page size, filter latency.

Run:  .venv/bin/python bench/render_budget.py [--projects 10000] [--keep DIR]

Prints a table; budgets from issue 5 are a full render ≤ 60 s, the projects page ≤ 400 KB
gzipped, and a filter keystroke reaching the next rendered frame ≤ 50 ms (p95) in headless
Chromium. A measurement, never a timed test.
"""

from __future__ import annotations

import argparse
import gzip
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from chromium_support import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from factories import make_snapshot  # noqa: E402

from gldash_static.cli.serve import make_server  # noqa: E402
from gldash_static.config.settings import SiteSettings  # noqa: E402
from gldash_static.render import render_site  # noqa: E402

# Typed one key at a time: growing, shrinking, no-match and broad queries.
QUERIES = ["service-01", "acme/web", "payments 9", "zzz", "python", "s"]

# Time from the key event's creation to (a) the next animation frame callback and (b) the
# first task after that frame, i.e. once style, layout and paint of the update have run.
INSTRUMENT = """
() => {
  window.__lat = [];
  document.addEventListener("keydown", (e) => {
    const t0 = e.timeStamp;
    requestAnimationFrame(() => {
      const raf = performance.now() - t0;
      const ch = new MessageChannel();
      ch.port1.onmessage = () => window.__lat.push([raf, performance.now() - t0]);
      ch.port2.postMessage(0);
    });
  }, true);
}
"""


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure_filter(site: Path) -> dict[str, Any]:
    """Filter keystroke latency on projects.html, served over loopback, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    server = make_server(site, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/projects.html"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(300_000)  # a slow page is a measurement, not a crash
            started = time.perf_counter()
            page.goto(url, wait_until="load")
            page.wait_for_function("() => !document.getElementById('filters').hidden")
            load_s = time.perf_counter() - started
            page.evaluate(INSTRUMENT)
            page.focus("#q")
            samples = 0
            for query in QUERIES:
                for key in [*query, *["Backspace"] * len(query)]:
                    page.keyboard.press(key)
                    samples += 1
                    page.wait_for_function(f"() => window.__lat.length >= {samples}")
            lat = page.evaluate("window.__lat")
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    raf = [a for a, _ in lat]
    done = [b for _, b in lat]
    return {
        "load_s": load_s,
        "samples": len(lat),
        "raf_p50": statistics.median(raf),
        "raf_p95": _pct(raf, 95),
        "done_p50": statistics.median(done),
        "done_p95": _pct(done, 95),
        "done_max": max(done),
    }


def main() -> int:
    """Run the budget and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, default=None, help="render here and keep the site")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium measurement")
    args = parser.parse_args()

    snapshot = make_snapshot(projects=args.projects, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp) / "public"
        started = time.perf_counter()
        result = render_site(snapshot, out, SiteSettings())
        wall = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        page_gz = (out / "projects.html.gz").stat().st_size
        page_raw = (out / "projects.html").stat().st_size
        extras = sum(
            len(gzip.compress((out / "assets" / name).read_bytes(), 9))
            for name in ("site.css", "gldash.js")
        )
        browser = None if args.no_browser else measure_filter(out)

    rows = [
        ("projects", f"{args.projects:,}", ""),
        ("render wall time", f"{wall:.1f} s", "≤ 60 s"),
        ("files written", f"{result.files:,} ({result.bytes / 1e6:.0f} MB)", ""),
        ("peak RSS (incl. snapshot)", f"{peak_mb:.0f} MB", ""),
        ("projects.html raw", f"{page_raw / 1000:.0f} KB", ""),
        ("projects.html gzipped", f"{page_gz / 1000:.0f} KB", "≤ 400 KB"),
        ("+ CSS and JS gzipped", f"{extras / 1000:.1f} KB", ""),
    ]
    if browser:
        rows += [
            ("projects page load (loopback)", f"{browser['load_s'] * 1000:.0f} ms", ""),
            ("keystrokes measured", str(browser["samples"]), ""),
            (
                "key → next frame p50 / p95",
                f"{browser['raf_p50']:.1f} / {browser['raf_p95']:.1f} ms",
                "",
            ),
            (
                "key → frame rendered p50 / p95",
                f"{browser['done_p50']:.1f} / {browser['done_p95']:.1f} ms",
                "p95 ≤ 50 ms",
            ),
            ("key → frame rendered max", f"{browser['done_max']:.1f} ms", ""),
        ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>22}  budget")
    print(f"{'-' * width}  {'-' * 22}  ------")
    for name, value, budget in rows:
        print(f"{name:<{width}}  {value:>22}  {budget}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
