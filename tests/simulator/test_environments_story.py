"""The organisation's deployment stories (issue 17): who deploys where, failures and rollbacks,
review apps that stop, stale and hostile environments, reverts as the clock runs."""

from __future__ import annotations

import pytest
from env_helpers import ok, pick

from gldash_static.simulator import OrgSpec, Simulator
from gldash_static.simulator import deploy_plan as plan
from gldash_static.simulator.rollbacks import ROLLBACK_OFFSET
from gldash_static.simulator.serialize import ts


def test_some_projects_have_no_environments(sim: Simulator) -> None:
    none = pick(sim, lambda p, s: not s.environments and not p.access and not p.empty_repo)
    assert ok(sim, f"/projects/{none.id}/environments") == []
    assert ok(sim, f"/projects/{none.id}/deployments") == []
    counts = [len(sim.state.deploy_state(pid).environments) for pid in sim.state.projects]
    assert 0.3 < sum(1 for c in counts if c) / len(counts) < 0.7
    # environments_access_level is in the project entity, not in `simple` listings.
    listed = ok(sim, "/projects", per_page=100)
    assert {p["environments_access_level"] for p in listed} <= {"enabled", "private", "disabled"}
    assert "environments_access_level" not in ok(sim, "/projects", simple="true")[0]
    levels = {p.access.get("environments", "enabled") for p in sim.state.projects.values()}
    assert levels == {"enabled", "private", "disabled"}


def test_review_apps_stop_and_production_stays(sim: Simulator) -> None:
    p = pick(
        sim,
        lambda p, s: (
            not p.access
            and any(e.name.startswith("review/") and e.state == "stopped" for e in s.environments)
        ),
    )
    every = ok(sim, f"/projects/{p.id}/environments", per_page=100)
    stopped = [e for e in every if e["state"] == "stopped"]
    assert stopped and all(e["name"].startswith("review/") for e in stopped)
    for e in stopped:
        # Stopping clears auto_stop_at; review apps are `development` (Environment#guess_tier).
        assert e["tier"] == "development" and e["auto_stop_at"] is None
        assert e["slug"] == plan.env_slug(e["name"]) and len(e["slug"]) <= 24
    running = [e for e in every if e["name"].startswith("review/") and e["state"] == "available"]
    for e in running:
        assert e["auto_stop_at"] is not None and e["auto_stop_at"] > ts(sim.state.now)
    production = [e for e in every if e["tier"] == "production"]
    assert all(e["state"] == "available" and e["auto_stop_at"] is None for e in production)


def test_a_failed_production_deployment_rolled_back(sim: Simulator) -> None:
    p = pick(sim, lambda p, s: bool(sim.state.detail(p.id).rollbacks) and not p.access)
    rollback = next(iter(sim.state.detail(p.id).rollbacks.values()))
    path = f"/projects/{p.id}/deployments"
    production = ok(sim, path, environment="production", per_page=100)
    by_job = {d["deployable"]["id"]: d for d in production if d["deployable"]}
    again = by_job[rollback.job.id]  # the re-run's deployment
    before = [d for d in production if d["id"] < again["id"]]
    failed = next(d for d in reversed(before) if d["status"] in ("failed", "success"))
    assert failed["status"] == "failed"  # the deployment just before it failed
    earlier = next(d for d in reversed(before) if d["status"] == "success")
    # It deploys the earlier sha again, with a new attempt of that deployment's job.
    assert again["status"] == "success" and again["sha"] == earlier["sha"]
    assert earlier["deployable"]["id"] == rollback.replaced_id
    old_pipeline = earlier["deployable"]["pipeline"]["id"]
    assert again["deployable"]["pipeline"]["id"] == old_pipeline
    assert (
        again["deployable"]["id"]
        == old_pipeline * 100 + ROLLBACK_OFFSET + (rollback.replaced_id - old_pipeline * 100) % 50
    )
    assert again["created_at"] > failed["created_at"]
    # The old pipeline shows both attempts and finished anew when the re-run did.
    jobs = ok(sim, f"/projects/{p.id}/pipelines/{old_pipeline}/jobs", include_retried="true")
    assert {rollback.replaced_id, rollback.job.id} <= {j["id"] for j in jobs}
    latest = ok(sim, f"/projects/{p.id}/pipelines/{old_pipeline}/jobs", per_page=100)
    assert rollback.replaced_id not in {j["id"] for j in latest}
    pipeline = ok(sim, f"/projects/{p.id}/pipelines/{old_pipeline}")
    assert pipeline["finished_at"] == again["deployable"]["finished_at"]
    assert pipeline["updated_at"] > pipeline["finished_at"]
    assert ok(sim, f"/projects/{p.id}/jobs/{rollback.job.id}") == again["deployable"]


