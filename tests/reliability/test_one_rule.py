"""One rule for text, URLs and the facts pages show (issue 12 class 6, issue 14 part 2).

The Changes page once cleaned text and checked URLs its own way (bidi overrides, NUL and
BEL reached changes.html; `https://` with no host was a link there and not elsewhere).
First the hostile corpus goes through every page type, the Changes, Trends and Archive
pages of a two-snapshot archive included; then tables show that the archive side and the
render side give the same answer because they call the same function.
"""

from __future__ import annotations

import ast
import copy
import html
import itertools
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from factories import GENERATED_AT, iso, make_snapshot
from reliability_corpus import TEXTS, URLS, poison
from test_hostile_data import URL_ATTRS, _Attrs, bad_attributes

from gldash_static import resources
from gldash_static.archive import Archive
from gldash_static.archive import changes as archive_changes
from gldash_static.archive import facts as archive_facts
from gldash_static.archive import pages as archive_pages
from gldash_static.archive import store as archive_store
from gldash_static.config import load_config
from gldash_static.model import Branch, Pipeline, Project, Snapshot
from gldash_static.pipeline import render_with_archive
from gldash_static.render import text, views

PACKAGE = Path(views.__file__).resolve().parents[1]
# What no page may show: C0 and C1 controls but tab and line ends, bidi overrides, embeddings,
# isolates and marks, the byte order mark, and lone surrogates (from a \\u escape in JSON).
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ufeff\ud800-\udfff]"
)
# URLs both sides once disagreed on, or that only a careful check refuses.
EXTRA_URLS = [
    "https://",
    "HTTPS://",
    "http:///no-host",
    "https://:443/",
    "https://gitlab.example.com/\u202egnp.exe",
    "https://gitlab.example.com/\x07bell",
    "https://gitlab.example.com/a b",
    "https:\\\\evil.example/x",
    " https://gitlab.example.com/leading-space",
]
DISPLAY_SUFFIXES = {".html", ".svg", ".xml", ".txt", ".json"}
BIDI = next(t for t in TEXTS if "bidi" in t)
CONTROLS = next(t for t in TEXTS if t.startswith("nul"))
SURROGATES = next(t for t in TEXTS if "surrogates" in t)
T = GENERATED_AT  # "now" of the current snapshot


# -- 1. the hostile corpus through every page type ----------------------------------------


def _pipeline(pid: int, web: str, ref: str, status: str, when: datetime, url: str) -> Pipeline:
    return {
        "id": pid,
        "iid": pid % 1000,
        "ref": ref,
        "sha": f"{pid:040x}",
        "status": status,
        "source": "push",
        "created_at": iso(when - timedelta(minutes=5)),
        "updated_at": iso(when),
        "started_at": iso(when - timedelta(minutes=4)),
        "finished_at": iso(when),
        "duration": 240.0,
        "queued_duration": 3.0,
        "coverage": None,
        "web_url": url or f"{web}/-/pipelines/{pid}",
        "username": TEXTS[pid % len(TEXTS)],
        "failed_jobs": [],
    }


def _branch(
    days: int | None,
    default: bool = False,
    merged: bool = False,
    name: str = "topic",
    text: str = "",
) -> Branch:
    return {
        "name": name,
        "default": default,
        "protected": False,
        "merged": merged,
        "commit_short_id": "abc",
        "commit_title": text,
        "committed_date": None if days is None else iso(T - timedelta(days=days)),
        "author_name": text,
    }


def _hostile_paths(snap: Snapshot) -> None:
    """Corpus text in group and project paths too (the Changes and Trends pages show them)."""
    texts = itertools.cycle(TEXTS)
    source = snap["sources"][0]
    renamed: dict[str, str] = {}
    for group in source["groups"]:
        if group["parent_id"] is not None:
            renamed[group["full_path"]] = f"acme/{next(texts)[:40]}{BIDI}{CONTROLS}"
            group["full_path"] = renamed[group["full_path"]]
    for project in source["projects"]:
        project["namespace"] = renamed.get(project["namespace"], project["namespace"])
        project["path_with_namespace"] = f"{project['namespace']}/{next(texts)}"


