"""What a user may read of a project, computed as GitLab's ProjectPolicy computes it.

Sources (gitlabhq): `app/policies/project_policy.rb` (abilities by role, `public_access` for
public and internal projects, `public_builds`, the `*_disabled` preventions),
`app/models/project_feature.rb` and `concerns/featurable.rb` (a "private" feature is open to
members at `required_minimum_access_level`: Reporter for merge requests and environments, Guest
otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

from gldash_static.simulator.model import (
    DEVELOPER,
    GUEST,
    MAINTAINER,
    OWNER,
    REPORTER,
    Project,
    User,
)

# Abilities the simulator's endpoints check (GitLab's names).
DOWNLOAD_CODE = "download_code"  # also `read_code`: branches, default_branch, forks_count
READ_PIPELINE = "read_pipeline"
READ_BUILD = "read_build"
READ_MERGE_REQUEST = "read_merge_request"
READ_ENVIRONMENT = "read_environment"  # also `read_deployment`: the same rules grant both

# ProjectFeature::PRIVATE_FEATURES_MIN_ACCESS_LEVEL; every other feature needs Guest.
_PRIVATE_MIN_LEVEL = {"merge_requests": REPORTER, "environments": REPORTER}
# GitLab's role names for `Simulator.token_for`.
ROLES = {
    "guest": GUEST,
    "reporter": REPORTER,
    "developer": DEVELOPER,
    "maintainer": MAINTAINER,
    "owner": OWNER,
}


@dataclass(frozen=True, slots=True)
class Abilities:
    """The read abilities one user has on one project."""

    download_code: bool
    read_pipeline: bool
    read_build: bool
    read_merge_request: bool
    read_environment: bool = False

    def allows(self, ability: str) -> bool:
        """Whether the named ability is granted."""
        return bool(getattr(self, ability))


ALL = Abilities(True, True, True, True, True)


def feature_allowed(p: Project, feature: str, admin: bool, level: int) -> bool:
    """ProjectFeature#feature_available?: disabled for all, private for members, else open."""
    access = p.access.get(feature, "enabled")
    if access == "disabled":
        return False
    if access == "private":
        return admin or level >= _PRIVATE_MIN_LEVEL.get(feature, GUEST)
    return True


def abilities(user: User, p: Project, level: int) -> Abilities:
    """The user's read abilities on a project they can see; `level` is their role (0: none)."""
    admin = user.is_admin  # admin mode: `can_read_all_resources`, `owner_access`
    reporter = admin or level >= REPORTER
    # `public_user_access`: any signed-in (non-external) user on a public or internal project
    # gets `public_access` and `guest_access`; members of any role get `guest_access`.
    public_access = p.visibility in ("public", "internal")
    guest_access = public_access or level >= GUEST or admin
    repository = feature_allowed(p, "repository", admin, level)
    builds = feature_allowed(p, "builds", admin, level)
    # `rule { builds_disabled & ~internal_builds_disabled }` prevents pipelines only when the
    # user is shut out of a members-only CI/CD, not when CI/CD is off (external CI).
    builds_shut = not builds and p.access.get("builds", "enabled") != "disabled"
    download_code = (reporter or public_access) and repository
    read_build = (reporter or p.public_jobs) and builds and repository
    read_pipeline = (
        (reporter or public_access or (p.public_jobs and guest_access))
        and repository
        and not builds_shut
    )
    read_merge_request = (
        (reporter or public_access)
        and feature_allowed(p, "merge_requests", admin, level)
        and repository
        and download_code
    )
    return Abilities(
        download_code,
        read_pipeline,
        read_build,
        read_merge_request,
        read_environment(user, p, level),
    )


def read_environment(user: User | None, p: Project, level: int) -> bool:
    """`read_environment` and `read_deployment`; `user` None is an anonymous GraphQL reader."""
    admin = user is not None and user.is_admin
    # Reporter and above, or `public_access`: anyone on a public project, any signed-in user
    # on an internal one (`internal_access`).
    public_access = p.visibility == "public" or (p.visibility == "internal" and user is not None)
    if not (admin or level >= REPORTER or public_access):
        return False
    # `environments_disabled` and `builds_disabled | repository_disabled` prevent both; a
    # members-only feature is `disabled` for whoever is below its minimum role.
    return all(
        feature_allowed(p, feature, admin, level)
        for feature in ("environments", "builds", "repository")
    )


def role_level(
    group_levels: dict[int, int], project_levels: dict[int, int], user: User, p: Project
) -> int:
    """The user's role in a project: direct, inherited from its groups, shared, or owner."""
    if p.namespace_kind == "user":
        if p.namespace_id == user.id:
            return OWNER
        level = 0
    else:
        level = group_levels.get(p.namespace_id, 0)
    level = max(level, project_levels.get(p.id, 0))
    for gid in p.shared_with_group_ids:
        # A share grants the group's members at most the link's role (Developer here, as
        # the serializer's `group_access_level` says).
        level = max(level, min(group_levels.get(gid, 0), DEVELOPER))
    return level
