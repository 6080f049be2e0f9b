"""`gldash demo`: a realistic dashboard from the built-in GitLab simulator, no token needed."""

from __future__ import annotations

import argparse
import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from gldash_static.cli.serve import make_server, serve_until_interrupted
from gldash_static.config import load_config
from gldash_static.errors import EXIT_OK, UsageError
from gldash_static.fetch.progress import Progress
from gldash_static.pipeline import BuildOptions, build

if TYPE_CHECKING:
    from gldash_static.simulator import Simulator

NAME = "demo"
HELP = "build a dashboard of a simulated GitLab organisation and serve it on 127.0.0.1"
TOKEN_ENV = "GLDASH_DEMO_TOKEN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's options."""
    parser.add_argument("--projects", type=int, default=600, help="size of the organisation")
    parser.add_argument("--seed", type=int, default=1, help="seed of the simulated organisation")
    parser.add_argument(
        "--days", type=int, default=4, help="days of scheduled builds to simulate (history)"
    )
    parser.add_argument("--dir", type=Path, default=Path(".demo"), help="work folder")
    parser.add_argument("--port", type=int, default=8000, help="port to serve on (0: any free)")
    parser.add_argument("--no-serve", action="store_true", help="build only, do not serve")


HEADER = "# Written by `gldash demo` for the built-in GitLab simulator."


def _config_text(sim: Simulator) -> str:
    groups = sorted(g.full_path for g in sim.state.groups.values() if g.parent_id is None)
    return (
        f"{HEADER}\n"
        f"sources:\n  - url: {sim.url}\n    name: Simulated GitLab\n"
        f"    token_env: {TOKEN_ENV}\n    groups: {json.dumps(groups)}\n"
        # Everything here is simulated, so the demo shows private projects too; a real
        # dashboard publishes only public and internal ones unless its config opts in.
        "    visibility: [public, internal, private]\n"
        "site:\n  title: Demo organisation\n  output_dir: public\n"
        "snapshot: snapshot.json\n"
        "archive:\n  dir: archive\n  carry_forward: none\n"
    )


def _check_work(work: Path) -> None:
    """Refuse a work folder that is not new, empty or an earlier demo's: the demo empties it."""
    if not work.exists() or (work.is_dir() and not any(work.iterdir())):
        return
    try:
        with (work / "config.yml").open(encoding="utf-8", errors="replace") as handle:
            first = handle.readline(200).rstrip("\n")
    except OSError:
        first = ""
    if first != HEADER:
        raise UsageError(
            f"refusing to use {work} for the demo: it is not a folder `gldash demo` made "
            "(its config.yml, public/ and archive/ would be replaced); choose a new or empty one"
        )


def run(args: argparse.Namespace) -> int:
    """Simulate a few days of scheduled builds, then serve the result."""
    # The simulator (and graphql-core with it) loads only for the demo, not on every start.
    from gldash_static.simulator import OrgSpec, Simulator

    work: Path = args.dir
    _check_work(work)
    work.mkdir(parents=True, exist_ok=True)
    for leftover in ("public", "archive", "snapshot.json"):
        target = work / leftover
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    now = datetime.now(UTC).replace(microsecond=0)
    progress = Progress()
    spec = OrgSpec(projects=args.projects, seed=args.seed, now=now - timedelta(days=args.days))
    with Simulator(spec) as sim:
        os.environ[TOKEN_ENV] = sim.token
        (work / "config.yml").write_text(_config_text(sim), encoding="utf-8")
        config = load_config(work / "config.yml")
        for day in range(args.days + 1):
            if day:
                sim.clock.advance(days=1)
            result = build(config, BuildOptions(), progress)
            progress.line(f"day {day}: {result.summary}")
    site = config.site.output_dir
    progress.line(f"site written to {site} ({result.render.pages} pages)")
    if args.no_serve:
        return EXIT_OK
    server = make_server(site, args.port)
    port = server.server_address[1]
    progress.line(f"serving the demo dashboard at http://127.0.0.1:{port}/  (Ctrl-C to stop)")
    serve_until_interrupted(server)
    return EXIT_OK
