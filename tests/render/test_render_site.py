"""The rendered site as files: pages, links, policy, precompression, determinism, hooks."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from factories import make_snapshot
from render_html import parse
from render_support import NOTES_PAGE, TOP_PAGES

from gldash_static import resources, thinning
from gldash_static import snapshot as snapshot_io
from gldash_static.config.settings import SiteSettings
from gldash_static.errors import RenderError
from gldash_static.outdir import MARKER
from gldash_static.render import ExtraFile, ExtraPage, render_site

SITE_PAGES = [*TOP_PAGES, NOTES_PAGE]


def html_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_every_page_type_is_written(site_dir: Path) -> None:
    for name in [*SITE_PAGES, "snapshot.json.gz", "health.json", "metrics.txt"]:
        assert (site_dir / name).is_file(), name
    assert len(list((site_dir / "p").glob("*.html"))) == 12
    # Per-project and per-group pages go without a .gz copy (see site.UNCOMPRESSED_DIRS);
    # shared pages keep theirs, and the snapshot is published gzipped only.
    assert not list((site_dir / "p").glob("*.gz")) and not list((site_dir / "g").glob("*.gz"))
    assert (site_dir / "projects.html.gz").is_file()
    assert not (site_dir / "snapshot.json").exists()
    assert not (site_dir / "snapshot.json.gz.gz").exists()
    assert len(list((site_dir / "g").glob("*.html"))) == 4
    assert (site_dir / "assets" / "site.css").is_file()
    assert (site_dir / "assets" / "gldash.js").is_file()


def test_pages_carry_a_strict_policy_and_no_inline_code(site_dir: Path) -> None:
    for path in html_files(site_dir):
        page = parse(path)
        policies = [
            m.get("content") or ""
            for m in page.find("meta")
            if m.get("http-equiv") == "Content-Security-Policy"
        ]
        assert len(policies) == 1, path
        assert "unsafe-inline" not in policies[0] and "unsafe-eval" not in policies[0]
        assert not [s for s in page.scripts if s.strip()], path
        assert all("style" not in attrs for _, attrs in page.tags), path
        assert not any(k.startswith("on") for _, a in page.tags for k in a), path
        if path.name != "404.html":
            assert "script-src 'self'" in policies[0]
            assert not page.styles, path


def test_links_are_relative_and_resolve(site_dir: Path) -> None:
    for path in html_files(site_dir):
        for link in parse(path).links():
            parts = urlsplit(link)
            if parts.scheme:
                assert parts.scheme in {"http", "https"}, (path, link)
                continue
            assert not link.startswith("/"), (path, link)
            if path.name == "404.html" or not parts.path:
                continue
            target = (path.parent / parts.path).resolve()
            assert target.is_file(), (path, link)
            assert site_dir.resolve() in target.parents


def test_shared_text_files_have_identical_gzip_copies(site_dir: Path) -> None:
    for path in site_dir.rglob("*"):
        shared = path.parent.name not in ("p", "g")
        if shared and path.suffix in {".html", ".css", ".js", ".json", ".txt", ".svg"}:
            gz = path.with_name(path.name + ".gz")
            data = gz.read_bytes()
            assert data[4:8] == b"\0\0\0\0", "gzip mtime must be 0"
            assert gzip.decompress(data) == path.read_bytes()


def test_the_sites_assets_are_copies_that_leave_gldash_alone(site_dir: Path) -> None:
    """A deploy step that edits public/assets in place (minify, append) must not edit gldash."""
    for name in ("site.css", "gldash.js"):
        published, source = site_dir / "assets" / name, resources.assets_dir() / name
        assert published.read_bytes() == source.read_bytes()
        assert not published.samefile(source), name


def test_same_snapshot_renders_identical_bytes(tmp_path: Path) -> None:
    snap = make_snapshot(projects=15, seed=4)
    render_site(snap, tmp_path / "a", SiteSettings(timezone="Europe/Berlin"))
    render_site(snap, tmp_path / "b", SiteSettings(timezone="Europe/Berlin"))
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")


def test_render_replaces_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "public"
    out.mkdir()
    (out / MARKER).write_text("")  # gldash's own folder (tests/reliability/test_output_folders)
    (out / "leftover.html").write_text("old", encoding="utf-8")
    result = render_site(make_snapshot(projects=3), out, SiteSettings())
    assert not (out / "leftover.html").exists()
    assert result.files == len(tree_bytes(out))
    assert result.bytes == sum(len(b) for b in tree_bytes(out).values())
    assert result.pages == len(html_files(out))
    assert out.stat().st_mode & 0o755 == 0o755
    assert not list(tmp_path.glob(".public.*"))


def test_failed_render_keeps_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "public"
    render_site(make_snapshot(projects=3), out, SiteSettings())
    before = tree_bytes(out)
    bad = ExtraPage(path="x.html", template="no-such-template.html")
    with pytest.raises(RenderError, match="no-such-template"):
        render_site(make_snapshot(projects=5), out, SiteSettings(), extra_pages=[bad])
    assert tree_bytes(out) == before
    assert not list(tmp_path.glob(".public.*"))


def test_unknown_timezone_is_a_render_error(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="timezone"):
        render_site(make_snapshot(projects=1), tmp_path / "o", SiteSettings(timezone="Mars/Base"))


def test_times_are_shown_in_the_configured_timezone(tmp_path: Path) -> None:
    render_site(make_snapshot(projects=2), tmp_path / "o", SiteSettings(timezone="Asia/Tokyo"))
    page = parse(tmp_path / "o" / "index.html")
    fresh = page.by_id("freshness")
    assert fresh is not None and fresh["data-generated-at"] == "2026-11-28T06:00:00Z"
    assert "2026-11-28 15:00 JST" in page.all_text


def test_extra_pages_and_files_hook(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "trends.html").write_text(
        '{% extends "base.html" %}{% block title %}Trends{% endblock %}'
        "{% block main %}<h1>Trends</h1><p id=n>{{ points|length }} points, "
        '<a href="{{ root }}archive/index.json">archive</a></p>{% endblock %}',
        encoding="utf-8",
    )
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "index.json").write_text("[]", encoding="utf-8")
    out = tmp_path / "public"
    render_site(
        make_snapshot(projects=2),
        out,
        SiteSettings(templates_dir=templates),
        extra_pages=[
            ExtraPage("trends.html", "trends.html", {"points": [1, 2, 3]}, nav_title="Trends"),
            ExtraPage("archive/2026.html", "trends.html", {"points": []}),
        ],
        extra_files=[ExtraFile("archive", source=archive), ExtraFile("x/data.txt", data=b"hi")],
    )
    assert "3 points" in parse(out / "trends.html").all_text
    nested = parse(out / "archive" / "2026.html")
    assert "../assets/site.css" in " ".join(nested.links())
    assert "../archive/index.json" in nested.links()
    assert "trends.html" in parse(out / "index.html").links()
    assert (out / "archive" / "index.json").read_text(encoding="utf-8") == "[]"
    assert (out / "archive" / "index.json.gz").is_file()
    assert (out / "x" / "data.txt").read_bytes() == b"hi"


@pytest.mark.parametrize("path", ["../x.html", "/abs.html", "a/../../b.html", "a b.html", ""])
def test_extra_page_paths_must_stay_inside(tmp_path: Path, path: str) -> None:
    with pytest.raises(RenderError, match="unsafe path"):
        render_site(
            make_snapshot(projects=1), tmp_path / "o", SiteSettings(), [ExtraPage(path, "404.html")]
        )


def test_extra_page_cannot_overwrite_a_builtin_page(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="two pages"):
        render_site(
            make_snapshot(projects=1),
            tmp_path / "o",
            SiteSettings(),
            [ExtraPage("index.html", "404.html")],
        )


def test_user_templates_override_and_extend_default(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "overview.html").write_text(
        '{% extends "default:overview.html" %}'
        "{% block main %}<p id=custom>Team board</p>{{ super() }}{% endblock %}",
        encoding="utf-8",
    )
    render_site(make_snapshot(projects=2), tmp_path / "o", SiteSettings(templates_dir=templates))
    page = parse(tmp_path / "o" / "index.html")
    assert page.by_id("custom") is not None
    assert page.by_id("broken-h") is not None


def test_projects_page_lists_every_project_with_status_text(site_dir: Path) -> None:
    page = parse(site_dir / "projects.html")
    rows = page.find("tr")[1:]
    assert len(rows) == 12
    assert all(r.get("data-s") for r in rows)
    states = {"passed", "failed", "running", "no pipeline", "canceled", "skipped", "manual"}
    assert any(s in page.all_text for s in states)
    form = page.by_id("filters")
    assert form is not None and "hidden" in form  # shown by JavaScript only


def test_project_page_content(site_dir: Path) -> None:
    snap = make_snapshot(projects=12, seed=1)
    project = next(p for p in snap["sources"][0]["projects"] if p["pipelines"])
    page = parse(site_dir / "p" / f"{project['id']}.html")
    text = page.all_text
    assert project["name"] in text
    assert all(f"#{pl['id']}" in text for pl in project["pipelines"])
    assert all(b["name"] in text for b in project["branches"])
    assert project["web_url"] in page.links()
    assert page.find("svg"), "pipeline history chart"


def test_notes_page_is_sanitised(site_dir: Path) -> None:
    page = parse(site_dir / "notes-runbook.html")
    assert "What to do when" in page.all_text
    assert not [s for s in page.scripts if "alert" in s]
    assert "notes-runbook.html" in parse(site_dir / "index.html").links()


def test_snapshot_json_is_the_published_data(site_dir: Path) -> None:
    data = json.loads(gzip.decompress((site_dir / "snapshot.json.gz").read_bytes()))
    assert data["generated_at"] == "2026-11-28T06:00:00.000Z"
    assert len(data["sources"][0]["projects"]) == 12


def test_snapshot_json_leaves_job_attempts_out_unless_asked(tmp_path: Path) -> None:
    snapshot = make_snapshot(projects=4)
    assert thinning.has_job_attempts(dict(snapshot))
    for job_attempts in (False, True):
        out = tmp_path / str(job_attempts)
        render_site(snapshot, out, SiteSettings(snapshot_job_attempts=job_attempts))
        published = gzip.decompress((out / "snapshot.json.gz").read_bytes())
        expected = snapshot if job_attempts else thinning.without_jobs(dict(snapshot))
        # The canonical bytes: what the archive's sha256 would name.
        assert published == snapshot_io.canonical(expected)
    # The pages show the figures drawn from job attempts either way: only the file differs.
    for page in (
        "jobs.html",
        "flaky.html",
        *(f"p/{p.name}" for p in (tmp_path / "True/p").iterdir()),
    ):
        assert (tmp_path / "False" / page).read_bytes() == (tmp_path / "True" / page).read_bytes()
    assert "Median queue" in (tmp_path / "False" / "jobs.html").read_text(encoding="utf-8")


def test_refresh_link_prefills_a_full_run_when_the_project_is_known(tmp_path: Path) -> None:
    snapshot = make_snapshot(projects=3)
    plain = tmp_path / "plain"
    render_site(snapshot, plain, SiteSettings())
    assert "Refresh now" not in (plain / "index.html").read_text(encoding="utf-8")
    site = SiteSettings(project_url="https://gitlab.example.com/ops/dash", default_branch="trunk")
    render_site(snapshot, tmp_path / "out", site)
    page = parse((tmp_path / "out" / "index.html").read_text(encoding="utf-8"))
    assert "Refresh now" in page.all_text
    assert (
        "https://gitlab.example.com/ops/dash/-/pipelines/new?ref=trunk&var%5BGLDASH_FULL%5D=1"
        in page.links()
    )


def test_lone_surrogates_from_api_callers_do_not_crash_the_render(tmp_path: Path) -> None:
    snapshot = make_snapshot(projects=2)
    snapshot["sources"][0]["projects"][0]["path_with_namespace"] = "acme/half \ud800 pair"
    render_site(snapshot, tmp_path / "out", SiteSettings())
    # Shown as U+FFFD, as the fetch stores it (rules.text.clean), not as a bare "?".
    assert "half \ufffd pair" in (tmp_path / "out" / "projects.html").read_text(encoding="utf-8")
