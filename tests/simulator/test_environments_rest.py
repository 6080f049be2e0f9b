"""GET /projects/:id/environments[/:id] and /deployments[/:id], as GitLab's entities and
finders shape them (lib/api/environments.rb, deployments.rb, entities/environment*.rb,
deployment.rb, app/finders/environments/environments_finder.rb, deployments_finder.rb)."""

from __future__ import annotations

from datetime import timedelta

from env_helpers import deploys, get, ok, pick

from gldash_static.simulator import OrgSpec, Project, Simulator
from gldash_static.simulator.deploys import DeployState
from gldash_static.simulator.serialize import ts

BASIC = {"id", "name", "slug", "external_url", "created_at", "updated_at"}
ENV_REST = {"tier", "state", "auto_stop_at", "description", "auto_stop_setting"}
DEPLOYMENT = {"id", "iid", "ref", "sha", "created_at", "updated_at", "user", "environment"}
DEPLOYMENT |= {"deployable", "status"}
USER_BASIC = {"id", "username", "name", "state", "avatar_url", "web_url"}


def test_environment_list_and_single_have_gitlabs_fields(sim: Simulator) -> None:
    p = pick(sim, deploys)
    listed = ok(sim, f"/projects/{p.id}/environments")
    assert listed and [e["id"] for e in listed] == sorted(e["id"] for e in listed)
    simple = ok(sim, "/projects", simple="true", per_page=1)[0]
    for e in listed:
        # The list carries the project (BasicProjectDetails) and no last_deployment.
        assert set(e) == BASIC | ENV_REST | {"project"}, set(e)
        assert set(e["project"]) == set(simple) and e["project"]["id"] == p.id
        assert e["auto_stop_setting"] == "always" and e["state"] in ("available", "stopped")
    one = ok(sim, f"/projects/{p.id}/environments/{listed[0]['id']}")
    # One environment: no project, its last deployment without its environment.
    assert set(one) == BASIC | ENV_REST | {"last_deployment"}
    last = one["last_deployment"]
    assert last is not None and set(last) == DEPLOYMENT - {"environment"}
    assert last["status"] == "success"
    truth = sim.state.deploy_state(p.id)
    done = [d for d in truth.of(one["id"]) if d.status == "success"]
    assert last["id"] == max(done, key=lambda d: d.finished_at or d.created_at).id
    assert get(sim, f"/projects/{p.id}/environments/999999999").json() == {
        "message": "404 Not found"
    }
    assert get(sim, f"/projects/{p.id}/environments/abc").json() == {
        "error": "environment_id is invalid"
    }


def test_a_deployments_deployable_is_the_jobs_own_answer(sim: Simulator) -> None:
    p = pick(sim, deploys)
    listed = ok(sim, f"/projects/{p.id}/deployments", per_page=100)
    assert listed and all(set(d) == DEPLOYMENT for d in listed)
    for d in listed[:15]:
        assert set(d["user"]) == USER_BASIC  # UserBasic: no e-mail address
        assert set(d["environment"]) == BASIC
        assert "finished_at" not in d  # Entities::Deployment does not expose it
        job = d["deployable"]
        if job is None:
            continue
        assert job == ok(sim, f"/projects/{p.id}/jobs/{job['id']}")
        assert job["commit"]["author_email"].endswith("@example.com")
        assert job["pipeline"]["sha"] == d["sha"] == job["commit"]["id"]
        assert d["created_at"] == job["created_at"]  # created with its job
        single = ok(sim, f"/projects/{p.id}/deployments/{d['id']}")
        assert single == d
    assert get(sim, f"/projects/{p.id}/deployments/{listed[0]['iid']}").status_code in (200, 404)
    assert get(sim, f"/projects/{p.id}/deployments/1").json() == {"message": "404 Not found"}


def test_deployments_through_the_api_have_no_deployable(sim: Simulator) -> None:
    p = pick(sim, lambda p, s: any(d.job_id is None for d in s.deployments))
    listed = ok(sim, f"/projects/{p.id}/deployments", per_page=100)
    api = [d for d in listed if d["deployable"] is None]
    assert api and all(d["environment"]["name"] != "staging" for d in api)
    promoted = [d for d in api if d["environment"]["name"] == "production"]
    staged = {d["sha"] for d in listed if d["environment"]["name"] == "staging"}
    assert all(d["sha"] in staged for d in promoted)  # staging's sha, promoted hours later


