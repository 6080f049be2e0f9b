"""The Nu HTML checker finds no error on any page type (normal and hostile data)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from render_support import NOTES_PAGE, REPO, TOP_PAGES, require

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
PAGES = [*TOP_PAGES, "p/100.html", "p/101.html", "g/1.html", "g/2.html"]


def test_nu_html_checker_finds_no_errors(site_dir: Path, hostile_dir: Path) -> None:
    require(VNU, "vnu-jar (npm install)")
    java = shutil.which("java")
    require(Path(java or "/usr/bin/java"), "Java")
    files = [str(site_dir / p) for p in [*PAGES, NOTES_PAGE]]
    files += [str(hostile_dir / p) for p in PAGES]
    proc = subprocess.run(
        [java or "java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    messages = json.loads(proc.stderr or proc.stdout or '{"messages": []}')["messages"]
    problems = [f"{m.get('url', '')}:{m.get('lastLine')}: {m.get('message')}" for m in messages]
    assert problems == []
