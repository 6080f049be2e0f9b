"""Helpers for reliability tests: workspaces wired to a simulator, folder digests, scanning."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
sys.path.insert(0, str(TESTS / "fetch"))  # fetch_helpers: comparable()
sys.path.insert(0, str(TESTS))  # factories

from fetch_helpers import comparable  # noqa: E402

from gldash_static import snapshot as snapshot_file  # noqa: E402
from gldash_static.archive import Archive  # noqa: E402
from gldash_static.config import Config, load_config  # noqa: E402
from gldash_static.fetch import FetchRequest, fetch_snapshot  # noqa: E402
from gldash_static.fetch.progress import Quiet  # noqa: E402
from gldash_static.model import Snapshot  # noqa: E402
from gldash_static.pipeline import render_with_archive  # noqa: E402
from gldash_static.simulator import Simulator  # noqa: E402

# Every reliability test runs with this token value, so that any leak is findable by grep.
TOKEN = "glpat-SECRETsecret0123456789"
TOKEN_PARTS = (TOKEN, "SECRETsecret0123456789")

__all__ = ["TOKEN", "Workspace", "comparable", "digest", "grant_token", "make_workspace"]


def grant_token(sim: Simulator, token: str = TOKEN) -> None:
    """Make `token` a second token of the simulator's administrator."""
    with sim.state.changing():
        sim.state.tokens[token] = sim.state.tokens[sim.token]


def top_groups(sim: Simulator) -> list[str]:
    """Full paths of the simulator's top-level groups."""
    return sorted(g.full_path for g in sim.state.groups.values() if g.parent_id is None)


def digest(path: Path, hidden: bool = True) -> str:
    """sha256 of a file, or of a folder's every relative path and file content; 'missing'.

    `hidden=False` leaves out dot-files (temporary files a killed writer left behind).
    """
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    if not path.is_dir():
        return "missing"
    h = hashlib.sha256()
    for item in sorted(p for p in path.rglob("*") if p.is_file()):
        if not hidden and item.name.startswith("."):
            continue
        h.update(item.relative_to(path).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(item.read_bytes()).digest())
    return h.hexdigest()


@dataclass(frozen=True)
class Workspace:
    """A dashboard checkout: config.yml, snapshot.json, public/ and archive/ in one folder."""

    root: Path

    @property
    def config_path(self) -> Path:
        """config.yml."""
        return self.root / "config.yml"

    @property
    def snapshot(self) -> Path:
        """snapshot.json."""
        return self.root / "snapshot.json"

    @property
    def site(self) -> Path:
        """public/."""
        return self.root / "public"

    @property
    def archive(self) -> Path:
        """archive/."""
        return self.root / "archive"

    def config(self) -> Config:
        """The validated config."""
        return load_config(self.config_path)

    def digests(self) -> dict[str, str]:
        """Digests of snapshot, site and archive."""
        return {
            "snapshot": digest(self.snapshot),
            "site": digest(self.site),
            "archive": digest(self.archive),
        }

    def outputs(self) -> list[Path]:
        """Every file the tool wrote here (config excluded)."""
        return sorted(p for p in self.root.rglob("*") if p.is_file() and p != self.config_path)


def make_workspace(
    sim: Simulator,
    root: Path,
    fetch: str = "",
    source: str = "",
    groups: list[str] | None = None,
    carry_forward: str = "none",
) -> Workspace:
    """A workspace whose config points at `sim` (archive on, carry-forward off unless asked:
    outside GitLab CI `artifacts` downloads nothing, but keeps the carry file).

    `fetch` holds `  key: value` lines that replace or extend the small defaults below.
    """
    root.mkdir(parents=True, exist_ok=True)
    settings = {
        "concurrency": "2",  # client and simulator share one interpreter: two are as fast
        "max_retries": "6",
        "circuit_breaker": "40",
        "pipelines_per_project": "3",
    }
    for line in fetch.splitlines():
        key, _, value = line.strip().partition(":")
        if key:
            settings[key.strip()] = value.strip()
    fetch_lines = "".join(f"  {key}: {value}\n" for key, value in settings.items())
    text = (
        "sources:\n"
        f"  - url: {sim.url}\n"
        f"    groups: {json.dumps(groups or top_groups(sim))}\n"
        f"{source}"
        "fetch:\n"
        f"{fetch_lines}"
        "site:\n  output_dir: public\n"
        "snapshot: snapshot.json\n"
        f"archive:\n  dir: archive\n  carry_forward: {carry_forward}\n"
    )
    (root / "config.yml").write_text(text, encoding="utf-8")
    return Workspace(root)


def clean_fetch(config: Config) -> Snapshot:
    """A full fetch without faults, in-process, of the simulator's current state."""
    outcome = fetch_snapshot(config, None, FetchRequest(full=True), Quiet(), backoff_s=0.01)
    assert outcome.complete, outcome.snapshot["fetch"]["errors"]
    return outcome.snapshot


def expected_site_digest(ws: Workspace, snapshot: Snapshot, scratch: Path) -> str:
    """Digest of the site the current archive and `snapshot` render to (rendering is pure)."""
    config = ws.config()
    out = scratch / "rerendered"
    render_with_archive(snapshot, config.site, out, Archive(config.archive))
    return digest(out)


def expected_archive_digest(
    ws: Workspace, before: Path, snapshot: Snapshot, scratch: Path, hidden: bool = True
) -> str:
    """Digest of the archive copied at `before` with `snapshot` added (see `digest`)."""
    config = ws.config()
    copy = scratch / "archive-check"
    shutil.copytree(before, copy)
    archive = Archive(dataclasses.replace(config.archive, dir=copy))
    archive.add(snapshot)
    archive.keep_for_carry(snapshot, config.site.snapshot_job_attempts)  # as a build does
    return digest(copy, hidden=hidden)


def read_snapshot(path: Path) -> Snapshot:
    """Read a snapshot file."""
    return snapshot_file.read(path)


def decoded(path: Path) -> bytes:
    """File bytes, decompressed when gzipped."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError):
            return data
    return data


def gldash(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `python -m gldash_static ARGS` in a subprocess, capturing its output."""
    full_env = {**os.environ, **(env or {})}
    # Not a GitLab CI job: a build with carry_forward: artifacts downloads nothing.
    for name in (
        "CI_SERVER_URL",
        "CI_PROJECT_URL",
        "CI_JOB_TOKEN",
        "CI",
        "GITLAB_CI",
        "CI_PROJECT_ID",
    ):
        full_env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "gldash_static", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def error_lines(text: str) -> list[str]:
    """Lines of `text` that are error messages."""
    return [line for line in text.splitlines() if line.startswith("error:")]


def assert_one_clear_error(err: str, *needles: str) -> str:
    """Exactly one `error:` line, no traceback; it contains every needle. Returns the line."""
    assert "Traceback" not in err, err
    lines = error_lines(err)
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def json_dump(data: Any) -> str:
    """Compact, sorted JSON (for diff-friendly assertion messages)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False)[:2000]
