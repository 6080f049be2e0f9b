"""`gldash simulate`: run the GitLab simulator standalone until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from gldash_static.errors import UsageError

NAME = "simulate"
HELP = "serve a seeded, simulated GitLab API on 127.0.0.1 (for demos, tests and benchmarks)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the simulator's flags."""
    parser.add_argument("--projects", type=int, default=200, help="projects to generate")
    parser.add_argument("--seed", type=int, default=1, help="seed: same seed, same organisation")
    parser.add_argument("--pipelines", type=int, default=20, help="pipelines per project (mean)")
    parser.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (0 = any free)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added per request")
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="random +/- latency")
    parser.add_argument(
        "--error-rate", type=float, default=0.0, help="share of requests answered 500/502/503"
    )
    parser.add_argument(
        "--rate-limit", type=int, default=0, help="requests per minute per token (0 = none)"
    )
    parser.add_argument(
        "--advance-every",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="advance the simulated clock by --advance-hours every SECONDS of real time",
    )
    parser.add_argument("--advance-hours", type=float, default=1.0, help="see --advance-every")


def run(args: argparse.Namespace) -> int:
    """Start the simulator, print its URL and admin token, and serve until interrupted."""
    from gldash_static.simulator import Faults, OrgSpec, Simulator

    if not 1 <= args.projects <= 200_000:
        raise UsageError("--projects must be between 1 and 200000")
    if not 0 <= args.error_rate <= 1:
        raise UsageError("--error-rate must be between 0 and 1")
    if not 0 <= args.port <= 65535:
        raise UsageError("--port must be between 0 and 65535")
    if args.rate_limit < 0 or args.pipelines < 0 or args.latency_ms < 0:
        raise UsageError("--rate-limit, --pipelines and --latency-ms must not be negative")
    spec = OrgSpec(projects=args.projects, seed=args.seed, pipelines_per_project=args.pipelines)
    faults = Faults(error_rate=args.error_rate, jitter_ms=args.jitter_ms, seed=args.seed)
    sim = Simulator(
        spec,
        latency_ms=args.latency_ms,
        rate_limit_per_minute=args.rate_limit or None,
        faults=faults,
        port=args.port,
    )
    try:
        sim.start()
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    print(f"GitLab simulator: {sim.url}  (API: {sim.url}/api/v4)", flush=True)
    print(f"admin token:      {sim.token}", flush=True)
    print(f"counters:         {sim.url}/-/simulator/counters", flush=True)
    print("press Ctrl-C to stop", flush=True)
    stop = threading.Event()
    try:
        while not stop.wait(args.advance_every or 3600):
            if args.advance_every:
                sim.clock.advance(hours=args.advance_hours)
    except KeyboardInterrupt:
        print("stopped")
    finally:
        sim.stop()
    return 0
