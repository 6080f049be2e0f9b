"""What `gldash` loads on start: the simulator (and graphql-core) only for demo and simulate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
from gldash_static.cli.main import main
code = main(["validate", "-c", sys.argv[1]])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_validate_does_not_load_the_simulator(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_bytes((REPO / "config.yml").read_bytes())
    # A fresh interpreter: this test process has long imported the simulator for others.
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=tmp_path,
    )
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["code"] == 0, proc.stderr
    loaded = [
        name
        for name in result["modules"]
        if name == "graphql" or name.startswith(("graphql.", "gldash_static.simulator"))
    ]
    assert loaded == []
