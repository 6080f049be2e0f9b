"""A project's environments and latest deployments: two REST requests at most.

`GET /projects/:id/deployments` brings the deployments: each with its environment (id, name,
external_url), status, ref, sha, user and deploy job (with the pipeline id and the commit's
title and date), which GraphQL cannot give (its `Commit` has neither). It cannot say an
environment's tier (GitLab keeps the one a pipeline set, or its guess from the name), its
state, or name an environment with no deployment among the newest `fetch.max_deployments`:
`GET /projects/:id/environments?states=available` does (`fetch.environment_details`), in one
page of 100. An environment the deployments name that a complete listing of available ones
leaves out is stopped (or stopping); without the listing, or past its page, the state is
"unknown" and the tier GitLab's guess from the name.

A refresh asks only for the deployments updated since the last run (GitLab requires
`order_by=updated_at` with `updated_after`) and merges them into the stored ones by id; the
environments listing is asked again with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gldash_static.fetch import convert
from gldash_static.gitlab import ApiClient
from gldash_static.model import SHORT_SHA, Deployment, Environment
from gldash_static.rules.urls import safe_url
from gldash_static.timeutil import parse_time, second_time

# Deployments read for one project on a refresh: more than this since the last run is not a
# project any dashboard follows closely; the newest of them are the ones kept anyway.
SINCE_CAP = 1_000
UNKNOWN_STATE = "unknown"  # the deployments listing does not say whether one is stopped
AVAILABLE, STOPPED = "available", "stopped"
TIERS = ("production", "staging", "testing", "development", "other")  # DeploymentTier
LISTING_PAGE = 100  # GitLab's max page: the environments listing is one request
_FINISHED_OK = "success"
UNFINISHED = frozenset({"created", "running", "blocked"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Environment#guess_tier (gitlabhq app/models/environment.rb), in its order: the first that
# matches the name wins, "other" when none does.
_TIERS = (
    ("development", re.compile(r"(dev|review|trunk)", re.IGNORECASE)),
    (
        "testing",
        re.compile(r"(test|tst|int|ac(ce|)pt|qa|qc|control|quality)", re.IGNORECASE),
    ),
    ("staging", re.compile(r"(st(a|)g|mod(e|)l|pre|demo|non)", re.IGNORECASE)),
    ("production", re.compile(r"(pr(o|)d|live)", re.IGNORECASE)),
)


def guess_tier(name: str) -> str:
    """The tier GitLab gives an environment whose pipeline names none."""
    for tier, pattern in _TIERS:
        if pattern.search(name):
            return tier
    return "other"


@dataclass(frozen=True)
class Place:
    """An environment as a deployment (or the environments listing) names it."""

    id: int
    name: str
    external_url: str | None
    tier: str | None = None  # only the environments listing says


@dataclass(frozen=True)
class Listed:
    """The project's available environments, by name; `complete`: all of them (one page)."""

    places: dict[str, Place]
    complete: bool


def available(api: ApiClient, base: str) -> Listed:
    """The project's available environments with their tiers: one request."""
    items, total = api.first_page_total(
        f"{base}/environments", states=AVAILABLE, per_page=LISTING_PAGE
    )
    places: dict[str, Place] = {}
    for raw in items[:LISTING_PAGE]:  # a server sending more than it was asked for
        ident, name = convert.raw_id(raw), convert.text(raw.get("name"), 255)
        if ident is None or not name or raw.get("state", AVAILABLE) != AVAILABLE:
            continue  # not one GitLab would send for states=available
        tier = raw.get("tier") if raw.get("tier") in TIERS else None  # else guessed
        places[name] = Place(ident, name, safe_url(raw.get("external_url")), tier)
    complete = len(items) < LISTING_PAGE or (total is not None and total <= LISTING_PAGE)
    return Listed(places, complete)


@dataclass(frozen=True)
class Found:
    """A project's deployments and the environments they name (refresh: the newer ones)."""

    deployments: list[Deployment]
    places: dict[str, Place]


def deployment(
    raw: dict[str, Any], *, commits: bool, jobs: bool
) -> tuple[Deployment, Place] | None:
    """One item of GET /projects/:id/deployments (None: not one GitLab would send).

    `commits`: the repository is published (commit title and date kept); `jobs`: CI/CD is
    (the deploy job's name, id, pipeline and page kept). E-mail addresses are never read.
    """
    ident, iid = convert.raw_id(raw), convert.raw_id(raw, "iid")
    env = raw.get("environment")
    env = env if isinstance(env, dict) else {}
    env_id, name = convert.raw_id(env), convert.text(env.get("name"), 255)
    created = second_time(raw.get("created_at"))
    if ident is None or iid is None or env_id is None or not name or created is None:
        return None
    job = raw.get("deployable")
    job = job if isinstance(job, dict) else {}
    commit = job.get("commit")
    commit = commit if isinstance(commit, dict) else {}
    pipeline = job.get("pipeline")
    pipeline = pipeline if isinstance(pipeline, dict) else {}
    user = raw.get("user")
    user = user if isinstance(user, dict) else {}
    record: Deployment = {
        "id": ident,
        "iid": iid,
        "environment": name,
        "status": convert.text(raw.get("status"), 40) or "",
        "ref": convert.text(raw.get("ref"), 255) or "",
        "short_sha": (convert.text(raw.get("sha"), 64) or "")[:SHORT_SHA],
        "commit_title": convert.text(commit.get("title"), 255) if commits else None,
        "committed_at": second_time(commit.get("created_at")) if commits else None,
        "created_at": created,
        "finished_at": second_time(job.get("finished_at")),
        "username": convert.text(user.get("username"), 255),
        "job_name": convert.text(job.get("name"), 255) if jobs else None,
        "job_id": convert.raw_id(job) if jobs else None,
        "pipeline_id": convert.raw_id(pipeline) if jobs else None,
        "web_url": safe_url(job.get("web_url")) if jobs else None,
    }
    return record, Place(env_id, name, safe_url(env.get("external_url")))


