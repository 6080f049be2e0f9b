"""A token with less than an administrator's rights: every project it sees is kept, fresh.

The same organisation is fetched with the administrator's token and with tokens of a guest,
reporter, developer, a group access token's bot (role Reporter) and a non-member. Features
the token may read equal the administrator's data; the others are empty and listed as
unavailable; no project is stale, dropped or warned about.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from fetch_helpers import make_config, run_fetch

from gldash_static.model import FEATURES, Feature, Project, Snapshot
from gldash_static.simulator import OrgSpec, Simulator
from gldash_static.simulator.model import Project as SimProject
from gldash_static.simulator.model import User

PRIVATE_TOO = "    visibility: [public, internal, private]\n"
# Each feature's records, and the simulator's name for it.
DATA: dict[Feature, tuple[str, ...]] = {
    "repository": ("branches", "branches_omitted", "branches_fetched_at"),
    "pipelines": ("pipelines", "red_streak"),
    "merge_requests": ("merge_requests", "merge_requests_omitted"),
    "environments": ("environments", "deployments"),
}
SIM_FEATURE = {
    "repository": "repository",
    "pipelines": "builds",
    "merge_requests": "merge_requests",
    "environments": "environments",
}
# Project fields that come from the repository (GitLab sends them only with read_code).
CODE_FIELDS = ("default_branch", "forks_count")
ROLES = ("guest", "reporter", "developer", "bot", "non-member")


def _group_projects(sim: Simulator, visibility: str) -> list[SimProject]:
    return [
        p
        for p in sorted(sim.state.projects.values(), key=lambda p: p.id)
        if p.visibility == visibility
        and p.namespace_kind == "group"
        and not p.archived
        and not p.empty_repo
        and sim.state.pipelines(p.id)
    ]


@pytest.fixture(scope="module")
def psim() -> Iterator[Simulator]:
    """80 projects, a few of them with members-only features, as maintainers set them."""
    with Simulator(OrgSpec(projects=80, seed=21, pipelines_per_project=6)) as sim:
        public, private = _group_projects(sim, "public"), _group_projects(sim, "private")
        internal = _group_projects(sim, "internal")
        sim.set_feature_access(public[0].id, public_jobs=False)
        sim.set_feature_access(public[1].id, builds="private")
        sim.set_feature_access(public[2].id, merge_requests="private")
        sim.set_feature_access(internal[0].id, builds="private", merge_requests="private")
        sim.set_feature_access(
            internal[1].id, repository="private", builds="private", merge_requests="private"
        )
        sim.set_feature_access(private[0].id, public_jobs=False)
        sim.set_feature_access(private[1].id, builds="disabled")
        yield sim


def _groups(sim: Simulator) -> list[str]:
    """The top-level groups every token can see (a private one is a config error for some)."""
    return [
        g.full_path
        for g in sorted(sim.state.groups.values(), key=lambda g: g.full_path)
        if g.parent_id is None and g.visibility != "private"
    ]


def _home(sim: Simulator) -> str:
    """The top-level group the restricted users belong to: the one with the most projects."""
    return max(
        _groups(sim),
        key=lambda t: sum(p.path_with_namespace.startswith(t + "/") for p in _all(sim)),
    )


def _all(sim: Simulator) -> list[SimProject]:
    return list(sim.state.projects.values())


def _token(sim: Simulator, role: str) -> str:
    home = _home(sim)
    if role == "bot":
        return sim.token_for("reporter", home, bot=True)
    return sim.token_for(role, None if role == "non-member" else home)


def _fetch(
    sim: Simulator, tmp: Path, token: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> Snapshot:
    monkeypatch.setenv("GITLAB_TOKEN", token)
    # Three of about six pipelines: what a token may read is compared, so fewer suffice.
    config = make_config(sim, tmp, extra + "fetch:\n  pipelines_per_project: 3\n", _groups(sim))
    outcome = run_fetch(config, full=True)
    assert outcome.complete, outcome.snapshot["fetch"]["errors"]
    assert outcome.snapshot["fetch"]["errors"] == []
    return outcome.snapshot


def _projects(snapshot: Snapshot) -> dict[int, Project]:
    return {p["id"]: p for s in snapshot["sources"] for p in s["projects"]}


def _readable(sim: Simulator, user: User, sp: SimProject) -> dict[Feature, bool]:
    can = sim.state.abilities(user, sp)
    return {
        "repository": can.download_code,
        "pipelines": can.read_pipeline and can.read_build,
        "merge_requests": can.read_merge_request,
        "environments": can.read_environment,
    }


def _rest(record: Project, skip: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in skip}


@pytest.mark.parametrize("visibility", ["default", "private too"])
def test_restricted_tokens_keep_every_visible_project(
    psim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, visibility: str
) -> None:
    extra = PRIVATE_TOO if visibility == "private too" else ""
    admin = _projects(_fetch(psim, tmp_path, psim.token, extra, monkeypatch))
    assert 20 <= len(admin) <= 120
    seen_unavailable: set[str] = set()
    for role in ROLES:
        token = _token(psim, role)
        user = psim.state.user_by_token(token)
        assert user is not None and not user.is_admin
        got = _projects(_fetch(psim, tmp_path, token, extra, monkeypatch))
        visible = {
            pid for pid in admin if psim.state.can_see_project(user, psim.state.projects[pid])
        }
        assert set(got) == visible, role
        for pid, record in got.items():
            where = f"{role}: {record['path_with_namespace']}"
            truth, sp = admin[pid], psim.state.projects[pid]
            assert record["stale"] is None, where
            readable = _readable(psim, user, sp)
            expected = [
                f
                for f in FEATURES
                if not readable[f]
                and f not in truth["withheld"]
                and sp.access.get(SIM_FEATURE[f]) != "disabled"
                # Environments are off with CI/CD or the repository (ProjectPolicy).
                and not (
                    f == "environments"
                    and "disabled" in (sp.access.get("builds"), sp.access.get("repository"))
                )
            ]
            assert record["unavailable"] == expected, where
            seen_unavailable.update(f"{role}:{f}" for f in expected)
            if not readable["repository"]:
                # The red streak's commit title and author are the repository's content.
                streak = record.get("red_streak")
                assert streak is None or streak["commit_title"] is None, where
                if streak is not None and truth["red_streak"] is not None:
                    no_code = {"commit_title": None, "author_name": None}
                    truth = cast(
                        Project, {**truth, "red_streak": {**truth["red_streak"], **no_code}}
                    )
            mine, theirs = dict(record), dict(truth)
            for feature, keys in DATA.items():
                for key in keys:
                    if feature in expected:
                        assert not mine.get(key), (where, key)
                    else:
                        assert mine.get(key) == theirs.get(key), (where, key)
            skip = ("fetched_at", "unavailable", *[k for keys in DATA.values() for k in keys])
            if not readable["repository"]:
                skip += CODE_FIELDS
            assert _rest(record, skip) == _rest(truth, skip), where
    if visibility == "private too":
        # The organisation exercises a 403 of each kind.
        assert {"guest:repository", "guest:merge_requests", "non-member:pipelines"} <= (
            seen_unavailable
        )


def test_build_with_a_guest_token_succeeds_and_says_what_it_cannot_read(
    psim: Simulator, tmp_path: Path
) -> None:
    token = _token(psim, "non-member")
    (tmp_path / "config.yml").write_text(
        "sources:\n"
        f"  - url: {psim.url}\n"
        f"    groups: {json.dumps(_groups(psim))}\n"
        f"{PRIVATE_TOO}"
        "fetch:\n  pipelines_per_project: 3\n"
        "site:\n  output_dir: public\n"
        "snapshot: snapshot.json\n"
        "archive:\n  dir: archive\n  carry_forward: none\n",
        encoding="utf-8",
    )
    env = {**os.environ, "GITLAB_TOKEN": token}
    for name in ("CI_SERVER_URL", "CI_PROJECT_URL", "CI_JOB_TOKEN", "CI"):
        env.pop(name, None)
    runs = []
    for _ in range(2):
        runs.append(
            subprocess.run(
                [sys.executable, "-m", "gldash_static", "build", "-c", "config.yml"],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
        )
    for run in runs:
        assert run.returncode == 0, run.stderr
        assert "warning" not in run.stderr.lower() + run.stdout.lower()
    # One note when the token first meets what it may not read; quiet while nothing changes.
    assert "the token may not read" in runs[0].stderr + runs[0].stdout
    assert "the token may not read" not in runs[1].stderr + runs[1].stdout
    snapshot = json.loads((tmp_path / "snapshot.json").read_text(encoding="utf-8"))
    records = _projects(snapshot)
    assert all(p["stale"] is None for p in records.values())
    restricted = [p for p in records.values() if p["unavailable"]]
    assert restricted
    assert snapshot["fetch"]["errors"] == []
    page = next(
        page
        for page in (tmp_path / "public" / "p").glob("*.html")
        if f"/{restricted[0]['path_with_namespace']}" in page.read_text(encoding="utf-8")
    )
    assert "not readable with this token" in page.read_text(encoding="utf-8")


def test_incremental_fetch_with_a_restricted_token_equals_a_full_one(
    psim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", _token(psim, "guest"))
    config = make_config(psim, tmp_path, PRIVATE_TOO, _groups(psim))
    full = run_fetch(config, full=True).snapshot
    again = run_fetch(config, full.copy())
    assert again.complete and again.snapshot["fetch"]["mode"] == "incremental"
    assert again.snapshot["fetch"]["errors"] == []
    before, after = _projects(full), _projects(again.snapshot)
    assert set(before) == set(after)
    for pid, record in after.items():
        assert record["stale"] is None
        assert record["unavailable"] == before[pid]["unavailable"]
        for keys in DATA.values():
            for key in keys:
                assert dict(record).get(key) == dict(before[pid]).get(key), key
