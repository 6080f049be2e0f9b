"""Patches between snapshots: exact round trips, keyed lists, and hostile patches refused."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from gldash_static.archive import delta
from gldash_static.errors import ArchiveError


def _bytes(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True).encode()


OLD: dict[str, Any] = {
    "generated_at": "2026-11-28T06:00:00Z",
    "sources": [
        {
            "url": "https://gitlab.example.com",
            "projects": [
                {"id": 1, "name": "a", "pipelines": [{"id": 12, "s": "ok"}, {"id": 11, "s": "no"}]},
                {"id": 2, "name": "b", "branches": [{"name": "main"}, {"name": "dev"}]},
            ],
        }
    ],
    "tags": ["x", "y"],
}


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.update(generated_at="2026-11-28T07:00:00Z"),
        lambda s: s["sources"][0]["projects"][0]["pipelines"].insert(0, {"id": 13, "s": "ok"}),
        lambda s: s["sources"][0]["projects"][0]["pipelines"].pop(),
        lambda s: s["sources"][0]["projects"].reverse(),
        lambda s: s["sources"][0]["projects"].append({"id": 3, "name": "c"}),
        lambda s: s["sources"][0]["projects"][1].pop("branches"),
        lambda s: s["sources"][0]["projects"][1]["branches"][1].update(name="main"),  # dup key
        lambda s: s.update(tags=["y"]),
        lambda s: s.update(tags=None),
        lambda s: s["sources"][0]["projects"][0].update(id="1"),  # same text, other type
        lambda s: s["sources"][0]["projects"][0]["pipelines"][0].update(id=True),
    ],
)
def test_diff_then_apply_gives_the_newer_value_exactly(change: Any) -> None:
    new = copy.deepcopy(OLD)
    change(new)
    before = _bytes(OLD)
    patch = delta.diff(OLD, new)
    assert patch is not None
    assert _bytes(delta.apply(OLD, json.loads(json.dumps(patch)))) == _bytes(new)
    assert _bytes(OLD) == before  # apply and diff leave their inputs alone


def test_equal_values_need_no_patch_and_an_unchanged_item_is_shared() -> None:
    assert delta.diff(OLD, copy.deepcopy(OLD)) is None
    new = copy.deepcopy(OLD)
    new["generated_at"] = "later"
    patch = delta.diff(OLD, new)
    assert patch == {"{": {"generated_at": {"=": "later"}}}
    result = delta.apply(OLD, patch)
    assert result["sources"] is OLD["sources"]


def test_a_new_pipeline_costs_its_own_record_and_a_run_not_the_whole_list() -> None:
    new = copy.deepcopy(OLD)
    pipelines = new["sources"][0]["projects"][0]["pipelines"]
    pipelines.insert(0, {"id": 13, "s": "ok"})
    pipelines.pop()  # the oldest falls out of the window
    patch = delta.diff(OLD, new)
    edit = patch["{"]["sources"]["["]["p"]['"https://gitlab.example.com"']["{"]["projects"]["["]
    assert "r" not in edit  # the projects kept their order
    pipes = edit["p"]["1"]["{"]["pipelines"]["["]
    assert pipes["r"] == [13, [0, 1]] and list(pipes["p"]) == ["13"]


def test_one_and_one_point_zero_compare_equal_so_the_caller_checks_bytes() -> None:
    # diff uses ==; archive.chain checks the rebuilt bytes and keeps such a snapshot whole.
    assert delta.diff({"d": 1}, {"d": 1.0}) is None


@pytest.mark.parametrize(
    "patch",
    [
        [],
        {"?": 1},
        {"{": []},
        {"{": {}, "-": "generated_at"},
        {"{": {"tags": {"[": {"k": "id", "o": [1], "p": {}}}}},  # not a list of objects
        {"{": {"sources": {"[": {"k": "url", "r": ["https://other"], "p": {}}}}},
        {"{": {"sources": {"[": {"k": "url", "r": "x", "p": {}}}}},
        {"{": {"sources": {"[": {"k": 3, "r": [], "p": {}}}}},
        {"{": {"sources": {"[": {"k": "url", "r": [[0, 2]], "p": {}}}}},
        {"{": {"sources": {"[": {"k": "url", "r": [[1, 0]], "p": {}}}}},
        {"{": {"sources": {"[": {"k": "url", "r": [[0, True]], "p": {}}}}},
        {"{": {"sources": {"[": {"k": "url", "r": [None], "p": {}}}}},
    ],
)
def test_a_patch_that_does_not_fit_is_refused_with_an_archive_error(patch: Any) -> None:
    with pytest.raises(ArchiveError):
        delta.apply(OLD, patch)
