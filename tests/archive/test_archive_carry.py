"""Carry-forward against the simulator's artifacts endpoint and a published site over HTTP."""

from __future__ import annotations

import gzip
import io
import json
import logging
import threading
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from archive_builds import build_snapshot
from factories import pages_zip

from gldash_static import bounded, thinning
from gldash_static.archive import Archive, Limits
from gldash_static.archive.store import encode_snapshot
from gldash_static.config import ArchiveSettings, RetentionSettings, SiteSettings
from gldash_static.errors import ArchiveError
from gldash_static.render import render_site
from gldash_static.simulator import Faults, OrgSpec, Simulator

REF = "main"
T0 = datetime(2026, 11, 28, 6, 15, tzinfo=UTC)
ARTIFACTS = "GET /projects/:id/jobs/artifacts/:ref/download"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(OrgSpec(projects=3, seed=1)) as s:
        yield s


@pytest.fixture
def project_id(sim: Simulator) -> int:
    return min(sim.state.projects)


def build(
    workdir: Path,
    moment: datetime,
    sim: Simulator,
    project_id: int,
    allow_empty: bool = False,
    settings: ArchiveSettings | None = None,
) -> Path:
    """What `gldash build` does in a fresh CI job: carry forward, add, render public/."""
    settings = settings or ArchiveSettings(dir=workdir / "archive")
    archive = Archive(settings)
    archive.carry_forward(sim.url, sim.token, project_id, REF, allow_empty=allow_empty)
    snapshot = build_snapshot(moment)
    archive.add(snapshot)
    public = workdir / "public"
    render_site(
        snapshot,
        public,
        SiteSettings(title="Acme"),
        extra_pages=archive.pages(snapshot),
        extra_files=archive.files(),
    )
    return public


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_history_survives_from_one_build_to_the_next(
    tmp_path: Path, sim: Simulator, project_id: int
) -> None:
    sim.state.artifacts.clear()
    first = build(tmp_path / "job1", T0, sim, project_id, allow_empty=True)
    sim.put_artifact(project_id, REF, "pages", pages_zip(first))
    second = build(tmp_path / "job2", T0 + timedelta(hours=6), sim, project_id)
    sim.put_artifact(project_id, REF, "pages", pages_zip(second))
    # Within a day of the first: default retention (all_days 1) keeps every build.
    third = build(tmp_path / "job3", T0 + timedelta(hours=20), sim, project_id)
    archive = Archive(ArchiveSettings(dir=tmp_path / "job3" / "archive"))
    assert [r["time"] for r in archive.rows()] == [
        "2026-11-28T06:15:00Z",
        "2026-11-28T12:15:00Z",
        "2026-11-29T02:15:00Z",
    ]
    assert [d.date for d in archive.history().days] == ["2026-11-28", "2026-11-29"]
    # Older snapshots travel as deltas from their newer neighbour; the newest stays whole.
    assert len(list((third / "archive").glob("2026/11/28/061500Z.delta-*.json.gz"))) == 1
    assert (third / "archive" / "2026/11/29/021500Z.json.gz").is_file()
    assert (third / "archive" / "index.json").read_bytes() == (
        tmp_path / "job3" / "archive" / "index.json"
    ).read_bytes()


def test_first_build_needs_allow_empty(tmp_path: Path, sim: Simulator, project_id: int) -> None:
    sim.state.artifacts.clear()
    with pytest.raises(ArchiveError, match="allow-empty-history"):
        build(tmp_path / "job", T0, sim, project_id)
    assert not (tmp_path / "job" / "public").exists()
    assert not (tmp_path / "job" / "archive").exists()
    result = Archive(ArchiveSettings(dir=tmp_path / "job" / "archive")).carry_forward(
        sim.url, sim.token, project_id, REF, allow_empty=True
    )
    assert result.snapshots == 0


def test_failed_download_fails_the_build_without_touching_the_output(
    tmp_path: Path, sim: Simulator, project_id: int
) -> None:
    sim.state.artifacts.clear()
    job = tmp_path / "job"
    public = build(job, T0, sim, project_id, allow_empty=True)
    sim.put_artifact(project_id, REF, "pages", pages_zip(public))
    before = {"public": _tree(public), "archive": _tree(job / "archive")}
    for faults in (
        Faults(routes={ARTIFACTS: Faults(error_rate=1.0, error_statuses=(403,))}),
        Faults(routes={ARTIFACTS: Faults(truncate_rate=1.0, truncate_mode="short")}),
    ):
        sim.set_faults(faults)
        try:
            # Even --allow-empty-history does not cover a download that failed.
            with pytest.raises(ArchiveError):
                build(job, T0 + timedelta(hours=6), sim, project_id, allow_empty=True)
        finally:
            sim.set_faults(Faults())
        assert {"public": _tree(public), "archive": _tree(job / "archive")} == before


