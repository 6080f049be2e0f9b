"""Fixtures for fetch tests: simulators of a small and of today's size, configs for them.

Most tests fetch SMALL (fast, yet every kind of project is in it), tests about one project
or about failures TINY; the ground-truth tests in test_fetch.py fetch BIG, today's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fetch_helpers import BIG, SMALL, TINY, left_as_found, make_config

from gldash_static.config import Config
from gldash_static.simulator import Simulator


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    """A fresh SMALL organisation (100 projects), its admin token in $GITLAB_TOKEN."""
    with Simulator(SMALL) as server:
        monkeypatch.setenv("GITLAB_TOKEN", server.token)
        yield server


@pytest.fixture
def tiny_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    """A fresh TINY organisation (60 projects, 8 published), its admin token in $GITLAB_TOKEN."""
    with Simulator(TINY) as server:
        monkeypatch.setenv("GITLAB_TOKEN", server.token)
        yield server


@pytest.fixture
def big_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    """A fresh BIG organisation (500 projects), its admin token in $GITLAB_TOKEN."""
    with Simulator(BIG) as server:
        monkeypatch.setenv("GITLAB_TOKEN", server.token)
        yield server


@pytest.fixture(scope="module")
def _module_sim() -> Iterator[Simulator]:
    with Simulator(SMALL) as server:
        yield server


@pytest.fixture
def shared_sim(_module_sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    """The module's SMALL organisation, for tests that only read it (checked afterwards)."""
    monkeypatch.setenv("GITLAB_TOKEN", _module_sim.token)
    with left_as_found(_module_sim):
        yield _module_sim


@pytest.fixture
def config_for(tmp_path: Path) -> Callable[..., Config]:
    """Build a config for a simulator."""

    def build(sim: Simulator, extra: str = "", groups: list[str] | None = None) -> Config:
        return make_config(sim, tmp_path, extra, groups)

    return build
