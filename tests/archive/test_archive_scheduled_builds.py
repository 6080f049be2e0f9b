"""120 days of scheduled builds: retention, one history row per day, trend pages with figures."""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from archive_builds import build_snapshot, build_times
from freezegun import freeze_time
from html_tables import Page

from gldash_static.archive import Archive
from gldash_static.archive.facts import COUNTED_STATUSES
from gldash_static.archive.pages import CHARTS
from gldash_static.config import ArchiveSettings, SiteSettings
from gldash_static.model import Snapshot
from gldash_static.render import render_site

DAYS = 120
# Every build of the last 8 days (four a day); before that, two a day are enough for retention
# to have a build to drop and one to keep per day, at half the cost of the 120-day fixture.
FULL_DAYS = 8


def _schedule() -> list[datetime]:
    times = build_times(DAYS)
    thinned_until = times[-1] - timedelta(days=FULL_DAYS)
    return [t for t in times if t >= thinned_until or t.hour in (12, 18)]


Filled = Callable[[Archive, int], Iterator[Snapshot]]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Archive, list[Snapshot], Path]:
    """One archive after 120 days of scheduled builds, and the site of the last build."""
    real_fsync = os.fsync
    os.fsync = lambda fd: None  # module-scoped fixture: the autouse one is per test
    try:
        root = tmp_path_factory.mktemp("sched")
        archive = Archive(ArchiveSettings(dir=root / "archive", carry_forward="none"))
        snapshots = []
        # The wall clock is far away on purpose: nothing in the archive may depend on it.
        with freeze_time("2031-06-01 12:00:00"):
            for moment in _schedule():
                snapshot = build_snapshot(moment)
                archive.add(snapshot)
                snapshots.append(snapshot)
            last = snapshots[-1]
            render_site(
                last,
                root / "public",
                SiteSettings(title="Acme"),
                extra_pages=archive.pages(last),
                extra_files=archive.files(last),
            )
    finally:
        os.fsync = real_fsync
    return archive, snapshots, root


def _time(s: Snapshot) -> datetime:
    return datetime.fromisoformat(s["generated_at"])


def _finished_on(s: Snapshot, day: str) -> list[tuple[str, float | None]]:
    out = []
    for source in s["sources"]:
        for p in source["projects"]:
            for pl in p["pipelines"]:
                if pl["status"] in COUNTED_STATUSES and (pl["finished_at"] or "")[:10] == day:
                    out.append((pl["status"], pl["duration"]))
    return out


def _failing(s: Snapshot) -> int:
    count = 0
    for p in s["sources"][0]["projects"]:
        head = [
            pl
            for pl in p["pipelines"]
            if pl["ref"] == p["default_branch"] and pl["status"] in ("success", "failed")
        ]
        count += bool(head) and head[0]["status"] == "failed"
    return count


