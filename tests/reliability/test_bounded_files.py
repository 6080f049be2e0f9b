"""Files gldash reads back are bounded: gzip and zip bombs, oversized JSON, YAML alias bombs.

Issue 12, class 4. The read limits are lowered for speed (they are module constants);
bombs are many small gzip members, so a gigabyte of zeros costs a megabyte on disk. The
subprocess cases cap the child's address space, so that code without the limits fails
with MemoryError instead of taking the machine's memory.
"""

from __future__ import annotations

import gzip
import importlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from factories import GENERATED_AT, make_snapshot
from reliability_helpers import assert_one_clear_error

import gldash_static
from gldash_static import snapshot as snapshot_io
from gldash_static.archive import Archive, carry
from gldash_static.config import ArchiveSettings
from gldash_static.errors import ArchiveError

MIB = 1 << 20
PACKAGE_ROOT = str(Path(gldash_static.__file__).resolve().parent.parent)
# Lowered limits; the real ones are hundreds of MB (see gldash_static/bounded.py).
SMALL = {"SNAPSHOT_BYTES": 4 * MIB, "INDEX_BYTES": 64 * 1024, "HISTORY_BYTES": 64 * 1024}


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lower the read limits (code without them keeps reading everything)."""
    try:
        bounded = importlib.import_module("gldash_static.bounded")
    except ModuleNotFoundError:
        return  # before issue 12: nothing to lower, and the assertions below fail
    for name, value in SMALL.items():
        monkeypatch.setattr(bounded, name, value)


def gzip_bomb(path: Path, mebibytes: int) -> Path:
    """A gzip file of `mebibytes` MiB of zeros: one ~1 KB member repeated."""
    member = gzip.compress(b"\0" * MIB, compresslevel=9, mtime=0)
    path.write_bytes(member * mebibytes)
    return path


def padded(data: bytes, size: int) -> bytes:
    """Valid JSON `data` followed by whitespace up to `size` bytes."""
    return data.rstrip() + b" " * (size - len(data)) + b"\n"


def _config(folder: Path, archive: str = "  enabled: false") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yml"
    path.write_text(
        "sources:\n  - url: http://127.0.0.1:9\n    groups: [g]\n"
        f"archive:\n{archive}\n  carry_forward: none\n"
    )
    return path


def _limit_error(result: Any, *needles: str) -> str:
    """Exit 1 with one `error:` line naming the file and a limit."""
    assert result.code == 1, result.err
    return assert_one_clear_error(result.err, "limit", *needles)


# -- snapshots -----------------------------------------------------------------------


def _snapshot_commands(bomb: Path, config: Path) -> dict[str, list[str]]:
    return {
        "render": ["render", "--snapshot", str(bomb), "--out", "site"],
        "build --previous": ["build", "-c", str(config), "--previous", str(bomb), "--quiet"],
        "build --from-snapshot": ["build", "-c", str(config), "--from-snapshot", str(bomb)],
        "fetch --previous": ["fetch", "-c", str(config), "--previous", str(bomb), "--quiet"],
        "archive add": ["archive", "add", str(bomb), "-c", str(config)],
        "merge": ["merge", str(bomb), "--out", "merged.json"],
    }


@pytest.mark.parametrize("command", list(_snapshot_commands(Path(), Path())))
def test_gzip_bomb_snapshot(
    command: str,
    small_limits: None,
    tmp_path: Path,
    run_cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-not-used-000000")
    bomb = gzip_bomb(tmp_path / "bomb.json.gz", 16)
    config = _config(tmp_path / "dash", archive="  dir: archive")
    result = run_cli(*_snapshot_commands(bomb, config)[command])
    _limit_error(result, str(bomb))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.json.gz", "dash"]
    assert [p.name for p in (tmp_path / "dash").iterdir()] == ["config.yml"]


def test_plain_snapshot_over_the_limit(
    small_limits: None, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "big.json"
    snapshot_io.write(make_snapshot(projects=1), path)
    path.write_bytes(padded(path.read_bytes(), 5 * MIB))
    result = run_cli("render", "--snapshot", str(path), "--out", str(tmp_path / "site"))
    _limit_error(result, str(path))


MEMORY_SCRIPT = """
import resource, sys
# A 2 GiB address space: reading the whole bomb at once dies instead of swapping.
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
try:
    from gldash_static import bounded
    bounded.SNAPSHOT_BYTES = 64 << 20
