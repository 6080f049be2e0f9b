"""The build job's plumbing: which token goes where when the archive is carried forward."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gldash_static import pipeline
from gldash_static.archive import Archive
from gldash_static.config import parse_config

CONFIG = """\
sources:
  - url: https://gitlab.one.example
    token_env: ONE_TOKEN
    groups: [a]
  - url: https://gitlab.two.example
    token_env: TWO_TOKEN
    groups: [b]
archive:
  dir: archive
"""


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("https://gitlab.two.example", "two-secret"),
        ("https://gitlab.one.example/", "one-secret"),
        ("https://gitlab.elsewhere.example", None),
    ],
)
def test_carry_forward_sends_a_token_only_to_its_own_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str, expected: str | None
) -> None:
    (tmp_path / "config.yml").write_text(CONFIG)
    config = parse_config(CONFIG, tmp_path / "config.yml")
    monkeypatch.setenv("ONE_TOKEN", "one-secret")
    monkeypatch.setenv("TWO_TOKEN", "two-secret")
    monkeypatch.setenv("CI_SERVER_URL", server)
    monkeypatch.setenv("CI_PROJECT_ID", "42")
    monkeypatch.setenv("CI_DEFAULT_BRANCH", "main")
    seen: dict[str, Any] = {}

    def fake(self: Archive, url: str, token: str | None, *args: Any, **kwargs: Any) -> Any:
        seen.update(url=url, token=token)
        return type("R", (), {"snapshots": 0, "mode": "artifacts"})()

    monkeypatch.setattr(Archive, "carry_forward", fake)
    archive = pipeline.open_archive(config)
    assert archive is not None
    pipeline.carry_forward(config, archive, allow_empty=True)
    assert seen == {"url": server.rstrip("/"), "token": expected}
