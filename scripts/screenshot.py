"""Make docs/screenshot.png: the overview of a rendered dashboard, in headless Chromium.

Run:  .venv/bin/python scripts/screenshot.py [--snapshot PATH] [--page index.html] [--out PNG]

Without --snapshot it renders a synthetic factory snapshot; pass the demo's snapshot to
picture the simulator's organisation instead.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from chromium_support import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

from gldash_static import snapshot as snapshot_io  # noqa: E402
from gldash_static.cli.serve import make_server  # noqa: E402
from gldash_static.config.settings import SiteSettings  # noqa: E402
from gldash_static.render import render_site  # noqa: E402


def main() -> int:
    """Render, serve on loopback, and capture one page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, default=None)
    parser.add_argument("--page", default="index.html")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshot.png")
    parser.add_argument("--dark", action="store_true", help="use the dark colour scheme")
    args = parser.parse_args()
    if args.snapshot:
        snap = snapshot_io.read(args.snapshot)
    else:
        from factories import make_snapshot

        snap = make_snapshot(projects=48, seed=5)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "public"
        render_site(snap, site, SiteSettings(title="Acme CI dashboard"))
        server = make_server(site, 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                page = browser.new_page(
                    viewport={"width": 1280, "height": 860},
                    device_scale_factor=1,
                    color_scheme="dark" if args.dark else "light",
                )
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/{args.page}")
                page.wait_for_load_state("networkidle")
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out))
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
