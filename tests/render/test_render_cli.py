"""`gldash render` and `gldash serve`."""

from __future__ import annotations

import gzip
import urllib.request
from email.message import Message
from pathlib import Path
from urllib.error import HTTPError

import pytest
from factories import make_snapshot
from render_support import serve

from gldash_static import snapshot as snapshot_io
from gldash_static.cli.main import main
from gldash_static.cli.serve import make_server
from gldash_static.errors import UsageError


def test_render_defaults_without_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    snapshot_io.write(make_snapshot(projects=3), tmp_path / "snapshot.json")
    assert main(["render"]) == 0
    assert (tmp_path / "public" / "index.html").is_file()


def test_render_with_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    snapshot_io.write(make_snapshot(projects=2), tmp_path / "snap.json.gz")
    assert main(["render", "--snapshot", "snap.json.gz", "--out", "site"]) == 0
    assert (tmp_path / "site" / "projects.html").is_file()


def test_render_missing_snapshot_is_one_clean_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["render", "--snapshot", "nope.json"]) == 1
    err = capsys.readouterr().err
    assert "error: nope.json: snapshot not found" in err.splitlines()
    assert "Traceback" not in err
    assert not (tmp_path / "public").exists()


def _get(url: str, gzip_ok: bool = False) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_serve_types_gzip_and_404(site_dir: Path) -> None:
    for base in serve(site_dir):
        status, headers, body = _get(base + "index.html")
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert body == (site_dir / "index.html").read_bytes()
        _, headers, _ = _get(base + "assets/gldash.js")
        assert headers["Content-Type"] == "text/javascript; charset=utf-8"
        _, headers, _ = _get(base + "metrics.txt")
        assert headers["Content-Type"] == "text/plain; charset=utf-8"
        status, headers, body = _get(base + "projects.html", gzip_ok=True)
        assert headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(body) == (site_dir / "projects.html").read_bytes()
        status, _, body = _get(base + "p/does-not-exist.html")
        assert status == 404 and b"Page not found" in body


def test_serve_binds_loopback_only(site_dir: Path) -> None:
    server = make_server(site_dir, 0)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()


def test_serve_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="run `gldash render` first"):
        make_server(tmp_path / "public", 0)


CONFIG = """\
sources:
  - url: https://gitlab.example.com
    groups: [acme]
site:
  title: From the config
  timezone: Asia/Tokyo
  output_dir: site
"""


def test_render_reads_config_from_cwd_and_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    snapshot_io.write(make_snapshot(projects=2), tmp_path / "snapshot.json")
    (tmp_path / "config.yml").write_text(CONFIG, encoding="utf-8")
    assert main(["render"]) == 0
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "From the config" in index and "JST" in index
    (tmp_path / "other.yml").write_text(CONFIG.replace("site\n", "other\n"), encoding="utf-8")
    assert main(["render", "-c", "other.yml", "--out", "third"]) == 0
    assert (tmp_path / "third" / "index.html").is_file()


def test_render_bad_config_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yml").write_text("site: [\n", encoding="utf-8")
    assert main(["render"]) == 2
