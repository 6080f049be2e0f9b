"""`.gitlab-ci.yml`: jobs, rules, resource_group, artifacts and variables; GitLab's schema."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from ci_jobs import SCHEMA, load_ci

from gldash_static.archive.carry import CARRY_MEMBER

DASHBOARD_SOURCES = ("schedule", "trigger", "api", "web", "push")


def _ifs(job: dict[str, Any]) -> list[str]:
    return [str(rule.get("if", "")) for rule in job.get("rules", [])]


def test_jobs_and_stages() -> None:
    ci = load_ci()
    jobs = {k for k, v in ci.items() if isinstance(v, dict) and "script" in v}
    chain = ("test", "list-shards", "fetch-shard", "merge-shards", "pages")
    assert jobs == set(chain)
    stages = ci["stages"]
    order = [stages.index(ci[j]["stage"]) for j in chain]
    assert order == sorted(order)


def test_test_job_runs_only_for_merge_requests() -> None:
    test = load_ci()["test"]
    assert _ifs(test) == ['$CI_PIPELINE_SOURCE == "merge_request_event"']
    assert any("gldash validate" in line for line in test["script"])


def test_pages_job_publishes_public_on_the_default_branch_only() -> None:
    pages = load_ci()["pages"]
    # Named `pages` (older GitLab, and archive.pages_job's default) and `pages:` (17.9+).
    assert pages["pages"] == {"publish": "public"}
    # The site, and the carry file the build keeps outside it (carry.CARRY_MEMBER): the next
    # build's refresh reuses the job attempts the published snapshot leaves out.
    assert pages["artifacts"]["paths"] == ["public/", CARRY_MEMBER]
    [rule] = pages["rules"]
    assert "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in rule["if"]
    sources = re.search(r"=~ /\^\(([a-z|]+)\)\$/", rule["if"])
    assert sources and tuple(sources[1].split("|")) == DASHBOARD_SOURCES
    assert rule.get("when", "on_success") == "on_success"


def test_workflow_creates_no_default_branch_pipeline_without_a_pages_job() -> None:
    # Carry-forward reads the latest *successful* pipeline on the default branch: every one
    # of them must contain the Pages job, so the workflow and the Pages job share one rule.
    ci = load_ci()
    workflow_ifs = [r["if"] for r in ci["workflow"]["rules"]]
    assert workflow_ifs == [
        '$CI_PIPELINE_SOURCE == "merge_request_event"',
        ci["pages"]["rules"][0]["if"],
    ]


def test_regenerations_never_interleave_and_newer_ones_supersede() -> None:
    ci = load_ci()
    assert ci["pages"]["resource_group"] == "gldash-pages"
    assert ci["default"]["interruptible"] is True
    assert ci["workflow"]["auto_cancel"]["on_new_commit"] == "interruptible"
    assert all(ci[j].get("interruptible", True) for j in ("fetch-shard", "merge-shards", "pages"))


def test_pip_cache() -> None:
    ci = load_ci()
    assert ci["variables"]["PIP_CACHE_DIR"] == "$CI_PROJECT_DIR/.cache/pip"
    assert ci["default"]["cache"]["paths"] == [".cache/pip"]


def _days(text: str) -> float:
    number, unit = text.split()
    factor = {"hour": 1 / 24, "hours": 1 / 24, "day": 1, "days": 1, "week": 7, "weeks": 7}
    return float(number) * factor[unit]


def test_pages_artifacts_outlive_the_schedule_interval() -> None:
    # The next build carries the archive forward from these artifacts: they must survive a
    # missed hourly or daily run and a weekend outage even if "keep latest" is switched off.
    ci = load_ci()
    assert _days(ci["pages"]["artifacts"]["expire_in"]) >= 3
    assert ci["pages"]["artifacts"].get("when", "on_success") == "on_success"


def test_variables_have_safe_defaults() -> None:
    variables = load_ci()["variables"]
    assert variables["GLDASH_FULL"]["value"] == "0"
    assert variables["GLDASH_SHARDS"]["value"] == ""
    assert variables["GLDASH_ALLOW_EMPTY_HISTORY"]["value"] == "0"
    assert all(variables[k]["description"] for k in ("GLDASH_FULL", "GLDASH_SHARDS"))


def test_sharded_fetch_only_when_asked_and_never_for_events() -> None:
    ci = load_ci()
    for job in ("list-shards", "fetch-shard", "merge-shards"):
        rules = ci[job]["rules"]
        assert rules[0]["when"] == "never" and '$GLDASH_SHARDS == ""' in rules[0]["if"]
        assert rules[1]["when"] == "never" and '"trigger"' in rules[1]["if"]
        assert rules[2] == ci["pages"]["rules"][0]
    assert isinstance(ci["fetch-shard"]["parallel"], int)
    assert ci["fetch-shard"]["needs"] == ["list-shards"]
    assert ci["merge-shards"]["needs"] == ["fetch-shard"]
    assert ci["pages"]["needs"] == [{"job": "merge-shards", "optional": True}]
    shard_script = "\n".join(ci["fetch-shard"]["script"])
    assert '--shard "$CI_NODE_INDEX/$GLDASH_SHARDS"' in shard_script
    assert "--listing shards/listing.json" in shard_script
    assert "--list-only" in "\n".join(ci["list-shards"]["script"])


def test_pages_job_passes_the_webhook_payload_and_handles_partial_refreshes() -> None:
    script = "\n".join(load_ci()["pages"]["script"])
    assert '--event "$TRIGGER_PAYLOAD"' in script
    assert 'if [ "$status" -eq 1 ] && [ -f public/index.html ]' in script


def test_validates_against_gitlabs_ci_schema() -> None:
    if not SCHEMA.is_file():
        pytest.skip(f"{SCHEMA} not present (it sits beside the clone in CI)")
    import jsonschema

    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    problems = [f"{list(e.path)}: {e.message[:200]}" for e in validator.iter_errors(load_ci())]
    assert problems == []
