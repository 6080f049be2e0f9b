"""Issue 15's site budget: the published public/, archive included, after 30 days of hourly builds.

The simulator's organisation evolves for `days` days; the archive gets every build that default
retention keeps at the end (3 days of hourly builds, then one a day). Builds retention would
prune later are left out: adding and pruning give the same files as adding only what is kept
(tests/archive/test_archive_chain.py checks it), and this way a 5,000-project run fetches
~190 times, not 720. The site of the last build is then rendered and measured by part.

Run alone: .venv/bin/python -m bench.site_budget --projects 1000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.bulk import Log

LIMITS = {1000: 30.0, 5000: 100.0}  # MB, from issue 15
MAX_FILES = 20_000


def run_site_budget(
    projects: int,
    days: int,
    log: Log,
    deadline_s: float | None = None,
    keep: Path | None = None,
) -> dict[str, Any]:
    """Fetch, archive and render as `days` days of hourly builds would; measure the site.

    With `deadline_s` the builds stop once it has passed: the site of the last build is
    measured and the rest projected at the median size of the last 20 deltas (the builds
    left are the hourly ones at the end, the newest week). With `keep` the last snapshot and
    the archive stay in that folder, for `--render` to measure again after a page change.
    """
    from bench.child import config_text
    from bench.fetch_run import PIPELINES_PER_PROJECT, top_groups
    from gldash_static.archive import Archive, retention
    from gldash_static.config import ArchiveSettings, RetentionSettings, parse_config
    from gldash_static.fetch import FetchRequest, fetch_snapshot
    from gldash_static.fetch.progress import Quiet
    from gldash_static.simulator import OrgSpec, Simulator

    spec = OrgSpec(projects=projects, seed=1, pipelines_per_project=PIPELINES_PER_PROJECT)
    started = time.perf_counter()
    with Simulator(spec) as sim, tempfile.TemporaryDirectory() as scratch:
        tmp = str(keep) if keep is not None else scratch
        os.environ["GITLAB_TOKEN"] = sim.token
        # The simulator shares this process (and its GIL) with the fetch: a slow answer is
        # the harness's, not GitLab's, so requests may take long rather than fail.
        text = config_text(sim.url, top_groups(sim), 4) + "  timeout_s: 300\n"
        config = parse_config(text, Path(tmp) / "config.yml")
        start = sim.clock.now
        builds = [start + timedelta(hours=h) for h in range(days * 24)]
        kept = sorted(retention.keep(builds, RetentionSettings()))
        now: list[datetime] = [start]
        archive_dir = Path(tmp) / "archive"
        archive = Archive(
            ArchiveSettings(dir=archive_dir, carry_forward="none"),
            clock=lambda: now[0],
        )
        log(f"site budget: {projects:,} projects, {len(builds)} hourly builds, {len(kept)} kept")
        snapshot = _fetched(fetch_snapshot(config, None, FetchRequest(full=True), Quiet()))
        fetch_s = archive_s = 0.0
        done = 0
        for n, moment in enumerate(kept):
            if deadline_s is not None and time.perf_counter() - started > deadline_s:
                log(f"  deadline reached after {n} of {len(kept)} builds")
                break
            done = n + 1
            if moment > sim.clock.now:  # the first build may be the full fetch's own hour
                sim.clock.advance(seconds=(moment - sim.clock.now).total_seconds())
            now[0] = moment
            t0 = time.perf_counter()
            snapshot = _fetched(fetch_snapshot(config, snapshot, FetchRequest(), Quiet()))
            t1 = time.perf_counter()
            archive.add(snapshot)
            fetch_s, archive_s = fetch_s + t1 - t0, archive_s + time.perf_counter() - t1
            if n % 25 == 0:
                # The archive's size so far: a run stopped early can still be projected.
                stored = sum(f.stat().st_size for f in archive_dir.rglob("*") if f.is_file())
                log(
                    f"  build {n + 1}/{len(kept)} ({moment:%Y-%m-%d %H:%M}), "
                    f"archive {stored / 1e6:.1f} MB"
                )
        if keep is not None:
            import shutil

            from gldash_static import snapshot as snapshot_io

            snapshot_io.write(snapshot, keep / "snapshot.json.gz")
            # Fitting the site drops old snapshots: a copy, so that --render starts again
            # from every snapshot retention kept (as rerender does).
            shutil.rmtree(keep / "archive-fitted", ignore_errors=True)
            shutil.copytree(archive_dir, keep / "archive-fitted")
            archive = Archive(
                ArchiveSettings(dir=keep / "archive-fitted", carry_forward="none"),
                clock=lambda: now[0],
            )
        archived_before_fit = len(archive.rows())
        t0 = time.perf_counter()
        result, whole = _render(snapshot, archive, Path(tmp) / "public")
        render_s = time.perf_counter() - t0
        rows = archive.rows()
        recent = sorted(
            (archive_dir / r["path"]).stat().st_size for r in rows[-21:-1] if "base" in r
        )
    limit = LIMITS.get(projects, 100.0)
    parts = _parts(result)
    published = sum(len(s["projects"]) for s in snapshot["sources"])
    projection: dict[str, Any] = {}
    dropped = archived_before_fit - len(rows)
    if done < len(kept) and recent and not dropped:
        hourly = recent[len(recent) // 2]
        projection = {
            "kept": len(kept),
            "median_recent_delta_bytes": hourly,
            "projected_bytes": result.bytes + (len(kept) - done) * hourly,
        }
    return {
        **projection,
        "projects": projects,
        "published_projects": published,
        "days": days,
        "builds": len(builds),
        "archived": len(rows),
        "dropped_to_fit": dropped,
        "bytes_at_default_retention": whole.bytes,
        "parts_at_default_retention": _parts(whole),
        "deltas": sum("base" in r for r in rows),
        "site_bytes": result.bytes,
        "site_files": result.files,
        "limit_mb": limit,
        "max_files": MAX_FILES,
        "within": result.bytes <= limit * 1e6 and result.files <= MAX_FILES,
        "parts": parts,
        "archive_bytes": sum(p.bytes for p in result.parts if p.name == "archive/"),
        "snapshot_bytes": sum(p.bytes for p in result.parts if p.name == "snapshot.json.gz"),
        "archive_add_s_median": archive_s / max(1, len(kept)),
        "fetch_s_total": fetch_s,
        "render_s": render_s,
        "wall_s": time.perf_counter() - started,
    }


def _parts(result: Any) -> list[dict[str, Any]]:
    """The largest parts of a rendered site, as rows keep them."""
    return [{"name": p.name, "bytes": p.bytes, "files": p.files} for p in result.parts[:8]]


def _fetched(outcome: Any) -> Any:
    """The outcome's snapshot; a fetch that failed anywhere would measure the wrong site."""
    snapshot = outcome.snapshot
    stale = sum(bool(p.get("stale")) for s in snapshot["sources"] for p in s["projects"])
    if snapshot["fetch"]["errors"] or stale:
        raise RuntimeError(
            f"fetch failed ({stale} stale projects): {snapshot['fetch']['errors'][:3]}"
        )
    return snapshot


