"""The token goes only to the origin it belongs to: a recording server on 127.0.0.2 sees none.

GitLab's own behaviour is the attacker here: `Link` headers naming another host, redirects
of API answers to another host, artifact downloads redirected to object storage, and CI
variables naming another instance. Every command that sends a token is driven against the
simulator on 127.0.0.1 while a `Recorder` on 127.0.0.2 stands for every other origin; it
must receive no request carrying PRIVATE-TOKEN, JOB-TOKEN, Authorization, a cookie or the
token's text anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import pages_zip
from origin_helpers import Recorder, Seen, redirect
from reliability_helpers import TOKEN, TOKEN_PARTS, grant_token, make_workspace, read_snapshot

from gldash_static.archive import Archive
from gldash_static.simulator import OrgSpec, Reply, Simulator

Cli = Callable[..., Any]
ORG = OrgSpec(projects=12, seed=7, pipelines_per_project=5)
ARTIFACTS = "GET /projects/:id/jobs/artifacts/:ref/download"
SIGNED = "X-Amz-Signature=0123456789abcdef"  # must never reach a message


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with Recorder() as server:
        yield server


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)


def _sim(**options: Any) -> Simulator:
    # Three items a page: every listing of this small organisation spans several pages.
    sim = Simulator(ORG, max_per_page=3, **options).start()
    grant_token(sim)
    return sim


def _later_pages(sim: Simulator) -> list[str]:
    """Record the listing pages after the first that reach the simulator."""
    seen: list[str] = []

    def hook(template: str, path: str, query: list[tuple[str, str]]) -> None:
        if any(k in ("page", "id_after", "id_before") and v != "1" for k, v in query):
            seen.append(template)

    sim.on_request(hook)
    return seen


def _event_file(root: Path) -> Path:
    snapshot = read_snapshot(root / "snapshot.json")
    project = max(snapshot["sources"][0]["projects"], key=lambda p: p["id"])
    payload = {"object_kind": "pipeline", "project": {"id": project["id"]}}
    path = root / "payload.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


# python-gitlab only warns before following such a link (tests turn the warning into an
# error, which would hide the leak this test looks for).
@pytest.mark.filterwarnings("ignore:The base URL in the server response differs")
@pytest.mark.parametrize("command", ["fetch", "build", "event"])
def test_next_page_links_to_another_origin_are_read_on_our_own_base_url(
    command: str,
    recorder: Recorder,
    tmp_path: Path,
    run_cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = _sim(external_url=recorder.url)  # GitLab writes its external URL into Link
    try:
        ws = make_workspace(sim, tmp_path / "ws")
        monkeypatch.chdir(ws.root)
        later = _later_pages(sim)
        if command == "event":
            assert run_cli("fetch", "--quiet").code == 0  # the data an event build refreshes
        if command == "event":
            result = run_cli("build", "--quiet", "--event", str(_event_file(ws.root)))
        else:
            result = run_cli(command, "--quiet")
    finally:
        sim.stop()
    assert recorder.leaks(*TOKEN_PARTS) == []
    assert recorder.requests() == []  # pagination never left the configured base URL
    assert result.code == 0, result.err
    assert later, "no listing went past its first page: the test proves nothing"
    assert read_snapshot(ws.snapshot)["sources"][0]["projects"]


def _answer(route: str, answer: Reply) -> Callable[..., Reply | None]:
    def hook(template: str, path: str, query: list[tuple[str, str]]) -> Reply | None:
        return answer if template == route else None

    return hook


def _dashboard(sim: Simulator) -> int:
    return min(p.id for p in sim.state.projects.values() if p.visibility == "public")


CASES = {
    # command: (route redirected, status, expected exit status)
    "fetch": ("GET /projects/:id/repository/branches", 302, 1),
    "graphql": ("POST /api/graphql", 307, 0),  # an optimisation: the refresh falls back to REST
    "schedule": ("GET /projects/:id/pipeline_schedules", 302, 1),
    "trigger": ("POST /projects/:id/trigger/pipeline", 307, 1),  # a 307 resends the body
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_api_redirects_to_another_origin_are_refused(
    case: str, recorder: Recorder, tmp_path: Path, run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    route, status, code = CASES[case]
    sim = _sim()
    try:
        ws = make_workspace(sim, tmp_path / "ws")
        monkeypatch.chdir(ws.root)
        pid = _dashboard(sim)
        trigger_token = sim.create_trigger(pid)
        monkeypatch.setenv("GLDASH_TRIGGER_TOKEN", trigger_token)
        if case == "graphql":
            assert run_cli("fetch", "--quiet").code == 0  # the refresh asks GraphQL
            sim.clock.advance(hours=2)
        location = f"{recorder.url}/storage/object?{SIGNED}"
        sim.on_request(_answer(route, redirect(location, status)))
        target = ["--url", sim.url, "--project", str(pid)]
        args = {
            "fetch": ["fetch", "--quiet", "--full"],
            "graphql": ["fetch", "--quiet"],
            "schedule": ["schedule", *target],
            "trigger": ["trigger", *target],
        }[case]
        result = run_cli(*args)
    finally:
        sim.stop()
    assert recorder.leaks(*TOKEN_PARTS, trigger_token) == []
    assert recorder.requests() == []  # not even without the token: API calls stay home
    assert result.code == code, result.err
    if code:
        assert f"redirected to another origin, {recorder.url};" in result.err, result.err
    assert "Signature" not in result.out + result.err
    assert "Traceback" not in result.err


def test_carry_forward_follows_the_storage_redirect_without_credentials(
    recorder: Recorder, tmp_path: Path, run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = _sim()
    try:
        first = make_workspace(sim, tmp_path / "first")
        monkeypatch.chdir(first.root)
        assert run_cli("build", "--quiet").code == 0
        recorder.files["/bucket/artifacts.zip"] = pages_zip(first.site)
        # GitLab with object storage answers the download with a signed storage URL.
        storage = redirect(f"{recorder.url}/bucket/artifacts.zip?{SIGNED}")
        sim.on_request(lambda template, _path, _query: storage if template == ARTIFACTS else None)
        second = make_workspace(sim, tmp_path / "second")
        text = second.config_path.read_text(encoding="utf-8")
        second.config_path.write_text(
            text.replace("carry_forward: none", "carry_forward: artifacts"), encoding="utf-8"
        )
        pid = _dashboard(sim)
        monkeypatch.setenv("CI_SERVER_URL", sim.url)
        monkeypatch.setenv("CI_PROJECT_ID", str(pid))
        monkeypatch.setenv("CI_DEFAULT_BRANCH", "main")
        monkeypatch.chdir(second.root)
        sim.clock.advance(hours=1)
        result = run_cli("build", "--quiet")
    finally:
        sim.stop()
    assert recorder.leaks(*TOKEN_PARTS) == []
    downloads = [s for s in recorder.requests() if s.target.startswith("/bucket/")]
    assert [s.method for s in downloads] == ["GET"]  # the file was asked for, once
    assert result.code == 0, result.err
    # The history came along: the carried snapshot plus this build's.
    assert len(Archive(second.config().archive).rows()) == 2


def test_schedule_sends_a_source_token_only_to_that_source(
    recorder: Recorder, tmp_path: Path, run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = _sim()
    try:
        ws = make_workspace(sim, tmp_path / "ws")
        monkeypatch.chdir(ws.root)
        pid = _dashboard(sim)
        monkeypatch.setenv("CI_PROJECT_ID", str(pid))
        monkeypatch.setenv("CI_SERVER_URL", recorder.url)  # another instance runs this job
        refused = run_cli("schedule")
        monkeypatch.setenv("CI_SERVER_URL", sim.url + "/")  # the source's own instance
        accepted = run_cli("schedule")
    finally:
        sim.stop()
    assert recorder.leaks(*TOKEN_PARTS) == []
    assert recorder.requests() == []
    assert refused.code == 2
    assert refused.err.strip() == (
        f"error: CI_SERVER_URL {recorder.url} is not any source in config.yml; pass --token-env"
    )
    assert accepted.code == 0, accepted.err
    assert " created: " in accepted.out


def test_schedule_without_config_keeps_gitlab_token_for_ci_server_url(
    recorder: Recorder, tmp_path: Path, run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no config.yml: GITLAB_TOKEN belongs to $CI_SERVER_URL
    monkeypatch.setenv("CI_SERVER_URL", "https://gitlab.example.com")
    result = run_cli("schedule", "--url", recorder.url, "--project", "1")
    assert recorder.leaks(*TOKEN_PARTS) == []
    assert recorder.requests() == []
    assert result.code == 2
    assert "is not CI_SERVER_URL" in result.err and "--token-env" in result.err


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("HTTPS://GitLab.Example.com", "https://gitlab.example.com:443/api/v4", True),
        ("http://gitlab.example.com", "http://gitlab.example.com:80/", True),
        ("http://[::1]:8080/x", "http://[::1]:8080", True),
        ("http://gitlab.example.com", "https://gitlab.example.com", False),
        ("https://gitlab.example.com", "https://gitlab.example.com:8443", False),
        ("https://gitlab.example.com", "https://gitlab.example.com.evil.test", False),
        ("https://user:pw@evil.test@gitlab.example.com", "https://evil.test", False),
        ("ftp://gitlab.example.com", "ftp://gitlab.example.com", False),
        ("https://gitlab.example.com:99999", "https://gitlab.example.com:99999", False),
    ],
)
def test_origins_compare_normalised(a: str, b: str, same: bool) -> None:
    from gldash_static.gitlab.origin import same_origin

    assert same_origin(a, b) is same


def test_a_download_session_strips_every_credential_on_its_way_out(recorder: Recorder) -> None:
    from gldash_static.gitlab import http

    with http.session("http://127.0.0.1:9", downloads=True) as session:
        headers = {
            "PRIVATE-TOKEN": TOKEN,
            "JOB-TOKEN": TOKEN,
            "Authorization": f"Bearer {TOKEN}",
            "Cookie": f"_gitlab_session={TOKEN}",
        }
        session.get(f"{recorder.url}/file", headers=headers, timeout=5).close()
        with pytest.raises(http.ForeignOriginError):
            session.post(f"{recorder.url}/file", data={"token": TOKEN}, timeout=5)
    with http.session("http://127.0.0.1:9") as api, pytest.raises(http.ForeignOriginError):
        api.get(f"{recorder.url}/file", timeout=5)
    seen: list[Seen] = recorder.requests()
    assert [s.method for s in seen] == ["GET"]
    assert recorder.leaks(*TOKEN_PARTS) == []