def test_environment_filters(sim: Simulator) -> None:
    p = pick(sim, lambda p, s: any(e.name.startswith("review/") for e in s.environments))
    path = f"/projects/{p.id}/environments"
    every = ok(sim, path, per_page=100)
    review = next(e for e in every if e["name"].startswith("review/"))
    assert [e["name"] for e in ok(sim, path, name=review["name"])] == [review["name"]]
    # A name prefix, or a prefix of the name within its folder, in any case.
    inside = review["name"].split("/", 1)[1][:3].upper()
    found = {e["name"] for e in ok(sim, path, search=inside, per_page=100)}
    assert review["name"] in found
    assert {e["name"] for e in ok(sim, path, search="REV", per_page=100)} == {
        e["name"] for e in every if e["name"].startswith("review/")
    }
    for state in ("available", "stopped", "stopping"):
        assert {e["id"] for e in ok(sim, path, states=state, per_page=100)} == {
            e["id"] for e in every if e["state"] == state
        }
    short = get(sim, path, search="re")
    assert short.status_code == 400
    assert short.json() == {"message": "400 Bad request - Search query is less than 3 characters"}
    both = get(sim, path, name="production", search="prod")
    assert both.json() == {"error": "name, search cannot be used together"}
    assert get(sim, path, states="gone").json() == {"error": "states does not have a valid value"}


def test_environment_pagination(sim: Simulator) -> None:
    p = pick(sim, lambda p, s: len(s.environments) >= 3)
    path = f"/projects/{p.id}/environments"
    every = ok(sim, path, per_page=100)
    first = get(sim, path, per_page=2)
    assert first.headers["X-Total"] == str(len(every)) and first.headers["X-Next-Page"] == "2"
    assert 'rel="next"' in first.headers["Link"]
    second = ok(sim, path, per_page=2, page=2)
    assert [e["id"] for e in first.json() + second] == [e["id"] for e in every][:4]


def test_deployment_order_and_filters(sim: Simulator) -> None:
    p = pick(sim, deploys)
    path = f"/projects/{p.id}/deployments"
    every = ok(sim, path, per_page=100)
    ids = [d["id"] for d in every]
    assert ids == sorted(ids)  # id, ascending by default
    assert [d["iid"] for d in every] == list(range(1, len(every) + 1))
    desc = [d["id"] for d in ok(sim, path, per_page=100, sort="desc")]
    assert desc == sorted(ids, reverse=True)
    for order in ("iid", "created_at"):  # both sort by id
        assert [d["id"] for d in ok(sim, path, per_page=100, order_by=order)] == ids
    by_update = ok(sim, path, per_page=100, order_by="updated_at")
    assert [(d["updated_at"], d["id"]) for d in by_update] == sorted(
        (d["updated_at"], d["id"]) for d in every
    )
    name = every[-1]["environment"]["name"]
    only = ok(sim, path, per_page=100, environment=name)
    assert only and {d["environment"]["name"] for d in only} == {name}
    assert ok(sim, path, environment="no-such-environment") == []
    failed = ok(sim, path, per_page=100, status="success")
    assert {d["status"] for d in failed} == {"success"}
    assert get(sim, path, order_by="ref").json() == {
        "error": "order_by does not have a valid value"
    }
    assert get(sim, path, status="done").json() == {"error": "status does not have a valid value"}