except ImportError:
    pass
from gldash_static.cli.main import main
code = main(["render", "--snapshot", sys.argv[1], "--out", sys.argv[2]])
print("maxrss_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def test_gzip_bomb_memory_stays_bounded(tmp_path: Path) -> None:
    bomb = gzip_bomb(tmp_path / "bomb.json.gz", 1536)  # 1.5 GiB of zeros in 1.5 MB
    proc = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(bomb), str(tmp_path / "site")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": PACKAGE_ROOT},
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr, proc.stderr
    lines = proc.stderr.splitlines()
    assert_one_clear_error("\n".join(lines[:-1]), "limit", str(bomb))
    peak_mib = int(lines[-1].split()[-1]) / 1024
    assert peak_mib < 400, f"peak memory {peak_mib:.0f} MiB"


# -- index.json, history.json and archived snapshots ------------------------------------


def _archive(tmp_path: Path, days: int = 1) -> tuple[Path, Archive]:
    config = _config(tmp_path / "dash", archive="  dir: archive")
    archive = Archive(ArchiveSettings(dir=config.parent / "archive", carry_forward="none"))
    for day in range(days):
        archive.add(make_snapshot(projects=3, now=GENERATED_AT.replace(day=20 + day)))
    return config, archive


def test_index_over_the_limit(small_limits: None, tmp_path: Path, run_cli: Any) -> None:
    config, archive = _archive(tmp_path)
    index = archive.store.index_path
    index.write_bytes(padded(index.read_bytes(), MIB))
    _limit_error(run_cli("archive", "list", "-c", str(config)), str(index))


def test_history_over_the_limit(small_limits: None, tmp_path: Path, run_cli: Any) -> None:
    config, archive = _archive(tmp_path)
    history = archive.store.history_path
    history.write_bytes(padded(history.read_bytes(), MIB))
    snap = tmp_path / "later.json"
    snapshot_io.write(make_snapshot(projects=3, now=GENERATED_AT.replace(day=25)), snap)
    before = history.read_bytes()
    _limit_error(run_cli("archive", "add", str(snap), "-c", str(config)), str(history))
    assert history.read_bytes() == before


@pytest.mark.parametrize("command", ["render", "archive rebuild"])
def test_archived_snapshot_gzip_bomb(
    command: str, small_limits: None, tmp_path: Path, run_cli: Any
) -> None:
    config, archive = _archive(tmp_path, days=2)
    first = archive.rows()[0]["path"]
    gzip_bomb(archive.root / first, 16)
    snap = tmp_path / "later.json"
    snapshot_io.write(make_snapshot(projects=3, now=GENERATED_AT.replace(day=21)), snap)
    args = {
        "render": ["render", "-c", str(config), "--snapshot", str(snap)],
        "archive rebuild": ["archive", "rebuild", "-c", str(config)],
    }[command]
    _limit_error(run_cli(*args), first)


# -- artifact zips -------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize("member", ["index.json", "history.json"])
def test_zip_member_over_its_read_limit(small_limits: None, tmp_path: Path, member: str) -> None:
    bodies = {
        "index.json": b'{"format": 1, "snapshots": []}\n',
        "history.json": b'{"format": 1, "groups": [], "projects": [], "days": []}\n',
    }
    bodies[member] = padded(bodies[member], 4 * MIB)  # valid JSON, but far over the limit
    bundle = _zip({f"public/archive/{name}": body for name, body in bodies.items()})
    root = tmp_path / "archive"
    with pytest.raises(ArchiveError, match=f"{member}.*limit"):
        carry.carry(
            root,
            lambda staging: carry.extract_zip(
                bundle, "public/archive/", staging, carry.Limits(), "artifacts"
            ),
            "artifacts",
            allow_empty=False,
        )
    assert not root.exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no staging folder left behind


# -- config.yml ----------------------------------------------------------------------

SOURCES = "sources:\n  - url: https://gitlab.example.com\n    groups: [a]\n"


def _laughs(levels: int) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]")
    return "\n".join(f"  {line}" for line in lines)


def _mappings(levels: int) -> str:
    lines = ["m0: &m0 {a: 1, b: 2}"]
    for n in range(1, levels):
        m = f"*m{n - 1}"
        lines.append(f"m{n}: &m{n} {{<<: {m}, a{n}: {m}, b{n}: {m}, c{n}: {m}}}")
    return "\n".join(f"  {line}" for line in lines)


