"""Members-only features of public and internal projects never reach a public dashboard.

GitLab lets a project open its repository, CI/CD and merge requests to members only (access
level `private`, or `public_jobs: false` for pipelines and jobs). The token that fetches is
an administrator's here, so GitLab hands over everything: the dashboard itself must leave
those features out, of the snapshot and of every file, and say so on the project page.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import make_snapshot
from reliability_helpers import (
    TOKEN,
    Workspace,
    decoded,
    grant_token,
    make_workspace,
    read_snapshot,
)

from gldash_static.archive.changes import diff
from gldash_static.model import Project
from gldash_static.simulator import OrgSpec, Simulator
from gldash_static.simulator.model import Project as SimProject

Builder = Callable[..., None]

# How each chosen project is restricted, and the features the dashboard must withhold.
RESTRICTIONS: dict[str, tuple[dict[str, object], list[str]]] = {
    "repository": (
        {"repository": "private", "builds": "private", "merge_requests": "private"},
        ["repository", "pipelines", "merge_requests", "environments"],
    ),
    "builds": ({"builds": "private"}, ["pipelines", "environments"]),
    "public_jobs": ({"public_jobs": False}, ["pipelines", "environments"]),
    "merge_requests": ({"merge_requests": "private"}, ["merge_requests"]),
}


def _candidates(sim: Simulator) -> list[SimProject]:
    """Published projects with code, pipelines, branches and open merge requests."""
    with sim.state.changing():
        found = []
        for p in sorted(sim.state.projects.values(), key=lambda p: p.id):
            if p.visibility == "private" or p.archived or p.empty_repo:
                continue
            if p.namespace_kind != "group":
                continue
            opened = [m for m in sim.state.merge_requests(p.id) if m.state == "opened"]
            if sim.state.pipelines(p.id) and sim.state.branches(p.id) and opened:
                found.append(p)
        return found


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    # The smallest organisation of this seed with a candidate for every kind of restriction.
    with Simulator(OrgSpec(projects=40, seed=6, pipelines_per_project=4)) as server:
        grant_token(server)
        yield server


@pytest.fixture(scope="module")
def restricted(sim: Simulator) -> dict[str, SimProject]:
    """One project per kind of restriction, restricted in the simulator."""
    chosen = dict(zip(RESTRICTIONS, _candidates(sim), strict=False))
    assert len(chosen) == len(RESTRICTIONS), "the organisation needs more candidate projects"
    for kind, project in chosen.items():
        levels, _ = RESTRICTIONS[kind]
        public_jobs = levels.get("public_jobs")
        sim.state.set_feature_access(
            project.id,
            public_jobs=public_jobs if isinstance(public_jobs, bool) else None,
            **{k: str(v) for k, v in levels.items() if k != "public_jobs"},
        )
    return chosen


def _projects(ws: Workspace) -> dict[int, Project]:
    return {p["id"]: p for p in read_snapshot(ws.snapshot)["sources"][0]["projects"]}


def _secrets(sim: Simulator, project: SimProject, withheld: list[str]) -> list[bytes]:
    """Texts that only the withheld features of `project` would put into an output."""
    web = f"{sim.url}/{project.path_with_namespace}"
    found: list[bytes] = []
    if "pipelines" in withheld:
        found += [f"{web}/-/pipelines/{pl.id}".encode() for pl in sim.state.pipelines(project.id)]
    if "merge_requests" in withheld:
        found += [
            f"{web}/-/merge_requests/{m.iid}".encode() for m in sim.state.merge_requests(project.id)
        ]
    # Branch names are shared between projects: the project page test checks those.
    return found


def _leaks(
    sim: Simulator, restricted: dict[str, SimProject], outputs: dict[Path, bytes]
) -> list[tuple[str, str, bytes]]:
    """(kind, file, text) for every withheld text found in an output file."""
    return [
        (kind, path.name, secret)
        for kind, project in restricted.items()
        for secret in _secrets(sim, project, RESTRICTIONS[kind][1])
        for path, data in outputs.items()
        if secret in data
    ]


def _assert_withheld(record: Project, kind: str) -> None:
    """The record lists what the dashboard withholds for `kind`, and holds none of it."""
    _, withheld = RESTRICTIONS[kind]
    assert record["withheld"] == withheld, kind
    if "pipelines" in withheld:
        assert record["pipelines"] == [], kind
    if "environments" in withheld:
        assert not record["environments"] and record["deployments"] == [], kind
    if "repository" in withheld:
        assert record["branches"] == [] and record["branches_omitted"] == 0, kind
    if "merge_requests" in withheld:
        assert record["merge_requests"] == [], kind


@pytest.fixture
def build(run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> Builder:
    """`gldash build --quiet` of a workspace, in-process."""
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)

    def run(ws: Workspace, *extra: str) -> None:
        result = run_cli("build", "-c", str(ws.config_path), "--quiet", *extra)
        assert result.code == 0, result.err

    return run


def _outputs(ws: Workspace) -> dict[Path, bytes]:
    return {path: decoded(path) for path in ws.outputs()}


def test_members_only_features_are_left_out_of_every_output(
    sim: Simulator, restricted: dict[str, SimProject], tmp_path: Path, build: Builder
) -> None:
    ws = make_workspace(sim, tmp_path / "ws")
    build(ws, "--allow-empty-history")
    projects = _projects(ws)
    assert _leaks(sim, restricted, _outputs(ws)) == []
    for kind, project in restricted.items():
        record = projects[project.id]  # the project itself stays on the dashboard
        _assert_withheld(record, kind)
        assert set(record["members_only"]) <= set(record["withheld"]), kind
    # Unrestricted features of the same projects are still there.
    assert projects[restricted["builds"].id]["branches"]
    assert projects[restricted["merge_requests"].id]["pipelines"]
    assert projects[restricted["public_jobs"].id]["merge_requests"]


def test_project_page_says_restricted_to_members(
    sim: Simulator, restricted: dict[str, SimProject], tmp_path: Path, build: Builder
) -> None:
    ws = make_workspace(sim, tmp_path / "ws")
    build(ws, "--allow-empty-history")
    snapshot = read_snapshot(ws.snapshot)
    pages = {p.read_text(encoding="utf-8"): p.name for p in sorted((ws.site / "p").glob("*.html"))}
    for kind, project in restricted.items():
        page = next(
            (text for text in pages if f"/{project.path_with_namespace}/-/pipelines" in text),
            "",
        )
        assert page, kind
        assert "restricted to members" in page, kind
        if kind == "repository":
            branch_names = {b.name for b in sim.state.branches(project.id)} - {"main", "master"}
            assert not any(f"<code>{name}</code>" in page for name in branch_names)
    assert snapshot["sources"][0]["projects"]


def test_dashboard_that_publishes_private_projects_keeps_members_only_data(
    sim: Simulator, restricted: dict[str, SimProject], tmp_path: Path, build: Builder
) -> None:
    ws = make_workspace(
        sim, tmp_path / "ws", source="    visibility: [public, internal, private]\n"
    )
    build(ws, "--allow-empty-history")
    projects = _projects(ws)
    for kind, project in restricted.items():
        record = projects[project.id]
        assert record["withheld"] == [], kind
        assert record["members_only"], kind
    assert projects[restricted["repository"].id]["branches"]
    assert projects[restricted["builds"].id]["pipelines"]
    assert projects[restricted["merge_requests"].id]["merge_requests"]


# Three ways an event build carries earlier data: it refreshes another project; the event is
# already covered by the previous fetch (nothing fetched at all); the event is about another
# GitLab instance (this source is not asked).
EVENTS = {
    "refresh": lambda project: {"object_attributes": {"id": 1, "status": "success"}},
    "covered": lambda project: {
        "object_attributes": {
            "id": 1,
            "status": "success",
            "finished_at": "2001-01-01 00:00:00 UTC",
        }
    },
    "other instance": lambda project: {
        "project": {"id": project["id"], "web_url": "https://other.example.com/a/b"},
        "object_attributes": {"id": 1, "status": "success"},
    },
}


@pytest.mark.parametrize("event", list(EVENTS))
def test_event_build_applies_a_narrowed_config_to_carried_projects(
    sim: Simulator,
    restricted: dict[str, SimProject],
    tmp_path: Path,
    build: Builder,
    event: str,
) -> None:
    # Published once with private projects and members-only data (behind access control)...
    ws = make_workspace(
        sim, tmp_path / "ws", source="    visibility: [public, internal, private]\n"
    )
    build(ws, "--allow-empty-history")
    before = read_snapshot(ws.snapshot)["sources"][0]
    assert any(p["visibility"] == "private" for p in before["projects"])
    assert any(g["visibility"] == "private" for g in before["groups"])
    # ...then the config narrows to the default (public and internal), and the next build is
    # a webhook event: whatever it carries over follows the new config too, instead of
    # publishing yesterday's private projects, groups and members-only data.
    text = ws.config_path.read_text(encoding="utf-8")
    ws.config_path.write_text(
        text.replace("    visibility: [public, internal, private]\n", ""), encoding="utf-8"
    )
    other = next(
        p
        for p in before["projects"]
        if p["visibility"] != "private" and p["id"] not in {r.id for r in restricted.values()}
    )
    payload = tmp_path / "event.json"
    body = {
        "object_kind": "pipeline",
        "project": {"id": other["id"], "web_url": other["web_url"]},
    } | EVENTS[event](other)
    payload.write_text(json.dumps(body), encoding="utf-8")
    build(ws, "--event", str(payload))
    after = read_snapshot(ws.snapshot)["sources"][0]
    assert all(p["visibility"] != "private" for p in after["projects"])
    assert all(g["visibility"] != "private" for g in after["groups"])
    projects = {p["id"]: p for p in after["projects"]}
    for kind, project in restricted.items():
        _assert_withheld(projects[project.id], kind)
    # Dated copies archived under the earlier config keep what they held (docs/security.md).
    current = {path: data for path, data in _outputs(ws).items() if "archive" not in path.parts}
    assert _leaks(sim, restricted, current) == []
    # A private path, not the start of a longer public one ("a/b" of "a/b-2").
    private = [
        re.compile(re.escape(p["path_with_namespace"].encode()) + rb"(?![\w.-])")
        for p in before["projects"]
        if p["visibility"] == "private"
    ]
    found = [path.name for path, data in current.items() if any(x.search(data) for x in private)]
    assert found == []


def test_changes_page_reports_no_withheld_capped_or_unpublished_data() -> None:
    previous = make_snapshot(projects=6, seed=3)
    current = copy.deepcopy(previous)
    current["generated_at"] = "2026-11-29T06:00:00.000Z"
    old_projects = previous["sources"][0]["projects"]
    new_projects = current["sources"][0]["projects"]
    with_mrs = [i for i, p in enumerate(old_projects) if p["merge_requests"]]
    assert len(with_mrs) >= 2
    # One project's merge requests became members-only, another's were cut by the cap.
    withheld, capped = with_mrs[:2]
    new_projects[withheld]["merge_requests"] = []
    new_projects[withheld]["withheld"] = ["merge_requests"]
    new_projects[capped]["merge_requests"] = []
    new_projects[capped]["merge_requests_omitted"] = len(old_projects[capped]["merge_requests"])
    # A private project published before is not published now (the config narrowed).
    old_projects[-1]["visibility"] = "private"
    del new_projects[-1]
    changes = diff(previous, current)
    assert changes.closed_merge_requests == []
    assert changes.removed_projects == []
    # Published the same way, a project that is gone was removed, and is reported.
    current["sources"][0]["visibility"] = ["public", "internal", "private"]
    assert diff(previous, current).removed_projects == [old_projects[-1]["path_with_namespace"]]
