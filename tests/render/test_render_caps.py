"""What the short lists of group and project pages keep, and where they point for the rest."""

from __future__ import annotations

from pathlib import Path

from factories import make_snapshot
from render_html import parse

from gldash_static.config.settings import SiteSettings
from gldash_static.render import render_site, views
from gldash_static.rules import limits


def test_a_group_page_lists_its_first_projects_failing_first_and_links_to_all(
    tmp_path: Path,
) -> None:
    snapshot = make_snapshot(projects=230, seed=2)
    render_site(snapshot, tmp_path, SiteSettings())
    site = views.build(snapshot)
    group = max(site.groups, key=lambda g: len(g.projects))
    assert len(group.projects) > limits.GROUP_LIST_LIMIT
    page = (tmp_path / group.page).read_text(encoding="utf-8")
    rows = parse(page).find("tr")[1:]  # the header row first
    assert len(rows) == limits.GROUP_LIST_LIMIT
    failing = [r.get("data-f") == "1" for r in rows]
    assert failing == sorted(failing, reverse=True) and any(failing)
    assert f"Showing the first {limits.GROUP_LIST_LIMIT} of {len(group.projects)}" in page
    assert f'href="../projects.html?group={group.path.replace("/", "%2F")}"' in page


def test_a_project_page_lists_the_jobs_of_its_latest_failures_only(tmp_path: Path) -> None:
    snapshot = make_snapshot(projects=12, seed=2)
    raw = max(snapshot["sources"][0]["projects"], key=lambda p: len(p["pipelines"]))
    for pipeline in raw["pipelines"]:
        pipeline["status"] = "failed"
    render_site(snapshot, tmp_path, SiteSettings())
    project = next(p for p in views.build(snapshot).projects if p.id == raw["id"])
    failures = [q for q in project.pipelines if q.state == "failed"]
    assert len(failures) > limits.PROJECT_FAILED_PIPELINES
    page = (tmp_path / project.page).read_text(encoding="utf-8")
    start = page.index('id="failed-h"')
    section = page[start : page.index("</section>", start)]
    listed = [f"#{q.id}<" in section for q in failures]
    assert listed == [True] * limits.PROJECT_FAILED_PIPELINES + [False] * (
        len(failures) - limits.PROJECT_FAILED_PIPELINES
    )