def _two_snapshots() -> tuple[Snapshot, Snapshot]:
    """An archived snapshot and the next one; every kind of change carries hostile text."""
    then = T - timedelta(days=1)
    previous = poison(make_snapshot(projects=6, seed=3, now=then))
    _hostile_paths(previous)
    current = copy.deepcopy(previous)
    current["generated_at"] = iso(T)
    urls = itertools.cycle(EXTRA_URLS + URLS)
    before, after = previous["sources"][0]["projects"], current["sources"][0]["projects"]
    for n, (old, new) in enumerate(zip(before[:2], after[:2], strict=True)):
        # The first project breaks, the second is fixed: both land on the Changes page.
        was, now = ("success", "failed") if n == 0 else ("failed", "success")
        web = old["web_url"]
        old["pipelines"] = [_pipeline(900 + n, web, old["default_branch"], was, then, "")]
        new["pipelines"] = [
            _pipeline(950 + n, web, new["default_branch"], now, T, next(urls)),
            *copy.deepcopy(old["pipelines"]),
        ]
        new["web_url"] = next(urls)
    after[2]["branches"].append(_branch(90, name=BIDI, text=CONTROLS))  # newly stale
    after[2]["web_url"] = next(urls)
    for old, new in zip(before, after, strict=True):
        if old["merge_requests"]:
            for mr in old["merge_requests"]:
                mr["title"], mr["web_url"] = BIDI, next(urls)
            new["merge_requests"] = []  # closed since the previous snapshot
    added = copy.deepcopy(after[3])
    added.update(
        id=9_999, path_with_namespace=f"acme/{BIDI}{CONTROLS}{SURROGATES}", web_url=next(urls)
    )
    after.append(added)
    del after[4]  # removed since the previous snapshot
    return previous, current


@pytest.fixture(scope="module")
def archived_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site with two archived snapshots whose differences hold the corpus."""
    base = tmp_path_factory.mktemp("one-rule")
    (base / "oncall.md").write_text("# On call\n\n" + "\n\n".join(URLS), encoding="utf-8")
    (base / "config.yml").write_text(
        "sources:\n  - url: https://gitlab.example.com\n    groups: [acme]\n"
        "site:\n  output_dir: public\n  pages: [oncall.md]\n"
        "archive:\n  dir: archive\n  carry_forward: none\n",
        encoding="utf-8",
    )
    config = load_config(base / "config.yml")
    archive = Archive(config.archive, base / "archive")
    previous, current = _two_snapshots()
    # Fetched snapshots hold U+FFFD where GitLab sent a lone surrogate; a snapshot file
    # written by another tool may hold the surrogate itself: the rendered one does.
    for snap in (previous, current):
        fetched = json.dumps(snap).replace("\\ud800", "\\ufffd").replace("\\udfff", "\\ufffd")
        archive.add(json.loads(fetched))
    out = base / "public"
    render_with_archive(current, config.site, out, archive)
    return out


def _display_files(site: Path) -> list[Path]:
    # snapshot.json and the archive folder are the data itself, published as GitLab sent it.
    return sorted(
        p
        for p in site.rglob("*")
        if p.is_file()
        and p.suffix in DISPLAY_SUFFIXES
        and p.name != "snapshot.json"
        and p.relative_to(site).parts[0] != "archive"
    )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _hidden(path: Path) -> list[str]:
    body = path.read_text(encoding="utf-8")
    texts = _strings(json.loads(body)) if path.suffix == ".json" else [body, html.unescape(body)]
    return sorted({f"U+{ord(ch):04X}" for t in texts for ch in FORBIDDEN.findall(t)})


def test_the_changes_page_lists_every_kind_of_change(archived_site: Path) -> None:
    page = (archived_site / "changes.html").read_text(encoding="utf-8")
    for heading in ("Newly failing", "Fixed", "Branches that became stale", "no longer open"):
        count = re.search(re.escape(heading) + r"[^(<]*\((\d+)\)", page)
        assert count and int(count.group(1)) >= 1, heading
    assert "Added: " in page and "No longer in the dashboard: " in page
    assert (archived_site / "trends.html").is_file() and (archived_site / "archive.html").is_file()


def test_no_page_shows_controls_or_bidi_tricks(archived_site: Path) -> None:
    files = _display_files(archived_site)
    names = {p.relative_to(archived_site).as_posix() for p in files}
    assert {"changes.html", "trends.html", "archive.html", "health.json", "metrics.txt"} <= names
    assert {"notes-oncall.html", "404.html", "radiator.html"} <= names
    found = {p.relative_to(archived_site).as_posix(): _hidden(p) for p in files}
    assert {name: chars for name, chars in found.items() if chars} == {}


class _Links(_Attrs):
    """The hostile-data scanner, stricter: an absolute URL is http(s) and names a host."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        super().handle_starttag(tag, attrs)
        for name, value in attrs:
            if name not in URL_ATTRS or value is None:
                continue
            squeezed = re.sub(r"[\x00-\x20\x7f]", "", value)
            try:
                parts = urlsplit(squeezed.replace("\\", "/"))
                host = parts.hostname
            except ValueError:
                self.bad.append(f"<{tag} {name}={value[:60]!r}> (unparsable)")
                continue
            if parts.scheme or squeezed.startswith(("//", "/\\", "\\")):
                if parts.scheme.lower() not in {"http", "https"} or not host:
                    self.bad.append(f"<{tag} {name}={value[:60]!r}>")
                elif squeezed != value:
                    self.bad.append(f"<{tag} {name}={value[:60]!r}> (hidden characters)")