def _render(snapshot: Any, archive: Any, public: Path) -> tuple[Any, Any]:
    """Render as a build does (over site.max_mb the oldest archived snapshots go first), and
    the site with every snapshot default retention kept: what the criterion judges."""
    from dataclasses import replace

    from gldash_static.config.settings import SiteSettings
    from gldash_static.pipeline import render_to_fit, render_with_archive
    from gldash_static.render.budget import limit_bytes

    site = SiteSettings()
    whole = render_with_archive(snapshot, replace(site, max_mb=None), public, archive)
    if site.max_mb is None or whole.bytes <= limit_bytes(site.max_mb):
        return whole, whole  # what render_to_fit would render again
    return render_to_fit(snapshot, site, public, archive), whole


def rerender(kept: Path, row: dict[str, Any]) -> dict[str, Any]:
    """Render a `--keep` folder's snapshot and archive again and measure the site anew."""
    import shutil

    from gldash_static import snapshot as snapshot_io
    from gldash_static.archive import Archive
    from gldash_static.config import ArchiveSettings
    from gldash_static.timeutil import parse_time

    snapshot = snapshot_io.read(kept / "snapshot.json.gz")
    # A copy: fitting the site may drop old snapshots, and --render must stay repeatable.
    shutil.rmtree(kept / "public", ignore_errors=True)
    shutil.rmtree(kept / "archive-fitted", ignore_errors=True)
    shutil.copytree(kept / "archive", kept / "archive-fitted")
    # The archive's "now" is the last build's, as in the run: the simulated month may lie
    # after this machine's clock, and rows after it would count as dated in the future.
    newest = parse_time(snapshot["generated_at"])
    archive = Archive(
        ArchiveSettings(dir=kept / "archive-fitted", carry_forward="none"),
        clock=lambda: newest or datetime.now(UTC),
    )
    # Today's default retention, which may keep less than the run's did.
    pruned = archive.prune().removed
    before = len(archive.rows())
    t0 = time.perf_counter()
    result, whole = _render(snapshot, archive, kept / "public")
    limit = row["limit_mb"]
    fitted = len(archive.rows())
    projection: dict[str, Any] = {}
    if "projected_bytes" in row and fitted == before:
        # The builds the run left out add what they added before; a fitted site stays fitted.
        projection["projected_bytes"] = result.bytes + row["projected_bytes"] - row["site_bytes"]
    base = {k: v for k, v in row.items() if k != "projected_bytes"}
    return {
        **base,
        **projection,
        "archived": fitted,
        "pruned_by_retention_since_the_run": len(pruned),
        "deltas": sum("base" in r for r in archive.rows()),
        "dropped_to_fit": before - fitted,
        "bytes_at_default_retention": whole.bytes,
        "parts_at_default_retention": _parts(whole),
        "site_bytes": result.bytes,
        "site_files": result.files,
        "within": result.bytes <= limit * 1e6 and result.files <= MAX_FILES,
        "parts": _parts(result),
        "archive_bytes": sum(p.bytes for p in result.parts if p.name == "archive/"),
        "snapshot_bytes": sum(p.bytes for p in result.parts if p.name == "snapshot.json.gz"),
        "render_s": time.perf_counter() - t0,
    }


