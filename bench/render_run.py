"""Render N synthetic projects in a process of its own: wall time, peak RSS, output size.

Run: .venv/bin/python -m bench.render_run PROJECTS OUT_DIR  (prints one JSON line)
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.child import cpu_s, peak_rss_mb
from bench.render_budget import make_snapshot  # the render engineer's factory import
from gldash_static.config.settings import SiteSettings
from gldash_static.render import render_site


def site_sizes(out: Path) -> dict[str, int]:
    """Bytes on disk: the site's files raw, as served gzipped, and the .gz siblings too."""
    raw = served = on_disk = files = 0
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        size = path.stat().st_size
        on_disk += size
        if path.suffix == ".gz" and path.with_suffix("").is_file():
            continue  # a precompressed sibling, counted with its original
        files += 1
        raw += size
        gz = path.with_name(path.name + ".gz")
        served += gz.stat().st_size if gz.is_file() else size
    return {"files": files, "raw": raw, "served_gz": served, "on_disk": on_disk}


def render(projects: int, out: Path) -> dict[str, Any]:
    """Render a synthetic snapshot of `projects` projects into `out` and measure it."""
    snapshot = make_snapshot(projects=projects, seed=1)
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    result = render_site(snapshot, out, SiteSettings())
    wall = time.perf_counter() - started
    page = out / "projects.html"
    return {
        "projects": projects,
        "wall_s": wall,
        "cpu_s": cpu_s(),
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_render_mb": rss_before,
        "pages": result.pages,
        "sizes": site_sizes(out),
        "projects_page": {
            "raw": page.stat().st_size,
            "gz": len(gzip.compress(page.read_bytes(), 9))
            if not page.with_name("projects.html.gz").is_file()
            else page.with_name("projects.html.gz").stat().st_size,
        },
    }


def main() -> None:
    """Render and print the measurements as JSON."""
    print(json.dumps(render(int(sys.argv[1]), Path(sys.argv[2]))))


if __name__ == "__main__":
    main()
