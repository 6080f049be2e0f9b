"""Trigger, artifact download, pipeline schedules and the `gldash simulate` command."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import zipfile

import gitlab
import pytest
import requests
from sim_helpers import client

from gldash_static.simulator import Simulator


def _project_with_branch(sim: Simulator) -> tuple[int, str]:
    p = next(p for p in sim.state.projects.values() if p.default_branch and not p.archived)
    return p.id, p.default_branch or ""


def test_trigger_pipeline(fresh_sim: Simulator) -> None:
    pid, ref = _project_with_branch(fresh_sim)
    token = fresh_sim.create_trigger(pid)
    project = client(fresh_sim).projects.get(pid, lazy=True)
    pl = project.trigger_pipeline(ref, token, variables={"GLDASH_PROJECT": "42"})
    assert pl.source == "trigger" and pl.ref == ref and pl.status in ("pending", "running")
    truth = fresh_sim.state.pipelines(pid)[-1]
    assert truth.id == pl.id and truth.variables == {"GLDASH_PROJECT": "42"}
    # curl's form encoding works too, and without a personal token.
    r = requests.post(
        f"{fresh_sim.url}/api/v4/projects/{pid}/trigger/pipeline",
        data={"token": token, "ref": ref, "variables[MODE]": "one"},
        timeout=5,
    )
    assert r.status_code == 201 and fresh_sim.state.pipelines(pid)[-1].variables == {"MODE": "one"}
    bad = requests.post(
        f"{fresh_sim.url}/api/v4/projects/{pid}/trigger/pipeline",
        data={"token": "nope", "ref": ref},
        timeout=5,
    )
    assert bad.status_code == 404 and bad.json() == {"message": "404 Not Found"}
    with pytest.raises(gitlab.GitlabCreateError):
        project.trigger_pipeline("no-such-branch", token)


def test_artifact_download(fresh_sim: Simulator) -> None:
    pid, ref = _project_with_branch(fresh_sim)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("public/snapshot.json", "{}")
    fresh_sim.put_artifact(pid, ref, "pages", buf.getvalue())
    project = client(fresh_sim).projects.get(pid, lazy=True)
    data = project.artifacts.download(ref_name=ref, job="pages")
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["public/snapshot.json"]
    with pytest.raises(gitlab.GitlabGetError):
        project.artifacts.download(ref_name=ref, job="other")


def test_pipeline_schedules(fresh_sim: Simulator) -> None:
    pid, ref = _project_with_branch(fresh_sim)
    project = client(fresh_sim).projects.get(pid, lazy=True)
    s = project.pipelineschedules.create(
        {"description": "refresh dashboard", "ref": ref, "cron": "30 5 * * *"}
    )
    assert s.next_run_at == "2026-11-29T05:30:00.000Z" and s.active
    s.cron = "0 * * * *"
    s.save()
    got = project.pipelineschedules.list(get_all=True)
    assert [x.cron for x in got] == ["0 * * * *"] and got[0].owner["username"] == "root"


def test_cli_prints_url_and_token_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gldash_static", "simulate", "--projects", "20", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[2]
        token = proc.stdout.readline().split()[2]
        r = requests.get(f"{url}/api/v4/projects", headers={"PRIVATE-TOKEN": token}, timeout=5)
        assert r.status_code == 200 and len(r.json()) == 20
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()


def test_cli_rejects_bad_flags() -> None:
    from gldash_static.cli.main import main

    assert main(["simulate", "--projects", "0"]) == 2
    assert main(["simulate", "--error-rate", "3"]) == 2