def read(items: Iterable[Any], *, commits: bool, jobs: bool) -> Found:
    """The deployments of a listing and the environments they name (the latest wins)."""
    deployments: dict[int, Deployment] = {}
    places: dict[str, tuple[int, Place]] = {}
    for raw in items:
        found = deployment(raw, commits=commits, jobs=jobs) if isinstance(raw, dict) else None
        if found is None:
            continue
        record, place = found
        deployments[record["id"]] = record
        if place.name not in places or places[place.name][0] < record["id"]:
            places[place.name] = (record["id"], place)
    return Found(list(deployments.values()), {n: p for n, (_, p) in places.items()})


def newest_first(deployments: Iterable[Deployment], keep: int) -> list[Deployment]:
    """The `keep` newest deployments (by id, which follows creation), newest first."""
    return sorted(deployments, key=lambda d: d["id"], reverse=True)[:keep]


def build(
    deployments: Sequence[Deployment],
    places: dict[str, Place],
    stored: Sequence[Environment],
    listed: Listed | None = None,
) -> list[Environment]:
    """The environments the kept deployments name, and the available ones `listed` names.

    An environment keeps the id and URL of its newest answer (the listing's, else its newest
    deployment's, else the stored one) and is dropped once neither names it. Without the
    listing its tier is guessed and its state unknown.
    """
    known = {e["name"]: Place(e["id"], e["name"], e["external_url"]) for e in stored}
    known.update(places)
    tiers = {e["name"]: e["tier"] for e in stored}
    if listed is not None:
        known.update(listed.places)
    by_name: dict[str, list[Deployment]] = {}
    for record in deployments:  # newest first
        by_name.setdefault(record["environment"], []).append(record)
    names = set(by_name) | (set(listed.places) if listed is not None else set())
    out: list[Environment] = []
    for name in sorted(names):
        place = known.get(name)
        if place is None:
            continue
        mine = by_name.get(name, [])
        success = next((d for d in mine if d["status"] == _FINISHED_OK), None)
        attempt = mine[0] if mine and (success is None or mine[0]["id"] != success["id"]) else None
        if listed is None:
            state, tier = UNKNOWN_STATE, guess_tier(name)
        elif name in listed.places:
            state, tier = AVAILABLE, place.tier or guess_tier(name)
        else:  # named by a deployment, not among the available ones
            state = STOPPED if listed.complete else UNKNOWN_STATE
            tier = tiers.get(name) or guess_tier(name)
        out.append(
            {
                "id": place.id,
                "name": name,
                "tier": tier,
                "state": state,
                "external_url": place.external_url,
                "last_success": success,
                "last_attempt": attempt,
            }
        )
    return out


def fetch_all(
    api: ApiClient,
    base: str,
    *,
    keep: int,
    commits: bool,
    jobs: bool,
    listed: Listed | None = None,
) -> tuple[list[Environment], list[Deployment]]:
    """A project's environments and newest deployments afresh: one request (and `listed`)."""
    # By id, not updated_at: the newest created are the ones kept (and merged by id on a
    # refresh); an old deployment touched again must not push a newer one off the page.
    items = api.first_page(f"{base}/deployments", order_by="id", sort="desc", per_page=keep)
    found = read(items, commits=commits, jobs=jobs)
    kept = newest_first(found.deployments, keep)
    return build(kept, found.places, [], listed), kept


def fetch_since(
    api: ApiClient,
    base: str,
    since: str | None,
    stored: tuple[list[Environment], list[Deployment]],
    *,
    keep: int,
    commits: bool,
    jobs: bool,
    listed: Listed | None = None,
) -> tuple[list[Environment], list[Deployment]]:
    """The stored environments and deployments with those updated after `since` merged in
    (no `since`: afresh, as fetch_all).

    A stored deployment still under way is asked again from its creation on: its job may
    have finished in a run that saw no pipeline change (a pipeline moves when it ends).
    """
    if since is None:
        return fetch_all(api, base, keep=keep, commits=commits, jobs=jobs, listed=listed)
    unfinished = [d["created_at"] for d in stored[1] if d["status"] in UNFINISHED]
    after = min([since, *unfinished], key=lambda t: parse_time(t) or _EPOCH)
    items: list[dict[str, Any]] = []
    for item in api.iterate(
        f"{base}/deployments", updated_after=after, order_by="updated_at", sort="asc"
    ):
        items.append(item)
        if len(items) >= SINCE_CAP:  # the oldest first: the newest are still to come
            return fetch_all(api, base, keep=keep, commits=commits, jobs=jobs, listed=listed)
    found = read(items, commits=commits, jobs=jobs)
    merged = {d["id"]: d for d in stored[1]}
    merged.update((d["id"], d) for d in found.deployments)
    kept = newest_first(merged.values(), keep)
    return build(kept, found.places, stored[0], listed), kept
