"""Environment rules with a fixed clock: tiers, newest, flags (behind staging, failed, stale)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/factories.py

from factories import deployment, environment

from gldash_static.model import Environment
from gldash_static.rules import environments as rules

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.mark.parametrize(
    ("tier", "expected"),
    [("production", "production"), ("staging", "staging"), (None, "other"), ("<x>", "other")],
)
def test_tier_of_falls_back_to_other(tier: str | None, expected: str) -> None:
    assert rules.tier_of(environment(1, "e", tier, None)) == expected


def test_newest_deployment_is_the_newer_of_attempt_and_success() -> None:
    ok, bad = deployment(1, "p", "success", ago(3)), deployment(2, "p", "failed", ago(1))
    assert rules.newest_deployment(environment(1, "p", "production", ok, bad)) is bad
    assert rules.newest_deployment(environment(1, "p", "production", ok)) is ok
    assert rules.newest_deployment(environment(1, "p", "production", None, bad)) is bad
    assert rules.newest_deployment(environment(1, "p", "production", None)) is None


def test_newest_first_orders_by_newest_deployment_then_name() -> None:
    a = environment(1, "review/a", "development", deployment(1, "review/a", "success", ago(5)))
    b = environment(2, "review/b", "development", deployment(2, "review/b", "success", ago(1)))
    never = environment(3, "review/c", "development", None)
    assert [e["name"] for e in rules.newest_first([a, never, b])] == [
        "review/b",
        "review/a",
        "review/c",
    ]


def test_shown_leaves_out_stopped_but_keeps_unknown() -> None:
    envs = [
        environment(1, "a", "production", None, state="stopped"),
        environment(2, "b", "production", None, state="unknown"),
        environment(3, "c", "production", None, state="stopping"),
    ]
    assert [e["name"] for e in rules.shown(envs)] == ["b", "c"]
    assert rules.shown(None) == []


@pytest.mark.parametrize(
    ("staging", "production", "behind"),
    [
        (("bbbb", 1), ("aaaa", 5), True),  # staging newer, other commit
        (("aaaa", 1), ("aaaa", 5), False),  # same commit, deployed later to staging
        (("bbbb", 5), ("aaaa", 1), False),  # production is newer
        (None, ("aaaa", 1), False),  # nothing staged
        (("bbbb", 1), None, False),  # production never deployed: nothing to be behind of
    ],
)
def test_behind_staging(
    staging: tuple[str, float] | None, production: tuple[str, float] | None, behind: bool
) -> None:
    def env(name: str, spec: tuple[str, float] | None) -> Environment:
        done = deployment(1, name, "success", ago(spec[1]), sha=spec[0]) if spec else None
        return environment(1, name, name, done)

    assert rules.behind_staging(env("production", production), env("staging", staging)) is behind


def test_a_failed_attempt_is_failed_last_only_while_newest() -> None:
    ok, bad = deployment(1, "p", "success", ago(3)), deployment(2, "p", "failed", ago(1))
    assert rules.failed_last(environment(1, "p", "production", ok, bad))
    assert not rules.failed_last(environment(1, "p", "production", ok))
    assert rules.failed_last(environment(1, "p", "production", None, bad))
    running = deployment(3, "p", "running", ago(0.1))
    assert not rules.failed_last(environment(1, "p", "production", ok, running))


@pytest.mark.parametrize(
    ("success_days", "attempt_days", "stale"),
    [
        (29.9, None, False),
        (30, None, True),  # the boundary counts as stale
        (45, 1, True),  # a newer failed attempt deploys nothing
        (None, 40, True),  # never succeeded: the last attempt's age
        (None, 2, False),
        (None, None, False),  # no deployment at all: nothing to age
    ],
)
def test_not_deployed_for(
    success_days: float | None, attempt_days: float | None, stale: bool
) -> None:
    ok = deployment(1, "p", "success", ago(success_days)) if success_days is not None else None
    bad = deployment(2, "p", "failed", ago(attempt_days)) if attempt_days is not None else None
    env = environment(1, "p", "production", ok, bad)
    assert rules.not_deployed_for(env, NOW, 30) is stale
    assert rules.not_deployed_for(env, NOW, 3650) is False


def test_missing_fields_decide_nothing() -> None:
    bare: Environment = {"id": 1, "name": "x"}  # type: ignore[typeddict-item]
    assert rules.tier_of(bare) == "other"
    assert rules.newest_deployment(bare) is None
    assert not rules.failed_last(bare)
    assert not rules.not_deployed_for(bare, NOW, 1)
    assert rules.deployed_at(bare) is None