def expected_day(snapshots: list[Snapshot], day: str) -> dict[str, object]:
    """A day's figures computed straight from the snapshots: the fullest view of the day."""
    date = datetime.fromisoformat(day).date()
    seen = [s for s in snapshots if _time(s).date() in (date, date + timedelta(days=1))]
    best = max(seen, key=lambda s: (len(_finished_on(s, day)), _time(s)))
    runs = _finished_on(best, day)
    durations = sorted(d for _, d in runs if d is not None)
    ok = sum(st == "success" for st, _ in runs)
    bad = sum(st == "failed" for st, _ in runs)
    last_of_day = [s for s in snapshots if _time(s).date() == date][-1]
    return {
        "pipelines": len(runs),
        "rate": None if ok + bad == 0 else ok / (ok + bad),
        "p50": None if not durations else durations[max(1, -(-len(durations) // 2)) - 1],
        "failing": _failing(last_of_day),
    }


def test_retention_kept_exactly_the_expected_set(run: tuple[Archive, list[Snapshot], Path]) -> None:
    archive, _, _ = run
    rows = archive.rows()
    assert len(rows) == 98
    kept = {r["time"] for r in rows}
    last = datetime(2026, 11, 30, 18, 15, tzinfo=UTC)
    assert "2026-11-29T12:15:00Z" not in kept and "2026-11-29T18:15:00Z" in kept
    for hour in (0, 6, 12, 18):  # the last day: every build
        assert last.replace(hour=hour).strftime("%Y-%m-%dT%H:%M:%SZ") in kept
    assert "2026-09-02T18:15:00Z" in kept and "2026-09-02T12:15:00Z" not in kept  # daily
    assert "2026-09-01T18:15:00Z" not in kept  # 90 days and more: weekly or monthly only
    assert "2026-08-31T18:15:00Z" in kept  # end of August
    assert "2026-08-30T18:15:00Z" in kept  # a Sunday: end of an ISO week
    # The folder holds exactly what the index lists, and each file is the snapshot it names.
    assert archive.store.dated_files() == sorted(r["path"] for r in rows)
    assert rows[-1]["path"] == "2026/11/30/181500Z.json.gz"


def test_history_has_one_row_per_day_with_the_expected_figures(
    run: tuple[Archive, list[Snapshot], Path],
) -> None:
    archive, snapshots, _ = run
    days = archive.history().days
    first = datetime(2026, 8, 3)
    assert [d.date for d in days] == [
        (first + timedelta(days=n)).strftime("%Y-%m-%d") for n in range(DAYS)
    ]
    for day in days:
        want = expected_day(snapshots, day.date)
        pipelines, success, failed, p50, _p95, failing = day.total[:6]
        assert pipelines == want["pipelines"], day.date
        assert (None if success + failed == 0 else success / (success + failed)) == want["rate"]
        assert p50 == (None if want["p50"] is None else round(float(want["p50"]), 1))  # type: ignore[arg-type]
        assert failing == want["failing"], day.date
        # Each group keeps its own fullest view of the day, so groups need not add up, but
        # none exceeds the total and the top group, holding every project, equals it.
        assert all(row[0] <= pipelines for row in day.groups.values())
        assert day.groups["acme"][:3] == day.total[:3]


def test_trend_page_shows_the_history_figures(run: tuple[Archive, list[Snapshot], Path]) -> None:
    archive, snapshots, root = run
    public = root / "public"
    page = Page((public / "trends.html").read_text(encoding="utf-8"))
    # One page for the organisation, one per group (trends/<group id>.html), linked both ways
    groups = [Page(p.read_text(encoding="utf-8")) for p in sorted(public.glob("trends/*.html"))]
    assert set(page.rows) == {""}
    assert {k for g in groups for k in g.rows} == {
        "acme",
        "acme/payments",
        "acme/platform",
        "acme/web",
    }
    assert {f"trends/{p.name}" for p in public.glob("trends/*.html")} <= set(page.hrefs)
    assert all("../trends.html" in g.hrefs for g in groups)
    # The latest 14 days in one table, the days before them in a folded one: each day once.
    html = (public / "trends.html").read_text(encoding="utf-8")
    assert "The 106 days before</summary>" in html
    dates = re.findall(r'<th scope="row">(\d{4}-\d\d-\d\d)</th>', html)
    assert len(dates) == len(set(dates)) == DAYS
    # A group's page has the latest 14 and points to history.json.gz for the days before.
    for path in public.glob("trends/*.html"):
        group = path.read_text(encoding="utf-8")
        assert len(re.findall(r'<th scope="row">', group)) == 14
        assert 'href="../archive/history.json.gz"' in group and "all-days" not in group
    assert (public / "archive/history.json.gz").is_file()
    table = page.rows[""]
    assert [r[0] for r in table] == [
        (datetime(2026, 11, 30) - timedelta(days=n)).strftime("%Y-%m-%d") for n in range(14)
    ]
    for date, _, pipelines, rate, _p50, _p95, failing, *_rest in table:
        want = expected_day(snapshots, date)
        assert int(pipelines) == want["pipelines"]
        assert rate == ("–" if want["rate"] is None else f"{want['rate'] * 100:.0f}%")  # type: ignore[operator]
        assert int(failing) == want["failing"]
    total = sum(d.total[0] for d in archive.history().days)
    assert page.facts[""]["total"] == f"{total:,}"
    assert page.svgs >= len(CHARTS) and all(g.svgs >= len(CHARTS) for g in groups)
    for path in [public / "trends.html", *public.glob("trends/*.html")]:
        assert "style=" not in path.read_text(encoding="utf-8")  # CSP: no inline styles


def test_archive_page_and_folder_are_published(run: tuple[Archive, list[Snapshot], Path]) -> None:
    _, _, root = run
    public = root / "public"
    page = Page((public / "archive.html").read_text(encoding="utf-8"))
    downloads = [h for h in page.hrefs if h.endswith(".json.gz") and "history" not in h]
    # Newest first: the newest is the site's own snapshot.json.gz, each older one a delta.
    assert downloads[0] == "snapshot.json.gz" and len(downloads) == 99  # + the footer's link
    assert all(".delta-" in h for h in downloads[1:-1]) and downloads[-1] == "snapshot.json.gz"
    assert all((public / h).is_file() for h in downloads)
    index = json.loads((public / "archive" / "index.json").read_text())
    assert len(index["snapshots"]) == 98
    # history.json grows with every project's daily figures: published gzipped only.
    assert "archive/history.json.gz" in page.hrefs
    published = gzip.decompress((public / "archive" / "history.json.gz").read_bytes())
    assert published == (root / "archive" / "history.json").read_bytes()
    assert not (public / "archive" / "history.json").exists()
    nav = Page((public / "index.html").read_text(encoding="utf-8")).hrefs
    assert {"archive.html", "trends.html", "changes.html"} <= set(nav)


def test_changes_page_compares_with_the_previous_build(
    run: tuple[Archive, list[Snapshot], Path],
) -> None:
    _, _, root = run
    html = (root / "public" / "changes.html").read_text(encoding="utf-8")
    page = Page(html)
    assert {"newly-failing", "fixed", "new-stale", "closed-mrs"} <= page.ids
    assert 'datetime="2026-11-30T12:15:00Z"' in html
    assert any(h.startswith("archive/2026/11/30/121500Z.") for h in page.hrefs)
