"""Which pipelines a project keeps (fetch/pipelines.py), on plain list items."""

from __future__ import annotations

from typing import Any, cast

import pytest

from gldash_static.fetch.pipelines import enough_listed, reusable, select, summary_of
from gldash_static.model import Pipeline

T1 = "2026-11-28T05:43:44Z"  # a stored pipeline's time: to the second
T1_MS = "2026-11-28T05:43:44.372Z"  # the same second as a REST listing writes it
T2 = "2026-11-28T05:43:45.001Z"


def item(pid: int, ref: str = "main", status: str = "success", updated: str = T1) -> dict[str, Any]:
    """A pipeline list item."""
    return {"id": pid, "ref": ref, "status": status, "updated_at": updated}


def ids(items: list[dict[str, Any]]) -> list[int]:
    """The ids, in order."""
    return [int(i["id"]) for i in items]


@pytest.mark.parametrize(
    ("candidates", "keep", "expected"),
    [
        pytest.param([], 3, [], id="nothing listed"),
        pytest.param(
            [item(1), item(5), item(3), item(4), item(2)], 3, [5, 4, 3], id="newest N, newest first"
        ),
        pytest.param([item(2), item(1)], 5, [2, 1], id="fewer than N on the default branch"),
        pytest.param(
            [item(9), item(8, "dev"), item(7, "dev"), item(6), item(5), item(4, "old")],
            2,
            [9, 8, 6],
            id="latest of each other ref inside the window of the N defaults",
        ),
        pytest.param(
            [item(3, "dev"), item(2, "dev"), item(1, "feature")],
            2,
            [3, 1],
            id="no default-branch pipeline: the latest of every ref",
        ),
        pytest.param(
            [item(4), item(3, "dev"), item(2, "feature")],
            3,
            [4, 3, 2],
            id="window is everything listed while the defaults fall short of N",
        ),
        pytest.param(
            [item(5), item(5, status="failed"), item(4)],
            5,
            [5, 4],
            id="a pipeline listed twice counts once (the later item wins)",
        ),
    ],
)
def test_select(candidates: list[dict[str, Any]], keep: int, expected: list[int]) -> None:
    assert ids(select(candidates, "main", keep)) == expected


def test_select_keeps_the_later_duplicate_and_ignores_list_order() -> None:
    chosen = select([item(5, status="running"), item(5, status="success")], "main", 2)
    assert chosen == [item(5, status="success")]  # fresh items follow the stored summaries
    shuffled = [item(2), item(7, "dev"), item(4), item(9)]
    assert ids(select(shuffled, "main", 2)) == ids(select(sorted(shuffled, key=str), "main", 2))


def test_select_with_no_default_branch_treats_other_refs_alike() -> None:
    # An empty project has no default branch: every ref is "other", the latest of each kept.
    assert ids(select([item(3, "a"), item(2, "b"), item(1, "a")], None, 2)) == [3, 2]


@pytest.mark.parametrize(
    ("listed", "keep", "enough"),
    [
        ([], 1, False),
        ([item(3), item(2, "dev"), item(1)], 2, True),
        ([item(3), item(2, "dev"), item(1, "dev")], 2, False),
        ([item(3), item(2)], 0, True),
    ],
)
def test_enough_listed(listed: list[dict[str, Any]], keep: int, enough: bool) -> None:
    assert enough_listed(listed, "main", keep) is enough


def stored(status: str = "success", updated: str = T1) -> Pipeline:
    """A stored pipeline with more fields than a list item has."""
    return cast(
        Pipeline,
        {"id": 5, "ref": "main", "status": status, "updated_at": updated, "sha": "abc", "iid": 2},
    )


@pytest.mark.parametrize(
    ("previous", "summary", "reuse"),
    [
        pytest.param(stored(), item(5), True, id="finished and unchanged"),
        pytest.param(stored(), item(5, updated=T1_MS), True, id="same second, in milliseconds"),
        pytest.param(
            stored(updated=T1_MS), item(5), True, id="stored in milliseconds by an older gldash"
        ),
        pytest.param(stored(updated=""), item(5, updated=""), False, id="no time on either"),
        pytest.param(stored(), item(5, updated="yesterday"), False, id="unreadable time"),
        pytest.param(None, item(5), False, id="never seen"),
        pytest.param(stored(), item(5, updated=T2), False, id="updated since (retried)"),
        pytest.param(stored(), item(5, status="failed"), False, id="status differs"),
        pytest.param(stored("running"), item(5, "main", "running"), False, id="not finished"),
        pytest.param(stored("canceling"), item(5, "main", "canceling"), False, id="canceling"),
        pytest.param(stored("skipped"), item(5, "main", "skipped"), True, id="skipped is final"),
        pytest.param(stored(), {"id": 5}, False, id="list item without the fields"),
    ],
)
def test_reusable(previous: Pipeline | None, summary: dict[str, Any], reuse: bool) -> None:
    assert reusable(previous, summary) is reuse


def test_summary_of_is_the_list_item_view_and_round_trips_through_select() -> None:
    summary = summary_of(stored())
    assert summary == item(5)
    assert reusable(stored(), summary)
    assert select([summary], "main", 1) == [summary]
