"""The package installs from a wheel outside the checkout and finds its templates and assets."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PIP_INSTALL = ("install", "--quiet", "--no-deps")


@pytest.mark.slow
def test_pip_install_into_fresh_venv(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    # System site-packages avoid re-downloading every dependency; the package itself
    # is installed fresh from the checkout into the new environment. The environment gets
    # no pip of its own (ensurepip alone takes about 15 s): this pip installs into it.
    venv.EnvBuilder(with_pip=False, system_site_packages=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import jinja2, os; print(os.path.dirname(os.path.dirname(jinja2.__file__)))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    env = {**os.environ, "PYTHONPATH": str(site_packages), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), *PIP_INSTALL, str(REPO)],
        check=True,
        env=env,
        cwd=tmp_path,
        capture_output=True,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy(REPO / "config.yml", work / "config.yml")
    gldash = env_dir / "bin" / "gldash"
    help_out = subprocess.run(
        [str(gldash), "--help"], check=True, env=env, cwd=work, capture_output=True, text=True
    )
    assert "validate" in help_out.stdout
    ok = subprocess.run(
        [str(gldash), "validate", "-c", "config.yml"],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    located = subprocess.run(
        [
            str(python),
            "-c",
            "from gldash_static import resources as r; "
            "print(r.templates_dir()); print(r.assets_dir())",
        ],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for folder in located:
        assert str(env_dir) in folder, "templates/assets must come from the installed wheel"
        assert Path(folder).is_dir()
