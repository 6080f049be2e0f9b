"""The projects page in headless Chromium: bytes transferred, first contentful paint, filter.

The page is served over loopback by `gldash serve`'s server, which sends the precompressed .gz
siblings as GitLab Pages does. A cold load in a fresh browser gives the bytes transferred
(Resource Timing transferSize of the page and everything it loads, headers included) and the
first contentful paint; the keystroke latencies come from the render engineer's
`bench.render_budget.measure_filter`, reused as it is.
"""

from __future__ import annotations

import statistics
import threading
from pathlib import Path
from typing import Any

from bench.render_budget import CHROMIUM, CHROMIUM_ARGS, measure_filter
from gldash_static.cli.serve import make_server

LOADS = 3  # cold loads; medians reported

PAINT = """
() => new Promise((resolve) => {
  const found = () => performance.getEntriesByName("first-contentful-paint")[0];
  const done = () => {
    const nav = performance.getEntriesByType("navigation")[0];
    const res = performance.getEntriesByType("resource");
    resolve({
      fcp: found().startTime,
      transfer: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
      encoded: nav.encodedBodySize + res.reduce((s, r) => s + r.encodedBodySize, 0),
      decoded: nav.decodedBodySize + res.reduce((s, r) => s + r.decodedBodySize, 0),
      dcl: nav.domContentLoadedEventEnd,
      load: nav.loadEventEnd,
      requests: 1 + res.length,
    });
  };
  if (found()) return done();
  new PerformanceObserver(() => found() && done()).observe({type: "paint", buffered: true});
})
"""


def cold_load(url: str) -> dict[str, Any]:
    """Load `url` once in a fresh browser and read its paint and resource timings."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(300_000)  # a slow page is a measurement, not a crash
        encodings: list[str] = []
        page.on(
            "response",
            lambda r: encodings.append(
                f"{r.url.rsplit('/', 1)[-1]}: {r.headers.get('content-encoding', 'identity')}"
            ),
        )
        page.goto(url, wait_until="load")
        timings: dict[str, Any] = page.evaluate(PAINT)
        timings["encodings"] = encodings
        browser.close()
    return timings


def measure(site: Path) -> dict[str, Any]:
    """Cold loads (medians of LOADS) and the filter latencies of projects.html."""
    server = make_server(site, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/projects.html"
    try:
        loads = [cold_load(url) for _ in range(LOADS)]
    finally:
        server.shutdown()
        server.server_close()
    result: dict[str, Any] = {
        key: statistics.median(float(load[key]) for load in loads)
        for key in ("fcp", "transfer", "encoded", "decoded", "dcl", "load", "requests")
    }
    result["loads"] = loads
    result["filter"] = measure_filter(site)
    return result
