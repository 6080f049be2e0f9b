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


def _section(page: str, heading: str) -> str:
    start = page.index(f'id="{heading}"')
    return page[start : page.index("</section>", start)]


def test_a_project_page_lists_its_newest_branches_default_first_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    snapshot = make_snapshot(projects=3, seed=2)
    raw = snapshot["sources"][0]["projects"][0]
    default = raw["default_branch"]
    many = limits.PROJECT_BRANCHES + 12
    raw["branches"] = [
        {
            "name": default if n == 0 else f"topic-{n:03d}",
            "default": n == 0,
            "protected": n == 0,
            "merged": False,
            # the default branch's commit is the oldest; topic-001 the newest
            "committed_date": f"2026-{1 + n // 28:02d}-{1 + n % 28:02d}T10:00:00Z"
            if n
            else "2025-01-01T10:00:00Z",
            "commit_title": "Change",
            "commit_short_id": "abc1234",
            "author_name": "Ana",
        }
        for n in range(many)
    ]
    render_site(snapshot, tmp_path, SiteSettings())
    project = next(p for p in views.build(snapshot).projects if p.id == raw["id"])
    section = _section((tmp_path / project.page).read_text(encoding="utf-8"), "branches-h")
    shown = [c.split("<", 1)[0] for c in section.split("<tr><td><code>")[1:]]
    newest = [f"topic-{n:03d}" for n in range(many - 1, many - limits.PROJECT_BRANCHES, -1)]
    assert shown == [default, *newest]
    rest = many - limits.PROJECT_BRANCHES
    assert f"{rest} more branches with older commits" in section
    assert f'href="{raw["web_url"]}/-/branches"' in section


def test_a_project_page_lists_its_oldest_merge_requests_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    snapshot = make_snapshot(projects=12, seed=2)
    raw = next(p for p in snapshot["sources"][0]["projects"] if p["merge_requests"])
    many = limits.PROJECT_MERGE_REQUESTS + 7
    template = dict(raw["merge_requests"][0])
    raw["merge_requests"] = [
        {
            **template,
            "iid": 500 + n,
            "title": f"Change {n}",
            "created_at": f"2026-{1 + n // 28:02d}-{1 + n % 28:02d}T10:00:00Z",
            "web_url": f"{raw['web_url']}/-/merge_requests/{500 + n}",
        }
        for n in range(many)
    ]
    render_site(snapshot, tmp_path, SiteSettings())
    project = next(p for p in views.build(snapshot).projects if p.id == raw["id"])
    section = _section((tmp_path / project.page).read_text(encoding="utf-8"), "mrs-h")
    listed = [f">!{500 + n}<" in section for n in range(many)]
    assert listed == [True] * limits.PROJECT_MERGE_REQUESTS + [False] * 7  # the oldest waiting
    assert "7 more open merge requests, opened later" in section
    assert f'href="{raw["web_url"]}/-/merge_requests"' in section


def test_a_pipeline_lists_its_first_failed_jobs_and_links_to_the_rest_everywhere(
    tmp_path: Path,
) -> None:
    snapshot = make_snapshot(projects=12, seed=2)
    raw = next(
        p
        for p in snapshot["sources"][0]["projects"]
        if p["pipelines"] and p["pipelines"][0]["status"] == "failed"
    )
    head = raw["pipelines"][0]
    many = limits.PIPELINE_FAILED_JOBS + 40  # a matrix of 50 failing jobs
    head["failed_jobs"] = [
        {
            **head["failed_jobs"][0],
            "id": 900_000 + n,
            "name": f"matrix-{n:02d}",
            "web_url": f"{raw['web_url']}/-/jobs/{900_000 + n}",
        }
        for n in range(many)
    ]
    render_site(snapshot, tmp_path, SiteSettings())
    project = next(p for p in views.build(snapshot).projects if p.id == raw["id"])
    more = f'<a href="{head["web_url"]}/failures">40 more failed jobs</a>'
    for page in (project.page, "failures.html"):
        html = (tmp_path / page).read_text(encoding="utf-8")
        listed = [f">matrix-{n:02d}<" in html for n in range(many)]
        assert listed == [True] * limits.PIPELINE_FAILED_JOBS + [False] * 40, page
        assert more in html, page
