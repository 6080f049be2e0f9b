"""Run `.gitlab-ci.yml` job scripts as a GitLab runner would, with the simulator as GitLab."""

from __future__ import annotations

import copy
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gldash_static.simulator import Simulator

REPO = Path(__file__).resolve().parents[2]
CI_FILE = REPO / ".gitlab-ci.yml"
SCHEMA = REPO.parent / "shared" / "reference" / "gitlab-ci-schema.json"
DATED = re.compile(r"archive/\d{4}/\d{2}/\d{2}/\d{6}Z\.json\.gz")


def load_ci() -> dict[str, Any]:
    """The parsed `.gitlab-ci.yml` (anchors resolved, as GitLab resolves them)."""
    data = yaml.safe_load(CI_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def script_of(job: str) -> str:
    """The job's `script:` lines exactly as written, joined the way the runner's bash does."""
    lines = load_ci()[job]["script"]
    assert all(isinstance(line, str) for line in lines)
    # The runner runs the lines in one bash session with errexit and pipefail.
    return "set -eo pipefail\n" + "\n".join(lines) + "\n"


def yaml_variables() -> dict[str, str]:
    """Global `variables:` as the runner exports them (the `value` of described ones)."""
    out: dict[str, str] = {}
    for key, value in load_ci().get("variables", {}).items():
        out[key] = str(value["value"] if isinstance(value, dict) else value)
    return out


def dashboard_project(sim: Simulator) -> int:
    """A simulator project with a `main` branch, standing in for the dashboard repository."""
    for project in sorted(sim.state.projects.values(), key=lambda p: p.id):
        usable = project.default_branch == "main" and not project.archived
        if usable and any(b.name == "main" for b in sim.state.branches(project.id)):
            return project.id
    raise AssertionError("the simulated organisation has no project with a main branch")


def top_groups(sim: Simulator) -> list[str]:
    """Full paths of the simulator's top-level groups."""
    return sorted(g.full_path for g in sim.state.groups.values() if g.parent_id is None)


def workspace(tmp: Path, name: str, sim: Simulator) -> Path:
    """A fresh checkout of a dashboard repository: `.gitlab-ci.yml` and a config for `sim`."""
    root = tmp / name
    root.mkdir()
    (root / ".gitlab-ci.yml").write_bytes(CI_FILE.read_bytes())
    (root / "config.yml").write_text(
        "sources:\n"
        f"  - url: {sim.url}\n"
        "    token_env: GITLAB_TOKEN\n"
        f"    groups: {json.dumps(top_groups(sim))}\n"
        "fetch:\n  max_retries: 1\n"
        "site:\n  title: CI test dashboard\n  output_dir: public\n"
        "snapshot: snapshot.json\n"
        "archive:\n  dir: archive\n  carry_forward: artifacts\n",
        encoding="utf-8",
    )
    return root


@dataclass
class JobRun:
    """Exit status and output of one job script."""

    code: int
    out: str
    err: str


def ci_env(sim: Simulator, project_id: int, root: Path, **extra: str) -> dict[str, str]:
    """The environment a runner gives a job of a `schedule` pipeline on main, plus `extra`."""
    project = sim.state.projects[project_id]
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(root),
        "LANG": "C.UTF-8",
        **yaml_variables(),
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_SERVER_URL": sim.url,
        "CI_API_V4_URL": f"{sim.url}/api/v4",
        "CI_PROJECT_ID": str(project_id),
        "CI_PROJECT_PATH": project.path_with_namespace,
        "CI_PROJECT_URL": f"{sim.url}/{project.path_with_namespace}",
        "CI_PROJECT_DIR": str(root),
        "CI_DEFAULT_BRANCH": "main",
        "CI_COMMIT_BRANCH": "main",
        "CI_COMMIT_REF_NAME": "main",
        "CI_PIPELINE_SOURCE": "schedule",
        "GITLAB_TOKEN": sim.token,
    }
    env.update(extra)
    return env


def run_job(job: str, root: Path, env: dict[str, str]) -> JobRun:
    """Run the job's script through bash in `root`."""
    proc = subprocess.run(
        ["bash", "-c", script_of(job)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return JobRun(proc.returncode, proc.stdout, proc.stderr)


def artifacts_zip(root: Path, job: str = "pages") -> bytes:
    """The artifacts zip the runner would upload for `job`: the files and folders its
    `artifacts: paths:` name (literal paths; a missing one is left out, as the runner warns)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for listed in load_ci()[job]["artifacts"]["paths"]:
            assert "*" not in listed, f"artifacts_zip reads literal paths only, not {listed}"
            top = root / listed
            found = sorted(top.rglob("*")) if top.is_dir() else [top] if top.is_file() else []
            for path in found:
                if path.is_file():
                    bundle.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


def site_files(root: Path) -> set[str]:
    """Files of the published site, dated archive names folded (they follow the clock)."""
    public = root / "public"
    names = {p.relative_to(public).as_posix() for p in public.rglob("*") if p.is_file()}
    return {DATED.sub("archive/<snapshot>", n) for n in names}


def comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without what differs between two fetches of the same state."""
    data = copy.deepcopy(snapshot)
    for key in ("generated_at", "fetch", "generator"):
        data.pop(key, None)
    for source in data["sources"]:
        source.pop("watermark", None)
        for project in source["projects"]:
            project.pop("fetched_at", None)
    return data


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data
