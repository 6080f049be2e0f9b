"""docs/snapshot.schema.json is derived from the model and must stay in step with it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from factories import make_snapshot

from gldash_static import snapshot as snapshot_file
from gldash_static.errors import SnapshotError
from gldash_static.model import SCHEMA_VERSION
from gldash_static.snapshot_schema import render, snapshot_schema

DOC = Path(__file__).resolve().parent.parent / "docs" / "snapshot.schema.json"


def test_committed_schema_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "run `make docs` and commit the result"


def test_schema_is_valid_and_accepts_a_snapshot_but_not_a_malformed_one() -> None:
    schema = snapshot_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    good = make_snapshot(projects=3)
    jsonschema.validate(good, schema)
    bad = json.loads(json.dumps(good))
    bad["sources"][0]["projects"][0]["pipelines"][0]["status"] = None
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_snapshot_round_trips_as_json_and_gzip(tmp_path: Path) -> None:
    snap = make_snapshot(projects=4)
    for name in ("s.json", "s.json.gz"):
        snapshot_file.write(snap, tmp_path / name)
        assert snapshot_file.read(tmp_path / name) == snap
    assert (tmp_path / "s.json.gz").read_bytes()[:2] == b"\x1f\x8b"
    # Byte-identical output for the same snapshot (gzip without a timestamp).
    first = (tmp_path / "s.json.gz").read_bytes()
    snapshot_file.write(snap, tmp_path / "s.json.gz")
    assert (tmp_path / "s.json.gz").read_bytes() == first


def test_a_version_2_snapshot_keeps_the_short_id_of_its_pipelines_commits(tmp_path: Path) -> None:
    snap = make_snapshot(projects=2)
    old = json.loads(json.dumps(snap))
    old["schema_version"] = 2
    pipelines = [pl for p in old["sources"][0]["projects"] for pl in p["pipelines"]]
    for n, pipeline in enumerate(pipelines):
        pipeline["sha"] = pipeline.pop("short_sha") + f"{n:032x}"
    pipelines[0]["sha"] = {"hostile": True}  # not a string: no id, not a crash
    snapshot_file.write(old, tmp_path / "v2.json")
    migrated = snapshot_file.read(tmp_path / "v2.json")
    got = [pl for p in migrated["sources"][0]["projects"] for pl in p["pipelines"]]
    want = [pl for p in snap["sources"][0]["projects"] for pl in p["pipelines"]]
    assert all("sha" not in pl for pl in got)
    assert got[0]["short_sha"] == ""
    assert [pl["short_sha"] for pl in got[1:]] == [pl["short_sha"] for pl in want[1:]]
    assert migrated["schema_version"] == SCHEMA_VERSION


def test_a_version_3_snapshot_knows_no_jobs_reports_or_streaks(tmp_path: Path) -> None:
    old = json.loads(json.dumps(make_snapshot(projects=3)))
    old["schema_version"] = 3
    for project in old["sources"][0]["projects"]:
        project.pop("red_streak")
        for pipeline in project["pipelines"]:
            pipeline.pop("jobs"), pipeline.pop("test_report")
    snapshot_file.write(old, tmp_path / "v3.json")
    migrated = snapshot_file.read(tmp_path / "v3.json")
    projects = migrated["sources"][0]["projects"]
    assert all(p["red_streak"] is None for p in projects)
    pipelines = [pl for p in projects for pl in p["pipelines"]]
    # Unknown, not empty: the next refresh reads these projects' pipelines afresh.
    assert pipelines and all(pl["jobs"] is None and pl["test_report"] is None for pl in pipelines)
    jsonschema.validate(migrated, snapshot_schema())


def test_future_schema_version_is_refused(tmp_path: Path) -> None:
    snap = make_snapshot(projects=1)
    snap["schema_version"] = 99
    snapshot_file.write(snap, tmp_path / "s.json")
    with pytest.raises(SnapshotError, match="newer than this gldash supports"):
        snapshot_file.read(tmp_path / "s.json")
