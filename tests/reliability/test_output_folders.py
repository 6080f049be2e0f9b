"""gldash deletes only what it wrote: a folder it replaces or writes into must be its own.

Issue 12, class 5. Every case points at folders below tmp_path, and HOME is moved there
too, so even code without these checks (which replaced such folders whole) can only ever
touch test files. The `/` case never runs without the checks.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from factories import GENERATED_AT, make_snapshot
from reliability_helpers import assert_one_clear_error

from gldash_static import snapshot as snapshot_io

MARKER = ".gldash-output"
Tree = dict[str, bytes | None]


def _tree(root: Path) -> Tree:
    """Every path below `root` (folders as None) with each file's bytes; symlinks by target."""
    out: Tree = {}
    for item in sorted(root.rglob("*")):
        key = item.relative_to(root).as_posix()
        if item.is_symlink():
            out[key] = str(item.readlink()).encode()
        elif item.is_dir():
            out[key] = None
        else:
            out[key] = item.read_bytes()
    return out


def _refused(result: Any, *needles: str) -> str:
    """Exit 2 and one `error:` line (no traceback) containing every needle."""
    assert result.code == 2, result.err
    assert len([line for line in result.err.splitlines() if line.strip()]) == 1, result.err
    return assert_one_clear_error(result.err, "refusing", *needles)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder in tmp_path, so that no case can reach the real one."""
    folder = tmp_path / "home"
    folder.mkdir()
    (folder / ".profile").write_text("export EDITOR=vi\n")
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.fixture
def snap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small snapshot file; the current folder is tmp_path (no config.yml there)."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "snap.json"
    snapshot_io.write(make_snapshot(projects=2), path)
    return path


def _repository(path: Path) -> Path:
    """A folder that looks like a Git checkout with some work in it."""
    (path / ".git" / "refs").mkdir(parents=True)
    (path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (path / "src").mkdir()
    (path / "src" / "app.py").write_text("print('precious')\n")
    (path / "README.md").write_text("# precious\n")
    return path


def _config(folder: Path, site: str = "public", archive: str = "", extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yml"
    path.write_text(
        "sources:\n  - url: http://127.0.0.1:9\n    groups: [g]\n"
        f"site:\n  output_dir: {site}\n"
        f"archive:\n{archive or '  enabled: false'}\n{extra}"
    )
    return path


def test_render_out_dot_in_a_repository(tmp_path: Path, snap: Path, run_cli: Any) -> None:
    repo = _repository(tmp_path / "repo")
    before = _tree(tmp_path)
    result = run_cli("render", "--snapshot", str(snap), "--out", str(repo))
    _refused(result, str(repo), "Git repository")
    assert _tree(tmp_path) == before


def test_render_out_dot_from_inside(
    tmp_path: Path, snap: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repository(tmp_path / "repo")
    monkeypatch.chdir(repo)
    before = _tree(tmp_path)
    _refused(run_cli("render", "--snapshot", str(snap), "--out", "."), "Git repository")
    assert _tree(tmp_path) == before


def test_output_dir_dot_is_the_config_folder(tmp_path: Path, snap: Path, run_cli: Any) -> None:
    config = _config(tmp_path / "dash", site=".")
    (config.parent / "notes.md").write_text("team notes\n")
    before = _tree(tmp_path)
    result = run_cli("render", "-c", str(config), "--snapshot", str(snap))
    _refused(result, "config.yml")
    assert _tree(tmp_path) == before


def test_config_folder_is_refused_even_with_a_marker(
    tmp_path: Path, snap: Path, run_cli: Any
) -> None:
    config = _config(tmp_path / "dash")
    (config.parent / MARKER).write_text("")
    before = _tree(tmp_path)
    result = run_cli("render", "-c", str(config), "--snapshot", str(snap), "--out", "dash")
    _refused(result, "config.yml")
    assert _tree(tmp_path) == before


def test_gh_pages_checkout_that_looks_like_a_site(tmp_path: Path, snap: Path, run_cli: Any) -> None:
    checkout = _repository(tmp_path / "pages")
    for name in ("index.html", "health.json", "snapshot.json"):
        (checkout / name).write_text("{}\n")
    before = _tree(tmp_path)
    _refused(run_cli("render", "--snapshot", str(snap), "--out", str(checkout)), "Git repository")
    assert _tree(tmp_path) == before


def test_symlink_to_a_repository(tmp_path: Path, snap: Path, run_cli: Any) -> None:
    repo = _repository(tmp_path / "repo")
    (tmp_path / "link").symlink_to(repo)
    before = _tree(tmp_path)
    _refused(run_cli("render", "--snapshot", str(snap), "--out", "link"), "Git repository")
    assert _tree(tmp_path) == before


def test_home_folder(tmp_path: Path, snap: Path, run_cli: Any, home: Path) -> None:
    (home / MARKER).write_text("")  # refused for being home, whatever it holds
    before = _tree(tmp_path)
    _refused(run_cli("render", "--snapshot", str(snap), "--out", str(home)), "home folder")
    assert _tree(tmp_path) == before


def test_root_folder(
    tmp_path: Path, snap: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the checks this would write next to / and then try to replace it: never run it.
    pytest.importorskip("gldash_static.outdir", reason="the code before issue 12 must not see /")

    def tripwire(*args: object, **kwargs: object) -> str:
        raise AssertionError("gldash began writing a staging folder next to /")

    monkeypatch.setattr("tempfile.mkdtemp", tripwire)
    monkeypatch.setattr("tempfile.mkstemp", tripwire)
    _refused(run_cli("render", "--snapshot", str(snap), "--out", "/"), "file system root")


def test_folder_of_other_files(tmp_path: Path, snap: Path, run_cli: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.md").write_text("mine\n")
    (docs / "index.html").write_text("<p>my own page</p>\n")
    before = _tree(tmp_path)
    _refused(run_cli("render", "--snapshot", str(snap), "--out", str(docs)), MARKER)
    assert _tree(tmp_path) == before


def test_a_site_is_never_written_over_an_archive(tmp_path: Path, snap: Path, run_cli: Any) -> None:
    config = _archive_config(tmp_path / "dash")
    assert run_cli("archive", "add", str(snap), "-c", str(config)).code == 0
    before = _tree(tmp_path)
    result = run_cli("render", "--snapshot", str(snap), "--out", str(config.parent / "data"))
    _refused(result, "holds a gldash archive")
    assert _tree(tmp_path) == before


def test_a_file_is_not_an_output_folder(tmp_path: Path, snap: Path, run_cli: Any) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    before = _tree(tmp_path)
    _refused(run_cli("render", "--snapshot", str(snap), "--out", "notes.txt"), "not a folder")
    assert _tree(tmp_path) == before


def test_unmarked_look_alike_of_a_crash_leftover_is_kept(
    tmp_path: Path, snap: Path, run_cli: Any
) -> None:
    # Recovery removes staging folders a killed run left beside the output, but only its own.
    mine = tmp_path / ".public.new-mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine\n")
    assert run_cli("render", "--snapshot", str(snap), "--out", "public").code == 0
    assert (mine / "keep.txt").read_text() == "mine\n"


def test_marked_folder_is_replaced_as_before(tmp_path: Path, snap: Path, run_cli: Any) -> None:
    site = tmp_path / "public"
    site.mkdir()  # an empty folder (CI's fresh public/) is fine
    (tmp_path / "beside.txt").write_text("mine\n")
    assert run_cli("render", "--snapshot", str(snap), "--out", "public").code == 0
    assert (site / MARKER).is_file()
    (site / "stale.html").write_text("left over\n")
    assert run_cli("render", "--snapshot", str(snap), "--out", "public").code == 0
    assert (site / MARKER).is_file() and (site / "index.html").is_file()
    assert not (site / "stale.html").exists()
    assert (tmp_path / "beside.txt").read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "beside.txt",
        "home",
        "public",
        "snap.json",
    ]


def test_site_written_before_the_marker_is_adopted(
    tmp_path: Path, snap: Path, run_cli: Any
) -> None:
    site = tmp_path / "public"
    assert run_cli("render", "--snapshot", str(snap), "--out", "public").code == 0
    (site / MARKER).unlink(missing_ok=True)  # as an older gldash left it,
    (site / "snapshot.json").write_text("{}\n")  # which published the snapshot unzipped
    (site / "old-note.html").write_text("a page an older version wrote\n")
    result = run_cli("render", "--snapshot", str(snap), "--out", "public")
    assert result.code == 0, result.err
    assert (site / MARKER).is_file()
    assert not (site / "old-note.html").exists()


def _archive_config(folder: Path, carry_url: str = "") -> Path:
    carry = f"  carry_forward: url\n  carry_forward_url: {carry_url}\n" if carry_url else ""
    return _config(
        folder,
        archive=f"  dir: data\n{carry or '  carry_forward: none'}",
    )


def test_archive_add_into_a_folder_of_other_files(tmp_path: Path, snap: Path, run_cli: Any) -> None:
    config = _archive_config(tmp_path / "dash")
    data = config.parent / "data"
    data.mkdir()
    (data / "measurements.csv").write_text("a,b\n1,2\n")
    before = _tree(tmp_path)
    _refused(run_cli("archive", "add", str(snap), "-c", str(config)), str(data), MARKER)
    assert _tree(tmp_path) == before


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # the requests would only clutter the captured stderr the tests read


@pytest.fixture
def published_site(tmp_path: Path) -> Iterator[str]:
    """A web server on 127.0.0.1 publishing an empty gldash archive, for carry_forward: url."""
    root = tmp_path / "published"
    (root / "archive").mkdir(parents=True)
    (root / "archive" / "index.json").write_text(json.dumps({"format": 1, "snapshots": []}))
    handler = partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_build_carrying_forward_into_a_folder_of_other_files(
    tmp_path: Path, snap: Path, run_cli: Any, published_site: str
) -> None:
    # Carry-forward replaces the archive folder with the published archive: here that
    # would have deleted the user's data. Refused before anything is fetched or written.
    config = _archive_config(tmp_path / "dash", carry_url=published_site)
    data = config.parent / "data"
    data.mkdir()
    (data / "measurements.csv").write_text("a,b\n1,2\n")
    before = _tree(tmp_path)
    result = run_cli("build", "-c", str(config), "--from-snapshot", str(snap), "--quiet")
    _refused(result, str(data), MARKER)
    assert _tree(tmp_path) == before


def test_build_into_a_site_folder_of_other_files_writes_nothing(
    tmp_path: Path, snap: Path, run_cli: Any
) -> None:
    config = _archive_config(tmp_path / "dash")
    site = config.parent / "public"
    site.mkdir()
    (site / "CNAME").write_text("dash.example.com\n")
    before = _tree(tmp_path)
    result = run_cli("build", "-c", str(config), "--from-snapshot", str(snap), "--quiet")
    _refused(result, str(site), MARKER)
    assert _tree(tmp_path) == before  # not the snapshot nor the archive either


def test_archive_written_before_the_marker_is_adopted(
    tmp_path: Path, snap: Path, run_cli: Any
) -> None:
    config = _archive_config(tmp_path / "dash")
    data = config.parent / "data"
    assert run_cli("archive", "add", str(snap), "-c", str(config)).code == 0
    (data / MARKER).unlink(missing_ok=True)  # as an older gldash left it
    later = tmp_path / "later.json"
    snapshot_io.write(make_snapshot(projects=2, now=GENERATED_AT.replace(day=2)), later)
    result = run_cli("archive", "add", str(later), "-c", str(config))
    assert result.code == 0, result.err
    assert (data / MARKER).is_file()
    assert len(json.loads((data / "index.json").read_text())["snapshots"]) == 2


@pytest.mark.parametrize(
    ("site", "archive"), [("out", "out"), ("out", "out/archive"), ("a/b", "a")]
)
def test_site_and_archive_in_one_folder_is_a_config_error(
    tmp_path: Path, run_cli: Any, site: str, archive: str
) -> None:
    config = _config(tmp_path / "dash", site=site, archive=f"  dir: {archive}")
    result = run_cli("validate", "-c", str(config))
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"{config}:7: archive.dir: "), lines[0]
    assert "site.output_dir" in lines[0]


DEMO = ("demo", "--projects", "3", "--days", "0", "--no-serve")


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path, run_cli: Any) -> None:
    work = tmp_path / "mine"
    (work / "public").mkdir(parents=True)
    (work / "public" / "index.html").write_text("<p>my own site</p>\n")
    (work / "config.yml").write_text("sources: []\n")
    before = _tree(tmp_path)
    _refused(run_cli(*DEMO, "--dir", str(work)), str(work), "gldash demo")
    assert _tree(tmp_path) == before


def test_demo_runs_again_in_its_own_folder(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLDASH_DEMO_TOKEN", "")  # restored afterwards; the demo sets its own
    work = tmp_path / "demo"
    for _ in range(2):
        result = run_cli(*DEMO, "--dir", str(work))
        assert result.code == 0, result.err
    assert (work / "public" / MARKER).is_file() and (work / "archive" / MARKER).is_file()
