"""One source of defaults: config/schema.py. A minimal config.yml, the typed records built in
code and the schema agree on every key, so a default changed in one place cannot drift."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from gldash_static.config import parse_config, settings
from gldash_static.config.kinds import Section, SectionList
from gldash_static.config.schema import ARCHIVE, FETCH, RETENTION, ROOT, SITE, SOURCE, defaults
from gldash_static.rules.facts import STALE_BRANCH_DAYS

MINIMAL = "sources:\n  - url: https://gitlab.example.com\n    groups: [acme]\n"

# Each record with its schema section, and the fields MINIMAL sets or that come from elsewhere.
RECORDS: list[tuple[str, Section, type[Any], dict[str, Any]]] = [
    (
        "sources[0]",
        SOURCE,
        settings.SourceSettings,
        {"url": "https://gitlab.example.com", "name": "gitlab.example.com", "groups": ("acme",)},
    ),
    ("fetch", FETCH, settings.FetchSettings, {}),
    (
        "site",
        SITE,
        settings.SiteSettings,
        {
            "stale_branch_days": defaults(FETCH)["stale_branch_days"],
            "project_url": None,
            "default_branch": "main",
            "pages_url": None,
        },
    ),
    ("archive.retention", RETENTION, settings.RetentionSettings, {}),
    ("archive", ARCHIVE, settings.ArchiveSettings, {"retention": None}),
]


@pytest.fixture
def minimal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> settings.Config:
    for name in ("CI_PROJECT_URL", "CI_DEFAULT_BRANCH", "CI_SERVER_URL", "CI_PAGES_URL"):
        monkeypatch.delenv(name, raising=False)
    return parse_config(MINIMAL, tmp_path / "config.yml")


def _record(config: settings.Config, where: str) -> Any:
    value: Any = config
    for part in where.replace("[0]", ".0").split("."):
        value = value[int(part)] if part.isdigit() else getattr(value, part)
    return value


def _as_loaded(value: Any, base: Path) -> Any:
    """A declared default as validation returns it: paths resolved against the config's folder."""
    if isinstance(value, Path):
        return (base / value).resolve()
    if isinstance(value, tuple):
        return tuple(_as_loaded(item, base) for item in value)
    return value


@pytest.mark.parametrize(("where", "section", "record", "derived"), RECORDS)
def test_every_key_left_out_gets_the_schema_default(
    minimal: settings.Config,
    tmp_path: Path,
    where: str,
    section: Section,
    record: type[Any],
    derived: dict[str, Any],
) -> None:
    declared = defaults(section)
    loaded = _record(minimal, where)
    built = record(url="u", name="n") if record is settings.SourceSettings else record()
    fields = {f.name for f in dataclasses.fields(record)}
    # Every schema key is a field, and every other field is accounted for.
    assert set(declared) <= fields
    assert fields - set(declared) <= set(derived)
    for key in section.keys:
        if key.name in derived or isinstance(key.kind, Section | SectionList):
            continue
        assert getattr(built, key.name) == declared[key.name], f"{where}.{key.name} in code"
        expected = _as_loaded(declared[key.name], tmp_path)
        assert getattr(loaded, key.name) == expected, f"{where}.{key.name} from config.yml"
    for name, value in derived.items():
        if value is not None:
            assert getattr(loaded, name) == value, f"{where}.{name}"


def test_the_top_level_defaults(minimal: settings.Config, tmp_path: Path) -> None:
    assert minimal.snapshot == (tmp_path / defaults(ROOT)["snapshot"]).resolve()
    assert settings.Config(path=tmp_path, sources=()).snapshot == defaults(ROOT)["snapshot"]


def test_records_built_in_code_equal_the_schema_defaults() -> None:
    site, fetch = settings.SiteSettings(), settings.FetchSettings()
    assert site.stale_branch_days == fetch.stale_branch_days == STALE_BRANCH_DAYS
    assert settings.ArchiveSettings().retention == settings.RetentionSettings()


@pytest.mark.parametrize(
    ("archive", "site", "expected"),
    [
        ("", "", False),  # artifacts carry-forward: the build keeps the whole one outside
        ("", "site:\n  snapshot_job_attempts: true\n", True),
        ("archive:\n  carry_forward: none\n", "", False),
        # URL carry-forward reads the previous snapshot back from the site: it must be whole.
        (
            "archive:\n  carry_forward: url\n  carry_forward_url: https://dash.example.com/\n",
            "site:\n  snapshot_job_attempts: false\n",
            True,
        ),
    ],
)
def test_the_published_snapshot_keeps_job_attempts_when_carry_forward_reads_it_back(
    tmp_path: Path, archive: str, site: str, expected: bool
) -> None:
    config = parse_config(MINIMAL + site + archive, tmp_path / "config.yml")
    assert config.site.snapshot_job_attempts is expected
