"""`make ci-local`: `.gitlab-ci.yml` under gitlab-ci-local (a GitLab runner emulator), the
simulator standing in for GitLab.

Three pipelines of one dashboard repository, as GitLab would run them on `main`:

1. a first deployment (GLDASH_ALLOW_EMPTY_HISTORY=1): `pages` publishes public/;
2. six hours later, a scheduled refresh that carries the archive forward from the previous
   Pages job's artifacts (uploaded to the simulator as GitLab would keep them);
3. six hours later, a sharded refresh (GLDASH_SHARDS=2): list-shards, fetch-shard x 8 (two
   with work), merge-shards, pages.

After each, the published public/ is checked: pages present, the snapshot's projects, the
archive's rows (the older ones deltas, the newest the site's snapshot.json.gz). Jobs run
with the shell executor (`--force-shell-executor`) in a virtualenv of their own, so their
`pip install` never touches the development one. Exit 0 when every check holds.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "ci"))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from ci_jobs import artifacts_zip, dashboard_project, workspace  # noqa: E402

from gldash_static.simulator import OrgSpec, Simulator  # noqa: E402

GCL = REPO / "node_modules" / ".bin" / "gitlab-ci-local"
VENV = REPO / ".ci-local" / "venv"
DIST = "gldash-static"  # pyproject's name: installed already, so each job's pip is a no-op


def _say(message: str) -> None:
    print(f"ci-local: {message}", flush=True)


def job_python() -> Path:
    """A virtualenv for the jobs with this checkout of gldash in it (dependencies once).

    The jobs' own `pip install "$GLDASH_PACKAGE"` then finds it installed: with the shell
    executor, parallel shard jobs share one machine, and concurrent reinstalls would pull
    the `gldash` command from under each other.
    """
    python = VENV / "bin" / "python"
    if not python.exists():
        _say(f"creating {VENV} for the jobs")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(REPO)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall"]
    subprocess.run([*pip, str(REPO)], check=True)
    return python


def run_pipeline(root: Path, variables: dict[str, str], python: Path) -> str:
    """gitlab-ci-local on `root` with `variables`; its output (raises when a job fails)."""
    args = [str(GCL), "--force-shell-executor", "--ignore-predefined-vars"]
    args.append(",".join(k for k in variables if k.startswith("CI_")))
    for key, value in variables.items():
        args += ["--variable", f"{key}={value}"]
    env = {**os.environ, "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    # A job's shell may put pyenv's shims back in front (a .bashrc with `pyenv init`); with
    # "system" they hand `python` to the first one on PATH that is not theirs: the jobs' own.
    env["PYENV_VERSION"] = "system"
    proc = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        print(proc.stdout[-6000:], proc.stderr[-3000:], sep="\n")
        raise SystemExit(f"ci-local: gitlab-ci-local failed ({proc.returncode})")
    return proc.stdout


def fresh_checkout(root: Path) -> None:
    """Remove what the jobs left in `root`: the shell executor runs them in the project folder
    itself, where a runner would start the next pipeline from a fresh clone, so without this
    the next build would find the archive and snapshot on disk and carry nothing forward."""
    subprocess.run(["git", "clean", "-ffdxq", "-e", ".gitlab-ci-local"], cwd=root, check=True)


def carried_whole(root: Path, job: str, snapshots: int) -> bool:
    """Whether `job` carried `snapshots` archived snapshots forward, the newest with its job
    attempts (from archive/carry.json.gz), according to its log."""
    log = (root / ".gitlab-ci-local" / "output" / f"{job}.log").read_text(encoding="utf-8")
    return f"carried forward {snapshots} snapshot" in log and "no usable" not in log


def published(root: Path) -> dict[str, Any]:
    """What the last `pages` job published: its snapshot, archive rows and file names."""
    public = root / "public"
    for name in ("index.html", "404.html", "projects.html", "snapshot.json.gz"):
        if not (public / name).is_file():
            raise SystemExit(f"ci-local: public/{name} missing")
    snapshot = json.loads(gzip.decompress((public / "snapshot.json.gz").read_bytes()))
    rows = json.loads((public / "archive" / "index.json").read_text())["snapshots"]
    return {"snapshot": snapshot, "rows": rows, "public": public}


def check(condition: bool, what: str) -> None:
    """Stop with `what` when `condition` does not hold."""
    if not condition:
        raise SystemExit(f"ci-local: check failed: {what}")
    _say(f"ok: {what}")


def main() -> int:
    """Run the three pipelines and check what they publish."""
    if not GCL.exists():
        raise SystemExit("ci-local: gitlab-ci-local is missing: run `npm ci` (package.json)")
    if shutil.which("rsync") is None:
        raise SystemExit("ci-local: gitlab-ci-local needs rsync (apt-get install rsync)")
    python = job_python()
    spec = OrgSpec(projects=40, seed=5, pipelines_per_project=6)
    with Simulator(spec) as sim, tempfile.TemporaryDirectory(prefix="gldash-ci-local-") as tmp:
        pid = dashboard_project(sim)
        root = workspace(Path(tmp), "dashboard", sim)
        (root / "pyproject.toml").write_text('[project]\nname = "dashboard"\nversion = "0"\n')
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
        subprocess.run(
            ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", "commit", "-qm", "x"],
            cwd=root,
            check=True,
        )
        base = {
            "CI_SERVER_URL": sim.url,
            "CI_PROJECT_ID": str(pid),
            "CI_PIPELINE_SOURCE": "schedule",
            "CI_DEFAULT_BRANCH": "main",
            "GITLAB_TOKEN": sim.token,
            "GLDASH_PACKAGE": DIST,
        }

        _say("pipeline 1: first deployment")
        out = run_pipeline(root, {**base, "GLDASH_ALLOW_EMPTY_HISTORY": "1"}, python)
        first = published(root)
        projects = len(first["snapshot"]["sources"][0]["projects"])
        check("PASS  pages" in out and projects > 0, f"pages published {projects} projects")
        check(len(first["rows"]) == 1, "the archive holds the first snapshot")
        check(
            (root / "archive" / "carry.json.gz").is_file()
            and not (first["public"] / "archive" / "carry.json.gz").exists(),
            "the whole snapshot kept for the artifacts in archive/carry.json.gz, not published",
        )
        sim.put_artifact(pid, "main", "pages", artifacts_zip(root))
        fresh_checkout(root)

        sim.clock.advance(hours=6)
        _say("pipeline 2: scheduled refresh, archive carried forward from the Pages artifacts")
        out = run_pipeline(root, base, python)
        second = published(root)
        rows = second["rows"]
        check(len(rows) == 2 and "base" in rows[0] and "base" not in rows[1], "two snapshots")
        check(
            rows[0]["time"] == first["rows"][0]["time"],
            "archive carried forward from the Pages artifacts: the first build's snapshot kept",
        )
        check(
            carried_whole(root, "pages", 1),
            "the newest came back whole from archive/carry.json.gz, job attempts included "
            "(without them every project is fetched afresh)",
        )
        delta = second["public"] / "archive" / rows[0]["path"]
        check(
            delta.is_file() and not (second["public"] / "archive" / rows[1]["path"]).exists(),
            "older snapshot published as a delta, the newest as snapshot.json.gz",
        )
        sim.put_artifact(pid, "main", "pages", artifacts_zip(root))
        fresh_checkout(root)

        sim.clock.advance(hours=6)
        _say("pipeline 3: sharded refresh (GLDASH_SHARDS=2)")
        out = run_pipeline(root, {**base, "GLDASH_SHARDS": "2"}, python)
        for job in ("list-shards", "merge-shards", "pages"):
            check(f"PASS  {job}" in out, f"{job} passed")
        check(carried_whole(root, "list-shards", 2), "list-shards carried the archive whole")
        third = published(root)
        check(
            len(third["rows"]) == 3
            and [r["time"] for r in third["rows"][:2]] == [r["time"] for r in rows],
            "the shards and pages carried the archive forward: three snapshots",
        )
        check(
            len(third["snapshot"]["sources"][0]["projects"]) == projects,
            f"the merged site has all {projects} projects",
        )
    _say("all checks passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