def targets(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Target rows for docs/benchmarks.md."""
    out = []
    for row in rows:
        measured = f"{row['site_bytes'] / 1e6:.1f} MB, {row['site_files']:,} files"
        if row.get("dropped_to_fit"):  # the build dropped old snapshots to fit site.max_mb
            measured = (
                f"{row['bytes_at_default_retention'] / 1e6:.1f} MB with the "
                f"{row['archived'] + row['dropped_to_fit']} snapshots of default retention; "
                f"{measured} once the build dropped the {row['dropped_to_fit']} oldest to fit"
            )
        elif "projected_bytes" in row:  # a run stopped before its last build
            measured = (
                f"{measured} with {row['archived']} of {row['kept']} snapshots archived; "
                f"~{row['projected_bytes'] / 1e6:.0f} MB projected for all"
            )
        out.append(
            {
                "target": f"site at {row['projects']:,} projects, archive after "
                f"{row['days']} days of hourly builds: ≤ {row['limit_mb']:g} MB, "
                f"≤ {row['max_files']:,} files" + (f" ({row['run']})" if row.get("run") else ""),
                "measured": measured,
                "verdict": _verdict(row),
            }
        )
    return out


def _verdict(row: dict[str, Any]) -> str:
    """Met or not; a run stopped before its last build is judged by its projection, a site
    that fits only without some of its archived snapshots by what retention kept."""
    if row.get("dropped_to_fit"):
        return "NOT met at default retention (fits only without archived snapshots)"
    if "projected_bytes" not in row:
        return "met" if row["within"] else "NOT met"
    fits = row["projected_bytes"] <= row["limit_mb"] * 1e6 and row["site_files"] <= MAX_FILES
    return "met (projected)" if fits else "NOT met (projected)"


def table(rows: list[dict[str, Any]]) -> list[str]:
    """The site budget section of docs/benchmarks.md."""
    lines = [
        "| projects (published) | archived (deltas) | site | files | largest parts | limit |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in rows:
        # The parts of the site the criterion judges: with every snapshot retention kept.
        parts = row.get("parts_at_default_retention") or row["parts"]
        largest = ", ".join(f"{p['name']} {p['bytes'] / 1e6:.1f} MB" for p in parts[:4])
        site = f"{row['site_bytes'] / 1e6:.1f} MB"
        if row.get("dropped_to_fit"):
            site = (
                f"{row['bytes_at_default_retention'] / 1e6:.1f} MB; {site} without the "
                f"{row['dropped_to_fit']} oldest snapshots"
            )
        elif "projected_bytes" in row:
            site += f" (~{row['projected_bytes'] / 1e6:.0f} MB projected at {row['kept']})"
        lines.append(
            f"| {row['projects']:,} ({row['published_projects']:,}) | {row['archived']} "
            f"({row['deltas']}) | {site} | {row['site_files']:,} | "
            f"{largest} | {row['limit_mb']:g} MB, {row['max_files']:,} files |"
        )
    return lines


def run_all(sizes: list[int], days: int, log: Log) -> dict[str, Any]:
    """Each size in a process of its own, all at once (each is mostly one core)."""
    import subprocess

    log(f"site budget: {sizes} projects, {days} days of hourly builds, in parallel")
    jobs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.site_budget", "--projects", str(n), "--days", str(days)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        for n in sizes
    ]
    rows = []
    for job in jobs:
        out, _ = job.communicate()
        if job.returncode != 0:
            raise RuntimeError("site budget run failed")
        rows.append(json.loads(out))
    return {"rows": rows}


def main() -> int:
    """Run one size and print its row as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--deadline-min", type=float, default=None, help="stop building after this; project"
    )
    parser.add_argument("--keep", type=Path, help="keep the snapshot and archive in this folder")
    parser.add_argument(
        "--render", type=Path, help="measure a --keep folder again: its row.json, re-rendered"
    )
    args = parser.parse_args()
    if args.render is not None:
        row = rerender(args.render, json.loads((args.render / "row.json").read_text()))
        print(json.dumps(row, indent=1))
        return 0
    deadline = None if args.deadline_min is None else args.deadline_min * 60
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
    row = run_site_budget(
        args.projects, args.days, lambda m: print(m, file=sys.stderr), deadline, args.keep
    )
    if args.keep is not None:
        (args.keep / "row.json").write_text(json.dumps(row, indent=1))
    print(json.dumps(row, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
