"""The committed schema-version-1 snapshot is still read, migrated, archived and rendered.

tests/fixtures/snapshot-v1.json is never regenerated: when the schema changes, add a
migration to gldash_static.snapshot.MIGRATIONS instead, and this test keeps proving it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from gldash_static import snapshot as snapshot_io
from gldash_static.archive import Archive
from gldash_static.config import ArchiveSettings, SiteSettings
from gldash_static.model import SCHEMA_VERSION
from gldash_static.render import render_site
from gldash_static.snapshot_schema import snapshot_schema

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "snapshot-v1.json"
PROJECTS = [
    "acme/platform/service-00000",
    "acme/payments/service-00001",
    "acme/web/service-00002",
    "acme/platform/service-00003",
    "acme/payments/service-00004",
]


def test_fixture_is_version_1_and_untouched() -> None:
    raw = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert raw["schema_version"] == 1
    assert raw["generated_at"] == "2026-11-28T06:00:00.000Z"
    assert [p["path_with_namespace"] for p in raw["sources"][0]["projects"]] == PROJECTS


def test_current_code_reads_and_migrates_it() -> None:
    snapshot = snapshot_io.read(FIXTURE)
    assert snapshot["schema_version"] == SCHEMA_VERSION
    jsonschema.validate(snapshot, snapshot_schema())


def test_it_is_archived_and_rendered_with_the_archive_pages(tmp_path: Path) -> None:
    archive = Archive(ArchiveSettings(dir=tmp_path / "archive", carry_forward="none"))
    row = archive.add(snapshot_io.read(FIXTURE))
    assert row["path"] == "2026/11/28/060000Z.json.gz" and row["projects"] == 5
    snapshot = snapshot_io.read(tmp_path / "archive" / row["path"])
    public = tmp_path / "public"
    render_site(
        snapshot,
        public,
        SiteSettings(),
        extra_pages=archive.pages(snapshot),
        extra_files=archive.files(),
    )
    projects = (public / "projects.html").read_text(encoding="utf-8")
    assert all(path in projects for path in PROJECTS)
    assert "2026-11-28" in (public / "trends.html").read_text(encoding="utf-8")
    assert (public / "archive" / row["path"]).is_file()


def test_a_past_snapshot_renders_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., Any]
) -> None:
    archive = Archive(ArchiveSettings(dir=tmp_path / "archive", carry_forward="none"))
    row = archive.add(snapshot_io.read(FIXTURE))
    monkeypatch.chdir(tmp_path)  # no config.yml here: built-in site defaults
    result = run_cli("render", "--snapshot", f"archive/{row['path']}", "--out", "old")
    assert result.code == 0, result.err
    assert "acme/web/service-00002" in (tmp_path / "old" / "projects.html").read_text()


def test_render_with_a_config_keeps_the_archive_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., Any]
) -> None:
    archive = Archive(ArchiveSettings(dir=tmp_path / "archive", carry_forward="none"))
    row = archive.add(snapshot_io.read(FIXTURE))
    (tmp_path / "config.yml").write_text(
        "sources:\n  - url: https://gitlab.example.com\n    groups: [acme]\n"
        "archive:\n  dir: archive\n  carry_forward: none\n"
    )
    monkeypatch.chdir(tmp_path)
    result = run_cli("render", "--snapshot", f"archive/{row['path']}")
    assert result.code == 0, result.err
    assert (tmp_path / "public" / "trends.html").is_file()
    # The newest snapshot is the one rendered: published once, as snapshot.json.gz.
    assert not (tmp_path / "public" / "archive" / row["path"]).exists()
    published = (tmp_path / "public" / "snapshot.json.gz").read_bytes()
    assert published == (tmp_path / "archive" / row["path"]).read_bytes()
