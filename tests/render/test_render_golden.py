"""A small committed site guards against unintended changes to the output.

Regenerate after an intended change:
  GLDASH_UPDATE_GOLDEN=1 pytest tests/render/test_render_golden.py
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

from gldash_static import snapshot as snapshot_io
from gldash_static.config.settings import SiteSettings
from gldash_static.render import render_site

GOLDEN = Path(__file__).resolve().parent / "golden"
SETTINGS = dict(title="Golden dashboard", timezone="Europe/Berlin", freshness_warning_hours=12)


def _render(out: Path) -> None:
    # The snapshot is committed JSON, not the factory, so factory changes cannot move the golden.
    snap = snapshot_io.read(GOLDEN / "snapshot.json")
    settings = SiteSettings(pages=(GOLDEN / "oncall.md",), **SETTINGS)  # type: ignore[arg-type]
    render_site(snap, out, settings)


def _texts(root: Path) -> dict[str, bytes]:
    # .gz copies are checked elsewhere; here they would only make diffs unreadable.
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix != ".gz"
    }


def test_golden_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    _render(out)
    if os.environ.get("GLDASH_UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN / "site", ignore_errors=True)
        shutil.copytree(out, GOLDEN / "site", ignore=shutil.ignore_patterns("*.gz"))
    expected, actual = _texts(GOLDEN / "site"), _texts(out)
    assert sorted(actual) == sorted(expected), "set of files changed"
    for name in sorted(expected):
        if actual[name] != expected[name]:
            diff = difflib.unified_diff(
                expected[name].decode(errors="replace").splitlines(),
                actual[name].decode(errors="replace").splitlines(),
                f"golden/{name}",
                f"rendered/{name}",
                lineterm="",
            )
            message = "\n".join(list(diff)[:60])
            raise AssertionError(
                f"{name} differs from the golden copy (set GLDASH_UPDATE_GOLDEN=1 to accept):\n"
                + message
            )