def test_deployment_time_filters_follow_deployments_finder(sim: Simulator) -> None:
    p = pick(sim, deploys)
    path = f"/projects/{p.id}/deployments"
    truth = sim.state.deploy_state(p.id).deployments
    mid = truth[len(truth) // 2]
    at = ts(mid.updated_at)
    bad = {
        "`updated_at` filter requires `updated_at` sort": {"updated_after": at},
        "`finished_at` filter requires `finished_at` sort.": {
            "finished_after": at,
            "status": "success",
        },
        "`finished_at` filter must be combined with `success` status filter.": {
            "finished_after": at,
            "order_by": "finished_at",
        },
        "`finished_at` sort requires `finished_at` filter or a filter with at least one of "
        "the finished statuses.": {"order_by": "finished_at"},
        "Both `updated_at` filter and `finished_at` filter can not be specified": {
            "updated_after": at,
            "finished_after": at,
            "order_by": "updated_at",
        },
    }
    for message, params in bad.items():
        reply = get(sim, path, **params)
        assert reply.status_code == 400 and reply.json() == {
            "message": f"400 Bad request - {message}"
        }
    # updated_after and updated_before are inclusive (UpdatedAtFilterable).
    after = ok(sim, path, per_page=100, updated_after=at, order_by="updated_at")
    assert {d["id"] for d in after} == {d.id for d in truth if d.updated_at >= mid.updated_at}
    before = ok(sim, path, per_page=100, updated_before=at, order_by="updated_at", sort="desc")
    assert {d["id"] for d in before} == {d.id for d in truth if d.updated_at <= mid.updated_at}
    # finished_after is inclusive, finished_before is not (Deployment's scopes).
    done = [d for d in truth if d.status == "success" and d.finished_at is not None]
    pivot = done[len(done) // 2]
    assert pivot.finished_at is not None
    cut = ts(pivot.finished_at)
    common = {"status": "success", "order_by": "finished_at", "per_page": 100}
    later = ok(sim, path, finished_after=cut, **common)
    earlier = ok(sim, path, finished_before=cut, **common)
    assert pivot.id in {d["id"] for d in later} and pivot.id not in {d["id"] for d in earlier}
    assert len(later) + len(earlier) == len(done)
    finished_order = ok(sim, path, status="failed", order_by="finished_at", per_page=100)
    assert {d["status"] for d in finished_order} <= {"failed"}


def test_permissions_follow_project_policy() -> None:
    with Simulator(OrgSpec(projects=80, seed=21)) as esim:
        used: set[int] = set()

        def private(p: Project, s: DeployState) -> bool:
            return deploys(p, s) and p.visibility == "private"

        def public(p: Project, s: DeployState) -> bool:
            return deploys(p, s) and p.visibility == "public"

        paths = ("environments", "deployments")
        p = pick(esim, private, used)
        top = esim.state.groups[p.namespace_id].full_path.split("/")[0]
        guest, reporter = esim.token_for("guest", top), esim.token_for("reporter", top)
        outsider = esim.token_for("non-member")
        for path in paths:
            # read_environment and read_deployment: Reporter and above on a private project.
            assert get(esim, f"/projects/{p.id}/{path}", guest).json() == {
                "message": "403 Forbidden"
            }
            assert get(esim, f"/projects/{p.id}/{path}", reporter).status_code == 200
            assert get(esim, f"/projects/{p.id}/{path}", outsider).status_code == 404
        q = pick(esim, public, used)
        top = esim.state.groups[q.namespace_id].full_path.split("/")[0]
        guest, reporter = esim.token_for("guest", top), esim.token_for("reporter", top)
        for path in paths:  # public_access: any signed-in user
            assert get(esim, f"/projects/{q.id}/{path}", outsider).status_code == 200
        esim.set_feature_access(q.id, environments="private")
        assert ok(esim, f"/projects/{q.id}", outsider)["environments_access_level"] == "private"
        for path in paths:  # members only, from Reporter up (PRIVATE_FEATURES_MIN_ACCESS_LEVEL)
            assert get(esim, f"/projects/{q.id}/{path}", outsider).status_code == 403
            assert get(esim, f"/projects/{q.id}/{path}", guest).status_code == 403
            assert get(esim, f"/projects/{q.id}/{path}", reporter).status_code == 200
        esim.set_feature_access(q.id, environments="enabled", builds="private")
        assert get(esim, f"/projects/{q.id}/environments", outsider).status_code == 403
        assert get(esim, f"/projects/{q.id}/environments", guest).status_code == 200
        esim.set_feature_access(q.id, builds="enabled", environments="disabled")
        for token in (esim.token, reporter):  # disabled: nobody, administrators neither
            assert get(esim, f"/projects/{q.id}/environments", token).status_code == 403


def test_same_seed_same_answers() -> None:
    spec = OrgSpec(projects=40, seed=8, web_url="https://gitlab.example.com")
    answers = []
    for _ in range(2):
        with Simulator(spec) as s:
            p = pick(s, lambda p, st: len(st.deployments) > 3)
            env = s.state.deploy_state(p.id).environments[0]
            paths = [
                f"/projects/{p.id}/environments?per_page=100",
                f"/projects/{p.id}/environments/{env.id}",
                f"/projects/{p.id}/deployments?per_page=100",
            ]
            answers.append([get(s, path).content for path in paths])
    assert answers[0] == answers[1]


def test_deployments_progress_when_the_clock_moves() -> None:
    with Simulator(OrgSpec(projects=80, seed=4)) as esim:
        before = {
            pid: {d.id: d for d in esim.state.deploy_state(pid).deployments}
            for pid in esim.state.projects
        }
        t0 = esim.clock.now
        esim.clock.advance(hours=30)
        new = 0
        for pid in esim.state.projects:
            now = esim.state.deploy_state(pid).deployments
            for d in now:
                old = before[pid].get(d.id)
                if old is None:
                    new += 1
                    assert d.created_at > t0 - timedelta(minutes=1)
                    continue
                # iids, environments and commits stay; only the status and times move on.
                assert (old.iid, old.environment_id, old.sha) == (d.iid, d.environment_id, d.sha)
                assert d.updated_at >= old.updated_at
            changed = {d.id for d in now if d.id not in before[pid] or before[pid][d.id] != d}
            if not changed or esim.state.projects[pid].access.get("environments"):
                continue  # nothing new, or the environments feature is not on
            got = ok(
                esim,
                f"/projects/{pid}/deployments",
                updated_after=ts(t0),
                order_by="updated_at",
                per_page=100,
            )
            assert {d["id"] for d in got} == {d.id for d in now if d.updated_at >= t0}
            assert changed <= {d["id"] for d in got}
        assert new > 10