def test_every_link_is_http_with_a_host_or_relative(archived_site: Path) -> None:
    assert bad_attributes(archived_site, _Links) == []


# -- 2. both sides call the one function, and it gives these answers -----------------------


def test_both_sides_use_the_one_rule_module() -> None:
    from gldash_static.rules import facts, urls
    from gldash_static.rules import text as rule_text

    assert archive_changes.clean is views.clean is text.clean is rule_text.clean
    assert archive_changes.safe_url is views.safe_url is text.safe_url is urls.safe_url
    assert archive_facts.failing_default is views.failing_default is facts.failing_default
    assert archive_facts.head_pipeline is views.head_pipeline is facts.head_pipeline
    assert archive_changes.is_stale_branch is views.is_stale_branch is facts.is_stale_branch
    assert archive_facts.success_rate is views.success_rate is facts.success_rate
    assert archive_pages.success_rate is facts.success_rate
    assert not hasattr(archive_facts, "safe_url")  # the archive's own URL check is gone


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_rules_sit_below_render_and_archive() -> None:
    rules = sorted((PACKAGE / "rules").glob("*.py"))
    assert rules
    for path in rules:
        inside = {n for n in _imports(path) if n.startswith("gldash_static")}
        assert inside <= {"gldash_static.model", "gldash_static.timeutil"} | {
            n for n in inside if n.startswith("gldash_static.rules")
        }, path
    for path in sorted((PACKAGE / "render").glob("*.py")):
        assert not any(n.startswith("gldash_static.archive") for n in _imports(path)), path
    for name in ("facts", "changes", "pages", "charts"):
        path = PACKAGE / "archive" / f"{name}.py"
        assert not any(n.startswith("gldash_static.render") for n in _imports(path)), path


WEB = "https://gitlab.example.com/acme/app"


def _project(**fields: Any) -> Project:
    project: dict[str, Any] = {
        "id": 1,
        "path_with_namespace": "acme/app",
        "name": "app",
        "namespace": "acme",
        "default_branch": "main",
        "web_url": WEB,
        "stale": None,
        "pipelines": [],
        "branches": [],
        "merge_requests": [],
    }
    project.update(fields)
    return project  # type: ignore[return-value]


def _snap(moment: datetime, *projects: Project) -> Snapshot:
    return {  # type: ignore[typeddict-item]
        "schema_version": 1,
        "generated_at": iso(moment),
        "sources": [{"name": "g", "url": "https://gitlab.example.com", "projects": list(projects)}],
    }


