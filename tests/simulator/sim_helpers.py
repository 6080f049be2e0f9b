"""Helpers for simulator tests: documented examples and python-gitlab clients."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import gitlab

from gldash_static.simulator import Simulator

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "gitlab-api-examples"


def load_example(name: str) -> Any:
    """A documented GitLab response body (the `.jsonc` comment stripped)."""
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    if name.endswith(".jsonc"):
        text = re.sub(r"\s//[^\n]*", "", text)
    return json.loads(text)


def client(sim: Simulator, token: str | None = None, **kwargs: Any) -> gitlab.Gitlab:
    """python-gitlab pointed at the simulator, as the fetcher would configure it."""
    kwargs.setdefault("timeout", 10)
    return gitlab.Gitlab(sim.url, private_token=token or sim.token, **kwargs)
