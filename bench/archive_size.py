"""Archive size after two years of scheduled builds at default retention, vs GitLab Pages limits.

Run: .venv/bin/python bench/archive_size.py [--projects 1000] [--builds-per-day 4]

Writing hundreds of 1,000-project snapshots is slow, so the size of one archived snapshot is
measured on a few real ones (the factory's, gzipped exactly as the archive stores them) and
multiplied by the number retention keeps; history.json is measured over a sample of days
and extrapolated, since it grows by one row per day.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from factories import make_snapshot

from gldash_static import snapshot as snapshot_io
from gldash_static.archive import history, retention
from gldash_static.archive.store import encode_index, encode_snapshot, row_for
from gldash_static.config import RetentionSettings

PAGES_BYTES = 100 * 1000 * 1000  # self-managed default, 100 MB
PAGES_FILES = 200_000
START = datetime(2026, 1, 1, tzinfo=UTC)


def main() -> None:
    """Print the estimate as a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--builds-per-day", type=int, default=4)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--weekly-days", type=int, default=RetentionSettings().weekly_days)
    parser.add_argument("--samples", type=int, default=3, help="snapshots measured")
    parser.add_argument("--history-days", type=int, default=21, help="days of history measured")
    args = parser.parse_args()
    started = time.perf_counter()

    step = timedelta(hours=24 / args.builds_per_day)
    times = [START + n * step for n in range(args.days * args.builds_per_day)]
    settings = RetentionSettings(weekly_days=args.weekly_days)
    kept = sorted(retention.keep(times, settings))

    sizes, rows = [], []
    for n in range(args.samples):
        snap = make_snapshot(projects=args.projects, seed=n + 1, now=kept[-1 - n])
        data = encode_snapshot(snap)
        sizes.append(len(data))
        rows.append(row_for(snap, len(data)))
    per_snapshot = statistics.mean(sizes)
    raw_json = len(snapshot_io.dumps(snap))

    hist = history.History()
    sample_days = min(args.history_days, args.days)
    for day in range(sample_days):
        moment = START + timedelta(days=day, hours=18)
        hist = history.update(hist, make_snapshot(projects=args.projects, seed=day, now=moment))
    with_projects = len(history.encode(hist)) / sample_days
    for day in hist.days:
        day.projects = {}
    without = len(history.encode(hist)) / sample_days
    # Per-project rows are kept for daily_days only; group and total rows for every day.
    project_days = min(RetentionSettings().daily_days, args.days)
    history_bytes = with_projects * project_days + without * (args.days - project_days)

    index_bytes = len(encode_index([rows[0]] * len(kept))) + 40 * len(kept)
    snapshots_bytes = per_snapshot * len(kept)
    # render precompresses .json files: index.json.gz and history.json.gz sit beside them.
    gz_extra = len(gzip.compress(encode_index([rows[0]] * len(kept)))) + history_bytes / 8
    total = snapshots_bytes + index_bytes + history_bytes + gz_extra
    files = len(kept) + 4

    print(f"{args.projects:,} projects, {args.builds_per_day} builds a day for {args.days} days")
    print(f"{'':<34}{'value':>16}")
    print(f"{'builds':<34}{len(times):>16,}")
    print(f"{'retention':<34}{'7/90/' + str(args.weekly_days) + ' days, monthly':>16}")
    print(f"{'snapshots kept':<34}{len(kept):>16,}")
    print(f"{'one snapshot, JSON':<34}{raw_json:>16,} bytes")
    print(f"{'one snapshot, archived .json.gz':<34}{per_snapshot:>16,.0f} bytes")
    print(f"{'snapshots total':<34}{snapshots_bytes / 1e6:>16,.1f} MB")
    print(f"{'index.json':<34}{index_bytes / 1e6:>16,.2f} MB")
    print(f"{'history.json (extrapolated)':<34}{history_bytes / 1e6:>16,.2f} MB")
    print(f"{'archive total (with .gz copies)':<34}{total / 1e6:>16,.1f} MB")
    print(f"{'  of the 100 MB Pages limit':<34}{total / PAGES_BYTES * 100:>15,.0f} %")
    print(f"{'archive files':<34}{files:>16,}")
    print(f"{'  of the 200,000-file limit':<34}{files / PAGES_FILES * 100:>15,.2f} %")
    print(f"(measured in {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
