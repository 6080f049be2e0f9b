"""Fixtures for fetch tests: a simulator and configs pointing at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fetch_helpers import make_config

from gldash_static.config import Config
from gldash_static.simulator import OrgSpec, Simulator


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    """A fresh 500-project organisation, its admin token in $GITLAB_TOKEN."""
    with Simulator(OrgSpec(projects=500, seed=2)) as server:
        monkeypatch.setenv("GITLAB_TOKEN", server.token)
        yield server


@pytest.fixture
def small_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    """A 100-project organisation, for tests that fetch private projects too."""
    with Simulator(OrgSpec(projects=100, seed=2)) as server:
        monkeypatch.setenv("GITLAB_TOKEN", server.token)
        yield server


@pytest.fixture
def config_for(tmp_path: Path) -> Callable[..., Config]:
    """Build a config for a simulator."""

    def build(sim: Simulator, extra: str = "", groups: list[str] | None = None) -> Config:
        return make_config(sim, tmp_path, extra, groups)

    return build
