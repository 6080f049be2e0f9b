"""Shared fixtures: one read-only simulator per session, fresh ones for tests that mutate."""

from __future__ import annotations

from collections.abc import Iterator

import gitlab
import pytest
from sim_helpers import client

from gldash_static.simulator import OrgSpec, Simulator


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    """A read-only simulator shared by the whole session: never mutate it."""
    with Simulator(OrgSpec(projects=300, seed=7)) as s:
        yield s


@pytest.fixture()
def fresh_sim() -> Iterator[Simulator]:
    """A small simulator a test may mutate."""
    with Simulator(OrgSpec(projects=60, seed=3)) as s:
        yield s


@pytest.fixture()
def gl(sim: Simulator) -> gitlab.Gitlab:
    """An administrator client of the shared simulator."""
    return client(sim)
