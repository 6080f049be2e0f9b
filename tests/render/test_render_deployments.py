"""Environments matrix, deployments feed and a project page's Deployments section."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from factories import GENERATED_AT, deployment, environment, make_snapshot
from render_html import parse
from render_support import EVIL_URL, XSS

from gldash_static.config.settings import SiteSettings
from gldash_static.model import Snapshot
from gldash_static.render import render_site, views
from gldash_static.render.deployments import matrix
from gldash_static.rules.limits import DEPLOYMENTS_FEED, PROJECT_DEPLOYMENTS, PROJECT_ENVIRONMENTS

NOW = GENERATED_AT


def _site(snap: Snapshot, days: int = 30) -> views.SiteView:
    return views.build(snap, env_days=days)


def test_matrix_rows_columns_and_flags() -> None:
    site = _site(make_snapshot(projects=12, seed=1, environments=True))
    m = site.environments
    assert m is not None
    # Only the tiers that occur, in GitLab's order; only projects with environments.
    assert m.tiers == ("production", "staging", "development")
    assert sorted(r.project.id for r in m.rows) == [100, 102, 104, 106, 108, 110]
    paths = [r.project.path for r in m.rows]
    assert paths == sorted(paths)
    assert m.stopped == 1  # review/gone of project 106, never in a cell
    rows = {r.project.id: r for r in m.rows}
    prod, stage, dev = rows[100].cells
    assert prod and stage and dev
    assert prod.behind and prod.env.stale and not prod.env.failed
    assert not stage.behind and stage.env.success and stage.env.success.sha == "bbbb2222"
    assert dev.env.name == "review/feature-x" and dev.more == 0
    assert rows[100].flagged
    failed = rows[102].cells[0]
    assert failed and failed.env.failed and not failed.behind
    assert failed.env.attempt and failed.env.attempt.label == "failed"
    assert failed.env.success and failed.env.success.sha == "aaaa1111"
    assert not rows[104].flagged and rows[104].cells[2]
    assert rows[106].cells[2] is None  # its only development environment is stopped


def test_newest_environment_of_a_tier_shows_with_plus_n() -> None:
    snap = make_snapshot(projects=1, seed=1)
    project = snap["sources"][0]["projects"][0]
    envs = [
        environment(
            n,
            f"review/{n}",
            "development",
            deployment(n, f"review/{n}", "success", NOW - timedelta(hours=n), sha=f"{n:08d}"),
        )
        for n in (5, 2, 9)
    ]
    project["environments"], project["deployments"] = envs, []
    site = _site(snap)
    assert site.environments is not None
    (row,) = site.environments.rows
    (cell,) = row.cells
    assert cell and cell.env.name == "review/2" and cell.more == 2
    assert cell.env.success and cell.env.success.sha == "00000002"


def test_stale_days_come_from_the_setting() -> None:
    snap = make_snapshot(projects=12, seed=1, environments=True)
    m = _site(snap, days=3650).environments
    assert m is not None
    assert not any(c.env.stale for r in m.rows for c in r.cells if c)
    assert SiteSettings().stale_environment_days == 30


def test_no_environments_no_rows() -> None:
    m = matrix([], NOW, 30)
    assert m.tiers == () and m.rows == () and m.stopped == 0
    site = _site(make_snapshot(projects=3, seed=1))
    assert site.environments is not None and site.environments.rows == ()
    assert site.deployments == []


def test_feed_is_newest_first_and_capped() -> None:
    snap = make_snapshot(projects=12, seed=1, environments=True)
    site = _site(snap)
    times = [d.created for _, d in site.deployments]
    assert times == sorted(times, reverse=True)  # type: ignore[type-var]
    assert len(site.deployments) == sum(len(p.deployments) for p in site.projects)
    project = snap["sources"][0]["projects"][0]
    project["deployments"] = [
        deployment(10_000 + n, "production", "success", NOW - timedelta(minutes=n))
        for n in range(DEPLOYMENTS_FEED + 5)
    ]
    assert len(_site(snap).deployments) == DEPLOYMENTS_FEED


def test_environments_page(site_dir: Path) -> None:
    raw = (site_dir / "environments.html").read_text(encoding="utf-8")
    page = parse(raw)
    table = page.by_id("envs")
    assert table is not None
    rows = [a for a in page.find("tr") if "data-g" in a]
    assert len(rows) == 6
    assert sum(1 for a in rows if a.get("data-flag") == "1") == 4
    assert "p/100.html#deployments-h" in page.links()
    assert "deployments.html" in page.links()
    text = page.all_text
    assert "behind staging" in text and "not deployed" in text and "failed" in text
    assert "Stopped environments are left out (1 in the snapshot)" in " ".join(text.split())
    assert "review/gone" not in text
    form = page.by_id("env-filters")
    assert form is not None and form.get("data-rows") == "envs"
    assert "style=" not in raw
    nav = [a.get("href") for a in page.find("a")]
    assert "environments.html" in nav


def test_deployments_page(site_dir: Path) -> None:
    page = parse((site_dir / "deployments.html").read_text(encoding="utf-8"))
    rows = [a for a in page.find("tr") if "data-t" in a]
    assert rows and {a["data-t"] for a in rows} == {"production", "staging", "development"}
    assert {a["data-s"] for a in rows} >= {"passed", "failed"}
    assert page.by_id("dep-filters") is not None
    assert "environments.html" in page.links()


def test_project_page_section(site_dir: Path) -> None:
    with_envs = parse((site_dir / "p" / "100.html").read_text(encoding="utf-8"))
    assert with_envs.by_id("deployments-h") is not None
    assert "https://100.example.com" in with_envs.links()
    text = with_envs.all_text
    assert "review/feature-x" in text and "Release bbbb2222" in text
    assert "https://gitlab.example.com/acme/platform/service-00000/-/jobs/100020" in (
        with_envs.links()
    )
    without = parse((site_dir / "p" / "101.html").read_text(encoding="utf-8"))
    assert without.by_id("deployments-h") is None
    assert "Deployments" not in without.all_text


def test_project_page_caps_rows_and_says_withheld(tmp_path: Path) -> None:
    snap = make_snapshot(projects=3, seed=1, environments=True)
    first, second, third = snap["sources"][0]["projects"]
    first["deployments"] = [
        deployment(10_000 - n, "production", "success", NOW - timedelta(hours=n))
        for n in range(max(PROJECT_DEPLOYMENTS, PROJECT_ENVIRONMENTS) + 4)
    ]
    first["environments"] = [
        environment(n, f"review/{n}", "development", first["deployments"][n])
        for n in range(PROJECT_ENVIRONMENTS + 2)
    ]
    second["withheld"] = ["environments"]
    third["environments"], third["unavailable"] = None, ["environments"]
    render_site(snap, tmp_path / "out", SiteSettings())
    page = (tmp_path / "out" / "p" / "100.html").read_text(encoding="utf-8")
    section = page.split('id="deployments-h"')[1].split("</section>")[0]
    assert section.count("<tr>") == PROJECT_DEPLOYMENTS + 1  # with the header row
    kept = len(first["deployments"])
    assert f"The latest {PROJECT_DEPLOYMENTS} of {kept}" in section
    assert section.count("<li>") == PROJECT_ENVIRONMENTS
    assert "2 more environments deployed less recently" in section
    assert "review/0<" in section and f"review/{PROJECT_ENVIRONMENTS}<" not in section
    assert "restricted to members" in (tmp_path / "out" / "p" / "101.html").read_text()
    assert "not readable with this token" in (tmp_path / "out" / "p" / "102.html").read_text()


def test_hostile_environment_stays_text(hostile_dir: Path) -> None:
    for name in ("environments.html", "deployments.html", "p/100.html"):
        raw = (hostile_dir / name).read_text(encoding="utf-8")
        page = parse(raw)
        assert EVIL_URL not in page.links(), name
        assert not [u for u in page.links() if u.lower().startswith("javascript:")], name
        assert "<script>window.__pwned" not in raw, name
        assert XSS[:8] in page.all_text, name
