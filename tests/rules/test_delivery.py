"""Delivery figures (rules/delivery.py) on a hand-built deployment history, values by hand."""

from __future__ import annotations

from typing import Any

import pytest

from gldash_static.rules import delivery
from gldash_static.rules.delivery import DeliveryFigures


def dep(
    ident: int,
    env: str,
    status: str,
    created: str,
    finished: str | None,
    *,
    committed: str | None = None,
    sha: str = "0000000",
    title: str | None = "Change",
) -> dict[str, Any]:
    """A deployment record; times are "MM-DD HH:MM" of November 2026, UTC."""

    def at(text: str | None) -> str | None:
        return None if text is None else f"2026-{text[:5]}T{text[6:]}:00.000Z"

    return {
        "id": ident,
        "iid": ident,
        "environment": env,
        "status": status,
        "ref": "main",
        "short_sha": sha,
        "commit_title": title,
        "committed_at": at(committed),
        "created_at": at(created),
        "finished_at": at(finished),
        "username": "ann",
        "job_name": "deploy",
        "job_id": ident * 10,
        "pipeline_id": ident * 100,
        "web_url": None,
    }


ENVIRONMENTS: list[Any] = [
    {"id": 1, "name": "production", "tier": "production", "state": "available"},
    {"id": 2, "name": "staging", "tier": "staging", "state": "available"},
    {"id": 3, "name": "live-eu", "tier": None, "state": "available"},  # guessed: production
    {"id": 4, "name": "prod-mirror", "tier": "staging", "state": "available"},  # tier wins
    None,
    {"name": 7, "tier": ["production"]},
]

HISTORY: list[Any] = [
    # production. d1: lead 08:10 - 07:10 = 3600 s.
    dep(
        1, "production", "success", "11-10 08:00", "11-10 08:10", committed="11-10 07:10", sha="aaa"
    ),
    # d2: lead 10:05 - 08:05 = 7200 s; rolled back by d3 (aaa ran before d2) -> failed change.
    dep(
        2, "production", "success", "11-10 10:00", "11-10 10:05", committed="11-10 08:05", sha="bbb"
    ),
    dep(
        2, "production", "success", "11-10 10:00", "11-10 10:05", committed="11-10 08:05", sha="bbb"
    ),
    # d3: the rollback to aaa, committed_at unknown (no lead time); the next deciding deployment,
    # d4 (created 11-11 09:00, within 24 h of 11-10 12:10), failed -> failed change.
    dep(3, "production", "success", "11-10 12:00", "11-10 12:10", sha="aaa"),
    # A canceled deployment neither is "the next deployment" nor counts.
    dep(8, "production", "canceled", "11-10 13:00", "11-10 13:01", sha="zzz"),
    # d4 failed at 09:30: an outage opens.
    dep(4, "production", "failed", "11-11 09:00", "11-11 09:30", sha="ccc"),
    # d5 restores it: 11:45 - 09:30 = 8100 s; lead 11:45 - 08:45 = 10800 s.
    dep(
        5, "production", "success", "11-11 11:00", "11-11 11:45", committed="11-11 08:45", sha="ccc"
    ),
    # d6 starts on the 11th, finishes after midnight: counted on the 12th; lead 3600 s.
    # Reverted by d7 (created 11-12 20:00, within 24 h of 00:20) -> failed change.
    dep(
        6,
        "production",
        "success",
        "11-11 23:50",
        "11-12 00:20",
        committed="11-11 23:20",
        sha="ddd",
        title="Add payments",
    ),
    # d7: the revert, lead 20:10 - 20:00 = 600 s. Nothing follows it.
    dep(
        7,
        "production",
        "success",
        "11-12 20:00",
        "11-12 20:10",
        committed="11-12 20:00",
        sha="eee",
        title='Revert "Add payments"',
    ),
    # live-eu (no tier, guessed production): counted, but its commit is dated after the deploy
    # finished (a wrong clock): no lead time.
    dep(20, "live-eu", "success", "11-10 05:00", "11-10 05:30", committed="11-10 06:00", sha="x1"),
    # staging and the staging-tiered prod-mirror never count, not even a failure or a revert.
    dep(30, "staging", "success", "11-10 07:00", "11-10 07:05", committed="11-10 06:00"),
    dep(31, "staging", "failed", "11-10 07:30", "11-10 07:35"),
    dep(32, "staging", "success", "11-10 08:00", "11-10 08:05", title='Revert "Add login"'),
    dep(33, "prod-mirror", "success", "11-10 09:00", "11-10 09:05"),
    dep(34, "review/feature-x", "success", "11-10 09:00", "11-10 09:05"),  # guessed development
    # Garbage, skipped.
    None,
    "deployment",
    {"id": "9", "environment": "production", "status": "success"},
    {"id": True, "environment": "production", "status": "success", "created_at": "2026-11-10"},
    dep(40, "production", "success", "garbage", None),
    dep(41, "production", "exploded", "11-10 09:00", "11-10 09:05"),
    {**dep(42, "production", "success", "11-10 09:00", None), "environment": None},
    dep(43, "production", "running", "11-10 13:30", None),
]


