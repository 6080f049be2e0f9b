"""Shared fixtures: one read-only simulator per session, fresh ones for tests that mutate."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gitlab
import pytest

from gldash_static.simulator import OrgSpec, Simulator

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "gitlab-api-examples"


def load_example(name: str) -> Any:
    """A documented GitLab response body (the `.jsonc` comment stripped)."""
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    if name.endswith(".jsonc"):
        text = re.sub(r"\s//[^\n]*", "", text)
    return json.loads(text)


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


def client(sim: Simulator, token: str | None = None, **kwargs: Any) -> gitlab.Gitlab:
    """python-gitlab pointed at the simulator, as the fetcher would configure it."""
    kwargs.setdefault("timeout", 10)
    return gitlab.Gitlab(sim.url, private_token=token or sim.token, **kwargs)


@pytest.fixture()
def gl(sim: Simulator) -> gitlab.Gitlab:
    """An administrator client of the shared simulator."""
    return client(sim)
