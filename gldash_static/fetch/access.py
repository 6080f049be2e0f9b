"""What the fetching token may read: 403s by feature, and the note about new ones."""

from __future__ import annotations

from collections.abc import Iterable

from gldash_static.model import FEATURES, Feature, Project

_LABELS = {
    "repository": "the repository",
    "pipelines": "CI/CD",
    "merge_requests": "merge requests",
    "environments": "environments",
}


def forbidden_feature(path: str) -> Feature | None:
    """The feature a request belongs to, when GitLab answers it with 403."""
    if "/repository/" in path:
        return "repository"
    if "/merge_requests" in path:
        return "merge_requests"
    if "/deployments" in path or "/environments" in path:
        return "environments"
    if "/pipelines" in path or "/jobs" in path:
        return "pipelines"
    return None


def with_feature(features: Iterable[Feature], feature: Feature) -> list[Feature]:
    """`features` plus one, in the fixed order."""
    found = {*features, feature}
    return [f for f in FEATURES if f in found]


def unavailable_note(previous: Iterable[Project], records: Iterable[Project]) -> str | None:
    """A note naming features the token newly may not read, or None when nothing changed.

    A token's role is a setting, not a failure: never a warning or an error, and an
    unchanged situation stays quiet (the project pages say it on every build).
    """
    before = {p["id"]: set(p["unavailable"]) for p in previous}
    counts: dict[Feature, int] = {}
    for record in records:
        for feature in set(record["unavailable"]) - before.get(record["id"], set()):
            counts[feature] = counts.get(feature, 0) + 1
    if not counts:
        return None
    parts = ", ".join(f"{_LABELS[f]} of {counts[f]}" for f in FEATURES if f in counts)
    return (
        f"the token may not read {parts} project(s); their pages say so "
        "(docs/deploy.md says which role a token needs)"
    )