def test_a_deployment_history_per_day() -> None:
    days = delivery.daily(list(reversed(HISTORY)), ENVIRONMENTS)  # any order will do
    assert sorted(days) == ["2026-11-10", "2026-11-11", "2026-11-12"]
    # 10th: d1, d2, d3 on production and d20 on live-eu = 4; failed changes d2 (rollback) and
    # d3 (next failed) = 2; leads [3600, 7200] (d3 unknown, d20 negative): nearest-rank p50 is
    # the 1st of 2 = 3600.
    ten = days["2026-11-10"]
    assert (ten.deployments, ten.failed_changes, ten.restores) == (4, 2, ())
    assert sorted(ten.lead_times) == [3600.0, 7200.0]
    assert ten.lead_p50 == 3600.0 and ten.restore_p50 is None
    assert ten.change_failure_rate == 0.5
    # 11th: d5 only (d4 failed); lead 10800; restore 8100; d5 is followed by d6 (no rollback,
    # no revert) and d7 comes after its window (11-12 11:45) -> not failed.
    assert days["2026-11-11"] == DeliveryFigures(
        deployments=1, failed_changes=0, lead_times=(10800.0,), restores=(8100.0,)
    )
    # 12th: d6 (after midnight) and d7; d6 reverted -> 1 failed; leads [3600, 600] -> p50 600.
    twelve = days["2026-11-12"]
    assert (twelve.deployments, twelve.failed_changes, twelve.restores) == (2, 1, ())
    assert sorted(twelve.lead_times) == [600.0, 3600.0] and twelve.lead_p50 == 600.0


def test_a_later_deployment_outside_the_window_is_not_a_failure() -> None:
    days = delivery.daily(
        [
            dep(1, "production", "success", "11-10 08:00", "11-10 08:10", sha="aaa"),
            dep(2, "production", "success", "11-10 09:00", "11-10 09:10", sha="bbb"),
            # 24 h after 09:10 exactly: inside; 1 minute later would be outside.
            dep(3, "production", "success", "11-11 09:10", "11-11 09:20", sha="aaa"),
            dep(4, "production", "success", "11-12 10:00", "11-12 10:10", sha="ccc"),
            dep(5, "production", "failed", "11-13 10:11", "11-13 10:15", sha="ddd"),
        ],
        None,  # environments not known: every tier is guessed from the name
    )
    assert days["2026-11-10"].failed_changes == 1  # d2 rolled back by d3 at the window's edge
    assert days["2026-11-11"].failed_changes == 0  # d3: next d4 is neither failed nor a rollback
    assert days["2026-11-12"].failed_changes == 0  # d4: the failure came 24 h 1 min later
    # The failure after d4 opens an outage nothing closes yet: no restore anywhere.
    assert all(not f.restores for f in days.values())


