"""Helpers for the environment and deployment tests: HTTP calls and projects to pick."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from gldash_static.simulator import Simulator
from gldash_static.simulator.deploys import DeployState
from gldash_static.simulator.model import Project


def get(sim: Simulator, path: str, token: str | None = None, **params: Any) -> requests.Response:
    """A GET below /api/v4, as the administrator unless a token is given."""
    return requests.get(
        f"{sim.url}/api/v4{path}",
        params=params,
        headers={"PRIVATE-TOKEN": token or sim.token},
        timeout=10,
    )


def ok(sim: Simulator, path: str, token: str | None = None, **params: Any) -> Any:
    """The JSON body of a GET that must succeed."""
    reply = get(sim, path, token, **params)
    assert reply.status_code == 200, (path, params, reply.status_code, reply.text)
    return reply.json()


def graphql(sim: Simulator, query: str, token: str | None = None, **variables: Any) -> Any:
    """(status, body) of a GraphQL request."""
    headers = {"Authorization": f"Bearer {token or sim.token}"} if token != "" else {}
    reply = requests.post(
        f"{sim.url}/api/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=10,
    )
    return reply.status_code, reply.json()


def pick(
    sim: Simulator, test: Callable[[Project, DeployState], bool], skip: set[int] | None = None
) -> Project:
    """The lowest-id live project whose deploy state passes `test` (and not in `skip`)."""
    for p in sorted(sim.state.projects.values(), key=lambda p: p.id):
        if skip is not None and p.id in skip:
            continue
        if test(p, sim.state.deploy_state(p.id)):
            if skip is not None:
                skip.add(p.id)
            return p
    raise AssertionError("no such project")


def deploys(p: Project, found: DeployState) -> bool:
    """A project with several environments, 5 to 90 deployments, all features on."""
    return len(found.environments) >= 2 and 5 <= len(found.deployments) <= 90 and not p.access
