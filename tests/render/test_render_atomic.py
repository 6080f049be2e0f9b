"""A render killed with SIGKILL leaves the previous site intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from factories import make_snapshot

from gldash_static.atomic import recover_dir
from gldash_static.config.settings import SiteSettings
from gldash_static.render import render_site

TESTS = Path(__file__).resolve().parents[1]
SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from factories import make_snapshot
from gldash_static.config.settings import SiteSettings
from gldash_static.render import render_site
render_site(make_snapshot(projects=4000, seed=9), Path({out!r}), SiteSettings())
"""


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_sigkill_during_render_keeps_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "public"
    render_site(make_snapshot(projects=3), out, SiteSettings())
    before = _tree(out)
    code = SCRIPT.format(tests=str(TESTS), out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 60
        # Kill once the staging folder holds project pages: the render is well under way.
        while time.monotonic() < deadline and proc.poll() is None:
            staging = list(tmp_path.glob(".public.new-*/p"))
            if staging and len(list(staging[0].iterdir())) > 200:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "render finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert _tree(out) == before
    assert list(tmp_path.glob(".public.new-*")), "the killed render left its staging folder"
    recover_dir(out.resolve())
    assert not list(tmp_path.glob(".public.*"))
    assert _tree(out) == before
    render_site(make_snapshot(projects=3), out, SiteSettings())  # the dead lock holds nothing
    assert _tree(out) == before


def test_two_renders_into_one_folder_take_turns(tmp_path: Path) -> None:
    out = tmp_path / "public"
    code = SCRIPT.format(tests=str(TESTS), out=str(out))
    first = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and first.poll() is None:
            if list(tmp_path.glob(".public.new-*/p")):
                break
            time.sleep(0.02)
        assert first.poll() is None, "the first render finished before the second started"
        # The second render waits for the first instead of clearing its staging folder as a
        # crash leftover; both succeed and the later one is what stays.
        render_site(make_snapshot(projects=3), out, SiteSettings())
    finally:
        _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    small = tmp_path / "expected"
    render_site(make_snapshot(projects=3), small, SiteSettings())
    assert _tree(out) == _tree(small)
    assert not list(tmp_path.glob(".public.*"))
