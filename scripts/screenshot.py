"""Screenshots of the dashboard in headless Chromium, for docs/.

Run:  .venv/bin/python scripts/screenshot.py                 (make screenshot)
      .venv/bin/python scripts/screenshot.py --site .demo/public
      .venv/bin/python scripts/screenshot.py --snapshot PATH --page index.html --out PNG

With --site (an already built site, e.g. the demo's: `gldash demo --no-serve` writes
.demo/public) it captures the set of pages docs/screenshots/ shows, light and dark, the
radiator as a wall screen, a phone-width projects page. Without it a snapshot (--snapshot,
or a synthetic factory one) is rendered and one page captured, as before.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from chromium_support import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

from gldash_static import snapshot as snapshot_io  # noqa: E402
from gldash_static.cli.serve import make_server  # noqa: E402
from gldash_static.config.settings import SiteSettings  # noqa: E402
from gldash_static.render import render_site  # noqa: E402


@dataclass(frozen=True)
class Shot:
    """One picture: a page, a colour scheme, a viewport, the part of the page it keeps."""

    name: str
    page: str
    dark: bool = False
    width: int = 1280
    height: int = 900
    full: bool = False  # the whole page, not the first screen


# The pages issues 16 and 17 added or changed, light and dark, and the radiator on a wall.
SHOTS = (
    Shot("failures", "failures.html"),
    Shot("failures-dark", "failures.html", dark=True),
    Shot("jobs", "jobs.html"),
    Shot("jobs-dark", "jobs.html", dark=True),
    Shot("flaky", "flaky.html"),
    Shot("flaky-dark", "flaky.html", dark=True),
    Shot("trends", "trends.html#chart-queue", height=1300),
    Shot("trends-dark", "trends.html#chart-queue", dark=True, height=1300),
    Shot("radiator", "radiator.html", width=1920, height=1080),
    Shot("projects-phone", "projects.html", width=390, height=844),
    # Issue 17: the delivery charts of the Trends page, light and dark, and on a phone.
    Shot("trends-delivery", "trends.html#chart-deploys", height=1300),
    Shot("trends-delivery-dark", "trends.html#chart-deploys", dark=True, height=1300),
    Shot("trends-delivery-phone", "trends.html#chart-deploys", width=390, height=844),
    Shot("environments", "environments.html"),
    Shot("environments-dark", "environments.html", dark=True),
    Shot("deployments", "deployments.html"),
)


def _browser(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def _shoot(browser: Any, base: str, shot: Shot, out: Path) -> None:
    page = browser.new_page(
        viewport={"width": shot.width, "height": shot.height},
        device_scale_factor=1,
        color_scheme="dark" if shot.dark else "light",
    )
    page.goto(base + shot.page)
    page.wait_for_load_state("networkidle")
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=shot.full)
    page.close()


def _serve(site: Path) -> tuple[Any, str]:
    server = make_server(site, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def shoot_site(site: Path, out_dir: Path, project_page: str | None) -> list[Path]:
    """Every SHOT (and a failing project's page) of an already built site, into `out_dir`."""
    from playwright.sync_api import sync_playwright

    shots = list(SHOTS)
    if project_page:
        shots += [
            Shot("project", project_page, full=True),
            Shot("project-dark", project_page, dark=True),
        ]
    server, base = _serve(site)
    written = []
    try:
        with sync_playwright() as playwright:
            browser = _browser(playwright)
            for shot in shots:
                target = out_dir / f"{shot.name}.png"
                _shoot(browser, base, shot, target)
                written.append(target)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return written


def _failing_project_page(site: Path) -> str | None:
    """The page of a project with a red streak and failing tests in the site's snapshot."""
    import gzip
    import json

    data = json.loads(gzip.decompress((site / "snapshot.json.gz").read_bytes()))
    for source in data["sources"][:1]:
        for project in source["projects"]:
            reports = [p["test_report"] for p in project["pipelines"] if p.get("test_report")]
            if project.get("red_streak") and any(r["cases"] for r in reports):
                return f"p/{project['id']}.html"
    return None


def main() -> int:
    """Render or serve, and capture."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=None, help="a built site (e.g. .demo/public)")
    parser.add_argument("--out-dir", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--snapshot", type=Path, default=None)
    parser.add_argument("--page", default="index.html")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshot.png")
    parser.add_argument("--dark", action="store_true", help="use the dark colour scheme")
    args = parser.parse_args()
    if args.site is not None:
        for path in shoot_site(args.site, args.out_dir, _failing_project_page(args.site)):
            print(f"wrote {path}")
        return 0
    if args.snapshot:
        snap = snapshot_io.read(args.snapshot)
    else:
        from factories import make_snapshot

        snap = make_snapshot(projects=48, seed=5)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "public"
        render_site(snap, site, SiteSettings(title="Acme CI dashboard"))
        server, base = _serve(site)
        try:
            with sync_playwright() as playwright:
                browser = _browser(playwright)
                _shoot(browser, base, Shot("one", args.page, dark=args.dark, height=860), args.out)
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