def test_a_bad_token_is_an_error_that_does_not_show_the_token(
    tmp_path: Path, sim: Simulator, project_id: int
) -> None:
    archive = Archive(ArchiveSettings(dir=tmp_path / "archive"))
    with pytest.raises(ArchiveError) as caught:
        archive.carry_forward(sim.url, "glpat-not-a-real-token", project_id, REF)
    assert "glpat-not-a-real-token" not in str(caught.value)


def _zip(members: dict[str, bytes], symlink: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = 0o120777 << 16
            bundle.writestr(info, "/etc/passwd")
    return out.getvalue()


def _valid_archive(tmp_path: Path) -> dict[str, bytes]:
    archive = Archive(ArchiveSettings(dir=tmp_path / "src", carry_forward="none"))
    archive.add(build_snapshot(T0))
    return {f"public/archive/{k}": v for k, v in _tree(tmp_path / "src").items()}


def test_extraction_takes_only_archive_names_and_refuses_traversal(
    tmp_path: Path, sim: Simulator, project_id: int
) -> None:
    members = _valid_archive(tmp_path)
    members["public/archive/../../../evil.txt"] = b"x"
    members["public/archive/2026/11/28/../../../../evil.json.gz"] = b"x"
    members["/public/archive/index.json"] = b"x"
    members["public/archive/notes.html"] = b"x"
    sim.put_artifact(project_id, REF, "pages", _zip(members))
    target = tmp_path / "job" / "archive"
    result = Archive(ArchiveSettings(dir=target)).carry_forward(sim.url, sim.token, project_id, REF)
    assert result.snapshots == 1
    assert sorted(_tree(target)) == [
        ".gldash-output",
        "2026/11/28/061500Z.json.gz",
        "history.json",
        "index.json",
    ]
    assert not list(tmp_path.rglob("evil*"))
    sim.put_artifact(
        project_id, REF, "pages", _zip(members, symlink="public/archive/2026/11/29/000000Z.json.gz")
    )
    with pytest.raises(ArchiveError):
        Archive(ArchiveSettings(dir=tmp_path / "job2")).carry_forward(
            sim.url, sim.token, project_id, REF
        )


def test_size_limits_and_incomplete_archives_are_refused(
    tmp_path: Path, sim: Simulator, project_id: int
) -> None:
    members = _valid_archive(tmp_path)
    members["public/archive/2020/01/01/000000Z.json.gz"] = b"\0" * 200_000
    sim.put_artifact(project_id, REF, "pages", _zip(members))
    archive = Archive(ArchiveSettings(dir=tmp_path / "job" / "archive"))
    with pytest.raises(ArchiveError, match=r"exceeds|larger"):
        archive.carry_forward(sim.url, sim.token, project_id, REF, limits=Limits(extract=100_000))
    with pytest.raises(ArchiveError, match="exceeds"):
        archive.carry_forward(sim.url, sim.token, project_id, REF, limits=Limits(download=1000))
    del members["public/archive/2026/11/28/061500Z.json.gz"]
    sim.put_artifact(project_id, REF, "pages", _zip(members))
    with pytest.raises(ArchiveError, match="incomplete"):
        archive.carry_forward(sim.url, sim.token, project_id, REF, allow_empty=True)
    sim.put_artifact(project_id, REF, "pages", _zip({"public/index.html": b"<p>hi</p>"}))
    with pytest.raises(ArchiveError, match="allow-empty-history"):
        archive.carry_forward(sim.url, sim.token, project_id, REF)
    assert (
        archive.carry_forward(sim.url, sim.token, project_id, REF, allow_empty=True).snapshots == 0
    )
    assert not archive.root.exists()


@pytest.fixture
def site_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static web server on 127.0.0.1 for a published site folder."""
    root = tmp_path / "published"
    root.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined,method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/group/project/", root
    finally:
        server.shutdown()
        server.server_close()


def test_url_mode_downloads_the_published_archive(
    tmp_path: Path, site_server: tuple[str, Path]
) -> None:
    url, published = site_server
    settings = ArchiveSettings(dir=tmp_path / "a1", carry_forward="url", carry_forward_url=url)
    first = Archive(settings)
    with pytest.raises(ArchiveError, match="allow-empty-history"):
        first.carry_forward(None, None, None, None)
    first.carry_forward(None, None, None, None, allow_empty=True)
    first.add(build_snapshot(T0))
    site = published / "group" / "project" / "archive"
    site.mkdir(parents=True)
    for name, data in _tree(tmp_path / "a1").items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(data)
    second = Archive(
        ArchiveSettings(dir=tmp_path / "a2", carry_forward="url", carry_forward_url=url)
    )
    assert second.carry_forward(None, None, None, None).snapshots == 1
    assert _tree(tmp_path / "a2") == _tree(tmp_path / "a1")
    # A site publishes its newest snapshot once, as snapshot.json.gz beside archive/.
    newest = site / "2026/11/28/061500Z.json.gz"
    (site.parent / "snapshot.json.gz").write_bytes(newest.read_bytes())
    newest.unlink()
    fourth = Archive(
        ArchiveSettings(dir=tmp_path / "a4", carry_forward="url", carry_forward_url=url)
    )
    assert fourth.carry_forward(None, None, None, None).snapshots == 1
    assert _tree(tmp_path / "a4") == _tree(tmp_path / "a1")
    # ... and only when it is the snapshot the index names.
    (site.parent / "snapshot.json.gz").write_bytes(encode_snapshot(build_snapshot(T0, 3)))
    fifth = Archive(
        ArchiveSettings(dir=tmp_path / "a5", carry_forward="url", carry_forward_url=url)
    )
    with pytest.raises(ArchiveError, match="not the archive's newest"):
        fifth.carry_forward(None, None, None, None, allow_empty=True)
    (site.parent / "snapshot.json.gz").unlink()
    third = Archive(
        ArchiveSettings(dir=tmp_path / "a3", carry_forward="url", carry_forward_url=url)
    )
    with pytest.raises(ArchiveError, match="incomplete"):
        third.carry_forward(None, None, None, None, allow_empty=True)
    assert not (tmp_path / "a3").exists()


def test_none_mode_does_nothing(tmp_path: Path) -> None:
    archive = Archive(ArchiveSettings(dir=tmp_path / "a", carry_forward="none"))
    assert archive.carry_forward(None, None, None, None).mode == "none"
    assert not (tmp_path / "a").exists()


def _publish(
    tmp_path: Path, site_root: Path, job_attempts: bool = True, jobs_days: int | None = 0
) -> Path:
    """Render a site with a two-snapshot archive into `site_root` as Pages would serve it,
    its snapshot.json.gz with or without job attempts (then with the build's carry file)."""
    retention = RetentionSettings(jobs_days=jobs_days)
    archive = Archive(
        ArchiveSettings(dir=tmp_path / "src", carry_forward="artifacts", retention=retention)
    )
    snapshots = [build_snapshot(T0), build_snapshot(T0 + timedelta(hours=6))]
    for snapshot in snapshots:
        archive.add(snapshot)
    render_site(
        snapshots[-1],
        site_root,
        SiteSettings(snapshot_job_attempts=job_attempts),
        extra_pages=archive.pages(snapshots[-1], job_attempts=job_attempts),
        extra_files=archive.files(snapshots[-1]),
    )
    archive.keep_for_carry(snapshots[-1], job_attempts)
    return tmp_path / "src"


def test_a_site_publishing_its_snapshot_without_job_attempts_carries_the_whole_one_by_artifacts(
    tmp_path: Path, sim: Simulator, project_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    site = tmp_path / "public"
    source = _publish(tmp_path, site, job_attempts=False)
    carried = source / "carry.json.gz"
    published = json.loads(gzip.decompress((site / "snapshot.json.gz").read_bytes()))
    assert thinning.has_job_attempts(Archive(ArchiveSettings(dir=source)).newest())
    assert not thinning.has_job_attempts(published)
    assert not (site / "archive" / "carry.json.gz").exists()  # never published
    # The artifacts hold it beside public/: the next build gets the snapshot whole.
    sim.put_artifact(project_id, REF, "pages", pages_zip(site, carried))
    by_zip = Archive(ArchiveSettings(dir=tmp_path / "z"))
    assert by_zip.carry_forward(sim.url, sim.token, project_id, REF).snapshots == 2
    assert _tree(tmp_path / "z") == {k: v for k, v in _tree(source).items() if k != "carry.json.gz"}
    assert by_zip.newest() == Archive(ArchiveSettings(dir=source)).newest()
    # Artifacts without it (a Pages job of an older .gitlab-ci.yml, listing public/ only), or
    # with one of another snapshot: the published one, checked against the sha256 the index
    # records for it, comes back thinned, with a warning; the refresh refetches job attempts.
    other = tmp_path / "other.json.gz"
    other.write_bytes(encode_snapshot(build_snapshot(T0, 3)))
    for n, carry_file in enumerate((None, other)):
        sim.put_artifact(project_id, REF, "pages", pages_zip(site, carry_file))
        degraded = Archive(ArchiveSettings(dir=tmp_path / f"degraded-{n}"))
        with caplog.at_level(logging.WARNING):
            assert degraded.carry_forward(sim.url, sim.token, project_id, REF).snapshots == 2
        assert "no usable archive/carry.json.gz" in caplog.text
        assert degraded.newest() == published
        [*older, newest] = degraded.rows()
        assert newest["thinned"] and "published_sha256" not in newest
        assert older == Archive(ArchiveSettings(dir=source)).rows()[:-1]
        caplog.clear()
    # A published snapshot that is neither form of the newest is refused: nothing changes.
    (site / "snapshot.json.gz").write_bytes(other.read_bytes())
    sim.put_artifact(project_id, REF, "pages", pages_zip(site))
    lost = Archive(ArchiveSettings(dir=tmp_path / "lost"))
    with pytest.raises(ArchiveError, match=r"snapshot\.json\.gz is not the archive's newest"):
        lost.carry_forward(sim.url, sim.token, project_id, REF)
    assert not (tmp_path / "lost").exists()


def test_without_its_carry_file_a_newest_whose_job_attempts_an_older_delta_needs_is_refused(
    tmp_path: Path, sim: Simulator, project_id: int
) -> None:
    # retention.jobs_days keeps job attempts in the snapshot before the newest: its delta was
    # written from the newest's. The newest without them would not rebuild it, ever.
    site = tmp_path / "public"
    _publish(tmp_path, site, job_attempts=False, jobs_days=None)
    sim.put_artifact(project_id, REF, "pages", pages_zip(site))
    lost = Archive(ArchiveSettings(dir=tmp_path / "lost"))
    with pytest.raises(ArchiveError, match=r"archive/carry\.json\.gz must come with"):
        lost.carry_forward(sim.url, sim.token, project_id, REF)
    assert not (tmp_path / "lost").exists()


@pytest.mark.parametrize("kind", ["truncated", "gzip bomb"])
def test_a_broken_carry_file_falls_back_to_the_published_snapshot(
    tmp_path: Path, sim: Simulator, project_id: int, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "public"
    source = _publish(tmp_path, site, job_attempts=True)
    good = Archive(ArchiveSettings(dir=source))
    broken = tmp_path / "broken.json.gz"
    if kind == "truncated":  # in transit
        broken.write_bytes(encode_snapshot(build_snapshot(T0))[:200])
    else:  # unzips past the limit a snapshot is read with, the published one within it
        published = len(gzip.decompress((site / "snapshot.json.gz").read_bytes()))
        monkeypatch.setattr(bounded, "SNAPSHOT_BYTES", published)
        broken.write_bytes(gzip.compress(b" " * (published + 1)))
    sim.put_artifact(project_id, REF, "pages", pages_zip(site, broken))
    carried = Archive(ArchiveSettings(dir=tmp_path / "c"))
    assert carried.carry_forward(sim.url, sim.token, project_id, REF).snapshots == 2
    assert carried.newest() == good.newest()


def test_url_carry_forward_of_a_site_published_without_job_attempts_takes_it_thinned(
    tmp_path: Path, site_server: tuple[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    # A site built with artifacts carry-forward, then read by URL (the artifacts were lost):
    # the published snapshot is the newest without job attempts, which its row's
    # published_sha256 names; it comes back marked thinned and the build refetches them.
    url, published = site_server
    site = published / "group" / "project"
    source = _publish(tmp_path, site, job_attempts=False)
    settings = ArchiveSettings(dir=tmp_path / "u", carry_forward="url", carry_forward_url=url)
    with caplog.at_level(logging.WARNING):
        assert Archive(settings).carry_forward(None, None, None, None).snapshots == 2
    assert "came back without its job attempts" in caplog.text
    newest = Archive(settings).newest()
    assert newest is not None and not thinning.has_job_attempts(dict(newest))
    assert newest == thinning.without_jobs(
        dict(Archive(ArchiveSettings(dir=source)).newest() or {})
    )


def test_a_site_publishing_job_attempts_keeps_no_carry_file(tmp_path: Path) -> None:
    source = _publish(tmp_path, tmp_path / "thin", job_attempts=False)
    assert (source / "carry.json.gz").is_file()
    # The same archive published whole: an old carry file must not travel with it.
    newest = build_snapshot(T0 + timedelta(hours=6))
    Archive(ArchiveSettings(dir=source)).keep_for_carry(newest, published_job_attempts=True)
    assert not (source / "carry.json.gz").exists()
    # Nor is one written for a build that carries nothing forward from artifacts.
    for mode in ("none", "url"):
        settings = ArchiveSettings(dir=source, carry_forward=mode)
        assert Archive(settings).keep_for_carry(newest, published_job_attempts=False) is None
        assert not (source / "carry.json.gz").exists()
    assert Archive(ArchiveSettings(dir=source)).keep_for_carry(newest, False) is not None


def test_a_site_publishing_history_gzipped_only_carries_it_back_by_url_and_by_artifacts(
    tmp_path: Path, site_server: tuple[str, Path], sim: Simulator, project_id: int
) -> None:
    url, published = site_server
    site = published / "group" / "project"
    source = _publish(tmp_path, site)
    assert (site / "archive" / "history.json.gz").is_file()
    assert not (site / "archive" / "history.json").exists()
    by_url = Archive(
        ArchiveSettings(dir=tmp_path / "u", carry_forward="url", carry_forward_url=url)
    )
    assert by_url.carry_forward(None, None, None, None).snapshots == 2
    assert _tree(tmp_path / "u") == _tree(source)
    sim.put_artifact(project_id, REF, "pages", pages_zip(site))
    by_zip = Archive(ArchiveSettings(dir=tmp_path / "z"))
    assert by_zip.carry_forward(sim.url, sim.token, project_id, REF).snapshots == 2
    assert _tree(tmp_path / "z") == _tree(source)


def test_a_corrupt_or_oversized_published_history_is_refused_and_nothing_changes(
    tmp_path: Path, site_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, published = site_server
    site = published / "group" / "project"
    _publish(tmp_path, site)
    history = site / "archive" / "history.json.gz"
    good = history.read_bytes()
    settings = ArchiveSettings(dir=tmp_path / "u", carry_forward="url", carry_forward_url=url)
    history.write_bytes(good[: len(good) // 2])  # truncated in transit
    with pytest.raises(ArchiveError, match=r"history\.json\.gz: corrupt or truncated gzip"):
        Archive(settings).carry_forward(None, None, None, None)
    assert not (tmp_path / "u").exists()
    # A small file that unzips past the limit history.json is read with: a gzip bomb.
    history.write_bytes(good)
    monkeypatch.setattr(bounded, "HISTORY_BYTES", len(gzip.decompress(good)) - 1)
    with pytest.raises(ArchiveError, match=r"history\.json\.gz.*limit"):
        Archive(settings).carry_forward(None, None, None, None)
    assert not (tmp_path / "u").exists()


def test_publishing_reads_history_json_within_its_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = Archive(ArchiveSettings(dir=tmp_path / "src", carry_forward="none"))
    snapshot = build_snapshot(T0)
    archive.add(snapshot)
    size = (tmp_path / "src" / "history.json").stat().st_size
    monkeypatch.setattr(bounded, "HISTORY_BYTES", size - 1)  # a history grown past the limit
    with pytest.raises(ArchiveError, match=r"history\.json.*limit"):
        archive.files(snapshot)
    monkeypatch.setattr(bounded, "HISTORY_BYTES", size)
    published = [f for f in archive.files(snapshot) if f.path == "archive/history.json.gz"]
    assert len(published) == 1 and published[0].data is not None
    assert gzip.decompress(published[0].data) == (tmp_path / "src" / "history.json").read_bytes()