def _render_side(project: Project, stale_days: int = 30) -> views.ProjectView:
    return views.project_view(project, "g", 0, T, stale_days)


URL_TABLE = [
    ("https://gitlab.example.com/a/b", "https://gitlab.example.com/a/b"),
    ("http://localhost:8080/x?y=1", "http://localhost:8080/x?y=1"),
    ("HTTPS://gitlab.example.com/a", "HTTPS://gitlab.example.com/a"),
    ("HtTp://gitlab.example.com", "HtTp://gitlab.example.com"),
    ("https://", None),
    ("https:///path", None),
    ("https://:443/", None),
    ("https://user@/", None),
    (" javascript:alert(1)", None),
    ("java\tscript:alert(1)", None),
    ("javascript:alert(1)", None),
    ("JaVaScRiPt:alert(1)", None),
    ("\x00javascript:alert(1)", None),
    ("data:text/html,<script>x</script>", None),
    ("vbscript:msgbox(1)", None),
    ("//evil.example/phish", None),
    ("/relative/path", None),
    ("https:\\\\evil.example/x", None),
    ("https://evil.example\\@gitlab.example.com/", None),
    (" https://gitlab.example.com/", None),
    ("https://gitlab.example.com/\n", None),
    ("https://gitlab.example.com/\u202e", None),
    ("https://gitlab.example.com/\x07", None),
    ("https://gitlab.example.com/\ud800", None),
    ("https://[::1", None),
    ("https://gitlab.example.com/" + "a" * 3000, None),
    (None, None),
    (42, None),
]


@pytest.mark.parametrize(("url", "expected"), URL_TABLE)
def test_safe_url_is_one_answer(url: object, expected: str | None) -> None:
    pipeline = _pipeline(5, WEB, "main", "failed", T, "https://gitlab.example.com/p/5")
    new = _project(web_url=url, pipelines=[pipeline])
    old = _project(pipelines=[{**pipeline, "id": 4, "status": "success"}])
    change = archive_changes.diff(_snap(T - timedelta(hours=1), old), _snap(T, new))
    assert [c.web_url for c in change.newly_failing] == [expected]
    assert _render_side(new).web_url == expected
    from gldash_static.rules.urls import safe_url

    assert safe_url(url) == expected


CLEAN_TABLE = [
    ("a\u202eb\u2066c\u0000d\n\te", 200, "abcd e"),
    ("bel\x07 esc\x1b[31m", 200, "bel esc[31m"),
    ("c1\x85\x9b and del\x7f", 200, "c1 and del"),
    ("marks\u200e\u200f\u061c\ufeff", 200, "marks"),
    ("lone \ud800 high and \udfff low", 200, "lone \ufffd high and \ufffd low"),
    ("  padded \u2028 text  ", 200, "padded text"),
    ("emoji 🚀 CJK 漢字 RTL עברית", 200, "emoji 🚀 CJK 漢字 RTL עברית"),
    ("x" * 300, 200, "x" * 199 + "…"),
    ("y" * 300, 60, "y" * 59 + "…"),
    (None, 200, ""),
    (42, 200, "42"),
]


@pytest.mark.parametrize(("value", "limit", "expected"), CLEAN_TABLE)
def test_clean_text_is_one_answer(value: object, limit: int, expected: str) -> None:
    if limit == 200 and isinstance(value, str):
        new = _project(path_with_namespace=value)
        change = archive_changes.diff(_snap(T - timedelta(hours=1)), _snap(T, new))
        assert change.new_projects == [expected]
        assert _render_side(new).path == expected
    from gldash_static.rules.text import clean

    assert clean(value, limit) == expected


def _runs(*runs: tuple[str, str]) -> list[Pipeline]:
    """Pipelines newest first from (ref, status) pairs."""
    return [
        _pipeline(100 - n, WEB, ref, status, T - timedelta(hours=n), "")
        for n, (ref, status) in enumerate(runs)
    ]