def test_time_to_restore_starts_at_the_first_failure() -> None:
    days = delivery.daily(
        [
            # First known deployment failed (no finished_at: its created_at 06:00 is used),
            # another failure does not move the start; the success at 09:30 restores: 3.5 h.
            dep(1, "production", "failed", "11-10 06:00", None),
            dep(2, "production", "failed", "11-10 07:00", "11-10 07:10"),
            dep(3, "production", "success", "11-10 09:00", "11-10 09:30"),
            # A second outage: failed 23:00 (finished 23:10), restored 11-11 01:10: 7200 s,
            # attributed to the 11th when the success finished.
            dep(4, "production", "failed", "11-10 23:00", "11-10 23:10"),
            dep(5, "production", "success", "11-11 00:50", "11-11 01:10"),
        ],
        [{"id": 1, "name": "production", "tier": None}],
    )
    assert days["2026-11-10"].restores == (12600.0,)
    # d3, the only success of the 10th, is followed by d4 failing 14 h later: a failed change.
    assert (days["2026-11-10"].deployments, days["2026-11-10"].failed_changes) == (1, 1)
    assert days["2026-11-11"].restores == (7200.0,) and days["2026-11-11"].restore_p50 == 7200.0


@pytest.mark.parametrize(
    ("name", "tier"),
    [
        ("production", "production"),
        ("Prod", "production"),
        ("prd-eu", "production"),
        ("live", "production"),
        ("delivery", "production"),  # "de-live-ry": GitLab's own regex says so
        ("preprod", "staging"),  # staging's "pre" is tried before production
        ("prod-review", "development"),
        ("production-internal", "testing"),  # "int"
        ("staging", "staging"),
        ("qa", "testing"),
        ("sandbox", "other"),
    ],
)
def test_tier_guessed_as_gitlab_does(name: str, tier: str) -> None:
    assert delivery.guess_tier(name) == tier


def test_group_figures_pool_the_samples() -> None:
    a = DeliveryFigures(deployments=4, failed_changes=2, lead_times=(3600.0, 7200.0))
    b = DeliveryFigures(
        deployments=3, failed_changes=0, lead_times=(60.0, 120.0, 9000.0), restores=(300.0,)
    )
    both = a + b
    assert (both.deployments, both.failed_changes, len(both.lead_times)) == (7, 2, 5)
    # Pooled [60, 120, 3600, 7200, 9000]: the 3rd of 5 = 3600 (a median of the two medians,
    # 3600 and 120, would say 120).
    assert both.lead_p50 == 3600.0 and both.restore_p50 == 300.0
    assert both.change_failure_rate == pytest.approx(2 / 7)
    assert DeliveryFigures().change_failure_rate is None and DeliveryFigures().lead_p50 is None


def test_nothing_readable_is_nothing() -> None:
    assert delivery.daily([None, 3, {"id": 1}], [None, "x"]) == {}
    assert delivery.daily([], None) == {}


def test_times_at_the_ends_of_the_calendar_do_not_crash() -> None:
    edge = [
        {
            **dep(1, "production", "success", "11-10 08:00", None),
            "created_at": "0001-01-01T00:00:00+01:00",
        },
        {
            **dep(2, "production", "success", "11-10 08:00", None),
            "finished_at": "9999-12-31T23:59:59Z",
        },
        {
            **dep(3, "production", "failed", "11-10 09:00", None),
            "created_at": "9999-12-31T23:59:59Z",
        },
    ]
    # d1 has no readable time at all: skipped. d2 (created 11-10 08:00) finished in 9999 and
    # is followed by d3 failing (created in 9999, inside the unbounded window): a failed change.
    assert delivery.daily(edge, None) == {
        "9999-12-31": DeliveryFigures(deployments=1, failed_changes=1)
    }


def test_the_finished_view_of_a_duplicated_deployment_wins() -> None:
    early = dep(1, "production", "success", "11-10 08:00", None)  # an older snapshot's view
    late = dep(1, "production", "success", "11-10 08:00", "11-10 08:30", committed="11-10 08:00")
    for order in ([early, late], [late, early, late]):
        # One deployment on the 10th, lead 08:30 - 08:00 = 1800 s.
        assert delivery.daily(order, None) == {
            "2026-11-10": DeliveryFigures(deployments=1, lead_times=(1800.0,))
        }