YAML_BOMBS = {
    "billion laughs": SOURCES + "x-laughs:\n" + _laughs(9),
    "mappings and merge keys": SOURCES + "x-defaults:\n" + _mappings(30),
    "self-referencing alias": SOURCES + "site: &s\n  title: *s\n",
    "deep nesting": SOURCES + "site: " + "[" * 900 + "]" * 900 + "\n",
    "very deep nesting": SOURCES + "site: " + "[" * 5000 + "]" * 5000 + "\n",
    "huge file": SOURCES.replace("[a]", "")
    + "".join(f"      - group-{n:07d}\n" for n in range(200_000)),
}


# One child process validates every bomb with a 1 GiB address space: an expanding bomb fails
# fast instead of taking the machine. One child, not one per bomb: interpreter start-up is
# most of the cost and would be paid six times.
BOMB_SCRIPT = """
import contextlib, io, json, logging, resource, sys, traceback
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from gldash_static.cli.main import main
results = {}
for kind, path in json.loads(sys.argv[1]).items():
    logging.root.handlers.clear()  # each run's log handler writes to its own capture
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            code = main(["validate", "-c", path])
        except SystemExit as exc:
            code = exc.code
        except BaseException:
            code = "crashed"
            traceback.print_exc()
    results[kind] = [code, err.getvalue()]
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def bomb_answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, str, Path]]:
    """Exit status and stderr of `gldash validate` on each YAML bomb (one memory-capped child)."""
    folder = tmp_path_factory.mktemp("bombs")
    paths = {}
    for n, (kind, text) in enumerate(YAML_BOMBS.items()):
        path = folder / f"bomb-{n}" / "config.yml"
        path.parent.mkdir()
        path.write_text(text)
        paths[kind] = path
    proc = subprocess.run(
        [sys.executable, "-c", BOMB_SCRIPT, json.dumps({k: str(p) for k, p in paths.items()})],
        capture_output=True,
        text=True,
        # Wall clock, generous for a loaded CI machine (interpreter start-up dominates): each
        # refusal itself takes milliseconds, and an expanding bomb hits the memory cap first.
        timeout=60,
        env={**os.environ, "PYTHONPATH": PACKAGE_ROOT},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    answers = json.loads(proc.stdout)
    return {kind: (*answers[kind], paths[kind]) for kind in YAML_BOMBS}


@pytest.mark.parametrize("kind", list(YAML_BOMBS))
def test_yaml_bomb_is_refused_quickly(
    kind: str, bomb_answers: dict[str, tuple[Any, str, Path]]
) -> None:
    code, err, path = bomb_answers[kind]
    assert code == 2, err[-2000:]
    lines = err.strip().splitlines()
    assert len(lines) == 1, err[-2000:]
    assert lines[0].startswith(f"{path}:"), lines[0]
    assert len(lines[0]) < 300


@pytest.mark.parametrize("kind", [k for k in YAML_BOMBS if k != "huge file"])
def test_yaml_bomb_is_refused_by_the_pure_python_parser_too(
    kind: str, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where PyYAML was built without libyaml; in-process, as the bounds come before expansion.
    monkeypatch.setattr("gldash_static.config.yaml_lines._LOADER", yaml.SafeLoader)
    path = tmp_path / "config.yml"
    path.write_text(YAML_BOMBS[kind])
    result = run_cli("validate", "-c", str(path))
    assert result.code == 2, result.err[-2000:]
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}:"), result.err[-2000:]


def test_anchors_merges_and_duplicates_still_work(tmp_path: Path, run_cli: Any) -> None:
    # A guard for the bounded loader (passes before issue 12 too): honest anchors are fine.
    path = tmp_path / "config.yml"
    path.write_text(
        "sources:\n"
        "  - url: https://a.example.com\n"
        "    groups: &groups [a, b]\n"
        "  - url: https://b.example.com\n"
        "    groups: *groups\n"
        "site:\n"
        "  title: T\n"
        "  title: U\n"
    )
    result = run_cli("validate", "-c", str(path))
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"{path}:8: site.title: duplicate key; the later value would silently win",
    ]
    path.write_text(path.read_text().replace("  title: U\n", ""))
    assert run_cli("validate", "-c", str(path)).code == 0