FAILING_TABLE = [
    ([], False, None),
    ([("main", "failed")], True, 100),
    ([("main", "running"), ("main", "failed")], True, 99),
    ([("main", "success"), ("main", "failed")], False, 100),
    ([("feature", "failed"), ("main", "success")], False, 99),
    ([("main", "canceled"), ("main", "skipped"), ("main", "failed")], True, 98),
    ([("main", "manual"), ("feature", "failed")], False, None),
]


@pytest.mark.parametrize(("runs", "failing", "head"), FAILING_TABLE)
def test_failing_and_head_pipeline_are_one_answer(
    runs: list[tuple[str, str]], failing: bool, head: int | None
) -> None:
    project = _project(pipelines=_runs(*runs))
    view = _render_side(project)
    assert view.failing is failing
    assert (view.broken_by.id if view.broken_by else None) == (head if failing else None)
    assert archive_facts.failing_default(project) is failing
    assert archive_store.row_for(_snap(T, project), 0)["failing"] == int(failing)
    from gldash_static.rules import facts

    found = facts.head_pipeline(project)
    assert facts.failing_default(project) is failing
    assert (found["id"] if found else None) == head


STALE_TABLE = [
    (_branch(31), 30, True),
    (_branch(30), 30, False),
    (_branch(29), 30, False),
    (_branch(100, default=True), 30, False),
    (_branch(100, merged=True), 30, False),
    (_branch(None), 30, False),
    (_branch(8), 7, True),
    (_branch(6), 7, False),
]


@pytest.mark.parametrize(("branch", "days", "stale"), STALE_TABLE)
def test_stale_branch_is_one_answer(branch: Branch, days: int, stale: bool) -> None:
    project = _project(branches=[branch])
    change = archive_changes.diff(
        _snap(T - timedelta(hours=1), _project()), _snap(T, project), days
    )
    assert bool(change.new_stale_branches) is stale
    assert [b.stale for b in _render_side(project, days).branches] == [stale]
    from gldash_static.rules import facts

    assert facts.is_stale_branch(branch, T, days) is stale


SUCCESS_TABLE = [
    ([], None),
    (["running", "canceled", "skipped"], None),
    (["success"], 1.0),
    (["failed"], 0.0),
    (["success", "failed", "running", "canceled"], 0.5),
    (["success", "success", "failed"], 0.6667),
    (["success"] * 2 + ["failed"] * 5, 0.2857),
]


@pytest.mark.parametrize(("statuses", "rate"), SUCCESS_TABLE)
def test_success_rate_is_one_answer(statuses: list[str], rate: float | None) -> None:
    project = _project(pipelines=_runs(*(("main", s) for s in statuses)))
    assert archive_store.row_for(_snap(T, project), 0)["success_rate"] == rate
    assert _render_side(project).success_rate == rate
    from gldash_static.rules import facts

    assert facts.success_rate(statuses.count("success"), statuses.count("failed")) == rate


# -- list limits: one Python constant, passed into the templates ---------------------------


def test_templates_hold_no_list_limits_of_their_own() -> None:
    found = [
        f"{path.name}: {hit}"
        for path in sorted(resources.templates_dir().glob("*.html"))
        for hit in re.findall(r"\[:\s*\d{3,}\s*\]|set limit = \d+", path.read_text("utf-8"))
    ]
    assert found == []


def test_pages_cut_lists_at_the_python_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gldash_static.config.settings import SiteSettings
    from gldash_static.render import render_site
    from gldash_static.rules import limits

    monkeypatch.setattr(limits, "LIST_LIMIT", 2)
    monkeypatch.setattr(limits, "MERGE_REQUEST_LIMIT", 1)
    snap = make_snapshot(projects=12, seed=1)
    render_site(snap, tmp_path / "site", SiteSettings())
    branches = (tmp_path / "site" / "branches.html").read_text(encoding="utf-8")
    assert "Showing the first 2 of " in branches
    mrs = (tmp_path / "site" / "merge-requests.html").read_text(encoding="utf-8")
    assert "Showing the first 1 of " in mrs