def test_hostile_and_missing_urls_are_there_to_find(sim: Simulator) -> None:
    urls = [
        e.external_url
        for pid in sim.state.projects
        for e in sim.state.deploy_state(pid).environments
    ]
    assert None in urls
    hostile = [u for u in urls if u and (not u.startswith("https://") or "<" in u or len(u) > 200)]
    assert hostile and all(len(u) <= 255 for u in urls if u)


def test_statuses_as_gitlab_has_them(sim: Simulator) -> None:
    statuses = {
        d.status for pid in sim.state.projects for d in sim.state.deploy_state(pid).deployments
    }
    assert {"success", "failed", "canceled", "skipped"} <= statuses
    assert statuses <= {"created", "running", "success", "failed", "canceled", "skipped"}


def test_reverts_and_running_deployments_come_with_the_clock() -> None:
    with Simulator(OrgSpec(projects=120, seed=5)) as esim:
        seen_running = False
        for _ in range(12):
            esim.clock.advance(hours=4, minutes=7)
            seen_running = seen_running or any(
                d.status in ("running", "created")
                for pid in esim.state.projects
                for d in esim.state.deploy_state(pid).deployments
            )
        assert seen_running
        reverts = [
            (pid, pl)
            for pid in esim.state.projects
            for pl in esim.state.pipelines(pid)
            if pl.commit_title.startswith('Revert "')
        ]
        assert reverts
        pid, pl = reverts[0]
        default = [
            q
            for q in esim.state.pipelines(pid)
            if q.ref == esim.state.projects[pid].default_branch and q.created_at < pl.created_at
        ]
        assert default[-1].status == "failed" and pl.commit_title == (
            f'Revert "{default[-1].commit_title}"'
        )


@pytest.mark.parametrize(
    ("name", "slug"),
    # spec/lib/gitlab/slug/environment_spec.rb, with Digest::SHA2 stubbed to 'a' * 64.
    [
        ("staging-12345678901234567", "staging-123456789-q517sa"),
        ("9-staging-123456789012345", "env-9-staging-123-q517sa"),
        ("staging-1234567890123456", "staging-1234567890123456"),
        ("production", "production"),
        ("PRODUCTION", "production-q517sa"),
        ("review/1-foo", "review-1-foo-q517sa"),
        ("1/foo", "env-1-foo-q517sa"),
        ("foo-", "foo"),
        ("foo--bar", "foo-bar-q517sa"),
        ("*-foo", "env-foo-q517sa"),
        ("staging-12345678-", "staging-12345678"),
        ("", "env-q517sa"),
    ],
)
def test_environment_slugs_as_gitlab_makes_them(
    monkeypatch: pytest.MonkeyPatch, name: str, slug: str
) -> None:
    monkeypatch.setattr(plan, "_digest", lambda _name: "a" * 64)
    assert plan.env_slug(name) == slug


def test_names_and_tiers() -> None:
    assert plan.ref_slug("Feature/Größe_2") == "feature-gr--e-2"
    assert plan.ref_slug("日本語-docs") == "docs"
    assert [plan.tier_of(n) for n in ("production", "production-eu", "staging", "review/x")] == [
        "production",
        "production",
        "staging",
        "development",
    ]
    # canary names its tier (GitLab's guess from the name would be "other")
    assert plan.tier_of("canary") == "production"
    assert plan.tier_of("canary-2") == "other"
