"""A render killed with SIGKILL leaves the previous site intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from factories import make_snapshot

from gldash_static.atomic import recover_dir
from gldash_static.config.settings import SiteSettings
from gldash_static.render import render_site

TESTS = Path(__file__).resolve().parents[1]
# The child renders a small site, but stops inside its render (after the first project page
# is staged) until the test creates GATE: a render that is reliably under way at that moment
# instead of one made long enough (4,000 projects, 20 s) to probably still be running.
SCRIPT = """
import sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from factories import make_snapshot
from gldash_static.config.settings import SiteSettings
from gldash_static.render import render_site, site

gate, paused = Path({gate!r}), Path({paused!r})
write = site._Writer.write

def write_then_wait(self, path, data):
    write(self, path, data)
    if path.startswith("p/") and not paused.exists():
        paused.touch()
        while not gate.exists():
            time.sleep(0.01)

site._Writer.write = write_then_wait
render_site(make_snapshot(projects=30, seed=9), Path({out!r}), SiteSettings())
"""


def _start(tmp_path: Path, out: Path, **popen: Any) -> tuple[subprocess.Popen[str], Path]:
    """A render of `out` in a child process, paused in the middle; returns it and its gate."""
    gate, paused = tmp_path / "gate", tmp_path / "paused"
    code = SCRIPT.format(tests=str(TESTS), out=str(out), gate=str(gate), paused=str(paused))
    proc = subprocess.Popen([sys.executable, "-c", code], text=True, **popen)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not paused.exists():
        time.sleep(0.01)
    assert paused.exists() and proc.poll() is None, "the render never got under way"
    assert list(tmp_path.glob(".public.new-*/p/*.html")), "paused outside the staging folder"
    return proc, gate


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_sigkill_during_render_keeps_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "public"
    render_site(make_snapshot(projects=3), out, SiteSettings())
    before = _tree(out)
    # Killed while it writes project pages into its staging folder (the gate stays shut).
    proc, _ = _start(tmp_path, out)
    try:
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
    first, gate = _start(tmp_path, out, stderr=subprocess.PIPE)
    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(render_site, make_snapshot(projects=3), out, SiteSettings())
        try:
            # The second render waits for the first instead of clearing its staging folder as
            # a crash leftover; both succeed and the later one is what stays.
            wait([second], timeout=1.0)
            assert not second.done(), "the second render did not wait for the first"
        finally:
            gate.touch()
            _, err = first.communicate(timeout=120)
        second.result(timeout=120)
    assert first.returncode == 0, err
    small = tmp_path / "expected"
    render_site(make_snapshot(projects=3), small, SiteSettings())
    assert _tree(out) == _tree(small)
    assert not list(tmp_path.glob(".public.*"))
