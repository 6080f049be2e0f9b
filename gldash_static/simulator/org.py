"""The seeded organisation generator: users, nested groups, projects and memberships."""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from gldash_static.simulator import load, names
from gldash_static.simulator.clock import DEFAULT_NOW
from gldash_static.simulator.model import (
    DEVELOPER,
    GUEST,
    MAINTAINER,
    OWNER,
    REPORTER,
    Group,
    Membership,
    Project,
    User,
)

VISIBILITY_RANK = {"private": 0, "internal": 1, "public": 2}
_VISIBILITIES = ("private", "internal", "public")


@dataclass(frozen=True)
class OrgSpec:
    """Knobs of the generated organisation; everything is derived from `seed`."""

    projects: int = 100
    seed: int = 1
    pipelines_per_project: int = 20
    now: datetime = DEFAULT_NOW
    users: int | None = None  # default: projects // 4, between 8 and 5,000
    history_days: int = 120
    # Base of web_url fields; None = the simulator's own URL (python-gitlab warns otherwise).
    web_url: str | None = None
    archived_fraction: float = 0.06
    empty_fraction: float = 0.04
    personal_fraction: float = 0.02
    shared_fraction: float = 0.03
    flaky_fraction: float = 0.18
    broken_fraction: float = 0.08
    busy_fraction: float = 0.12  # pushed within the last hour: running/pending pipelines
    # GitLab moves last_activity_at at most once an hour, through events only (activity.py);
    # False: every push and merge request moves it (the kind behaviour of older simulators).
    throttle_activity: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.projects <= 200_000:
            raise ValueError("projects must be between 1 and 200,000")
        if self.pipelines_per_project < 0:
            raise ValueError("pipelines_per_project must not be negative")


@dataclass
class Org:
    """The generated organisation before per-project history is added."""

    users: dict[int, User]
    groups: dict[int, Group]
    projects: dict[int, Project]
    memberships: list[Membership]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _visibility(r: random.Random, ceiling: str, weights: tuple[int, int, int]) -> str:
    allowed = [v for v in _VISIBILITIES if VISIBILITY_RANK[v] <= VISIBILITY_RANK[ceiling]]
    return r.choices(allowed, weights[: len(allowed)])[0]


def _users(r: random.Random, spec: OrgSpec) -> dict[int, User]:
    count = spec.users if spec.users is not None else max(8, min(5000, spec.projects // 4))
    offsets = [0, 0, 60, 60, 120, -300, -420, 330, 540, 0]
    users = {1: User(1, "root", "Administrator", spec.now - timedelta(days=2000), 0, True)}
    taken = {"root"}
    for uid in range(2, count + 2):
        first, last = r.choice(names.FIRST), r.choice(names.LAST)
        base = f"{_ascii(first)}.{_ascii(last)}"
        username, n = base, 1
        while username in taken:
            n += 1
            username = f"{base}{n}"
        taken.add(username)
        created = spec.now - timedelta(days=r.uniform(10, 1900))
        users[uid] = User(uid, username, f"{first} {last}", created, r.choice(offsets))
    if r.random() < 0.5 and count > 4:
        users[count + 1].state = "blocked"  # a departed colleague who still authored things
    return users


def _groups(r: random.Random, spec: OrgSpec) -> dict[int, Group]:
    groups: dict[int, Group] = {}
    next_id = 1

    def add(name: str, parent: Group | None, weights: tuple[int, int, int]) -> Group:
        nonlocal next_id
        ceiling = parent.visibility if parent else "public"
        path = names.slug(name)
        g = Group(
            id=next_id,
            name=name,
            path=path,
            parent_id=parent.id if parent else None,
            visibility=_visibility(r, ceiling, weights),
            description=f"{name} {r.choice(['team', 'projects', 'code', 'services'])}",
            created_at=spec.now - timedelta(days=r.uniform(400, 2500)),
            full_path=f"{parent.full_path}/{path}" if parent else path,
            full_name=f"{parent.full_name} / {name}" if parent else name,
            depth=parent.depth + 1 if parent else 0,
        )
        groups[g.id] = g
        next_id += r.choice((1, 1, 1, 2, 3))  # real ids have gaps (deleted groups)
        return g

    top_count = max(2, round(math.sqrt(spec.projects) / 3))
    for i in range(top_count):
        team = names.TEAMS[i % len(names.TEAMS)]
        top = add(
            team if i < len(names.TEAMS) else f"{team}-{i // len(names.TEAMS) + 1}",
            None,
            (25, 35, 40),
        )
        for area in r.sample(names.AREAS, r.randint(1, 4)):
            sub = add(area, top, (20, 50, 30))
            for adj in r.sample(names.ADJECTIVES, r.choice((0, 0, 1, 2, 3))):
                add(f"{adj}-{area}", sub, (30, 40, 30))
    return groups


def generate_org(spec: OrgSpec) -> Org:
    """Generate users, groups, projects and memberships from the spec's seed."""
    r = names.rng(spec.seed, "org")
    users = _users(r, spec)
    groups = _groups(r, spec)
    group_list = list(groups.values())
    user_ids = [u for u in users if u != 1]
    taken: set[tuple[str, int, str]] = set()
    projects: dict[int, Project] = {}
    pid = 1
    for _ in range(spec.projects):
        personal = r.random() < spec.personal_fraction
        if personal:
            owner = users[r.choice(user_ids)]
            kind, ns_id, ceiling = "user", owner.id, "public"
            ns_path, ns_name = owner.username, owner.name
        else:
            g = r.choice(group_list)
            kind, ns_id, ceiling = "group", g.id, g.visibility
            ns_path, ns_name = g.full_path, g.full_name
        path = f"{r.choice(names.ADJECTIVES)}-{r.choice(names.NOUNS)}"
        n = 1
        while (kind, ns_id, path if n == 1 else f"{path}-{n}") in taken:
            n += 1
        path = path if n == 1 else f"{path}-{n}"
        taken.add((kind, ns_id, path))
        name = path if r.random() < 0.6 else path.replace("-", " ").title()
        archived = r.random() < spec.archived_fraction
        empty = not archived and r.random() < spec.empty_fraction
        roll = r.random()
        if archived:
            last = spec.now - timedelta(days=r.uniform(200, 900))
        elif roll < spec.busy_fraction:
            last = spec.now - timedelta(minutes=r.uniform(0.5, 50))
        elif roll < 0.55:
            last = spec.now - timedelta(hours=r.uniform(1, 24 * 7))
        elif roll < 0.85:
            last = spec.now - timedelta(days=r.uniform(7, 90))
        else:
            last = spec.now - timedelta(days=r.uniform(90, 700))
        created = last - timedelta(days=r.uniform(20, 1400))
        health = r.random()
        p = Project(
            id=pid,
            name=name,
            path=path,
            namespace_id=ns_id,
            namespace_kind=kind,
            description=r.choice(
                [
                    "",
                    f"The {name} service",
                    f"{name}: {r.choice(names.THINGS)} for everyone",
                    f"Mirror of {path} — maintained by {ns_name}",
                ]
            ),
            visibility=_visibility(r, ceiling, (35, 40, 25)),
            archived=archived,
            empty_repo=empty,
            default_branch=None if empty else r.choice(names.DEFAULT_BRANCHES),
            topics=sorted(r.sample(names.TOPICS, r.choice((0, 0, 1, 2, 3)))),
            created_at=created,
            last_activity_at=created if empty else last,
            creator_id=r.choice(user_ids),
            health="broken"
            if health < spec.broken_fraction
            else "flaky"
            if health < spec.broken_fraction + spec.flaky_fraction
            else "healthy",
            activity=0.0 if archived or empty else min(20.0, r.lognormvariate(0, 1.2)),
            star_count=int(r.paretovariate(1.5)) - 1,
            forks_count=r.choice((0, 0, 0, 1, 2)),
            open_issues_count=r.randint(0, 40),
            path_with_namespace=f"{ns_path}/{path}",
            name_with_namespace=f"{ns_name} / {name}",
        )
        if kind == "group" and r.random() < spec.shared_fraction and len(group_list) > 1:
            other = r.choice(group_list)
            if other.id != ns_id:
                p.shared_with_group_ids.append(other.id)
        projects[pid] = p
        pid += r.choice((1, 1, 1, 1, 2, 5))
    for u in users.values():
        u.created_at = names.ms(u.created_at)
    for g in groups.values():
        g.created_at = names.ms(g.created_at)
    for p in projects.values():
        p.created_at, p.last_activity_at = names.ms(p.created_at), names.ms(p.last_activity_at)
    _mark_bottlenecks(spec.seed, groups, projects)
    return Org(users, groups, projects, _memberships(r, users, groups, projects))


def _mark_bottlenecks(seed: int, groups: dict[int, Group], projects: dict[int, Project]) -> None:
    """Projects under the groups whose runners are a bottleneck (a separate generator)."""
    holding: set[int] = set()
    for p in projects.values():
        gid = p.namespace_id if p.namespace_kind == "group" else None
        while gid is not None and gid not in holding:
            holding.add(gid)
            gid = groups[gid].parent_id
    slow = load.bottleneck_groups(seed, groups, holding)
    for p in projects.values():
        p.bottleneck = p.namespace_kind == "group" and p.namespace_id in slow


def _memberships(
    r: random.Random, users: dict[int, User], groups: dict[int, Group], projects: dict[int, Project]
) -> list[Membership]:
    out = [Membership(1, OWNER, group_id=g.id) for g in groups.values() if g.parent_id is None]
    group_ids = list(groups)
    project_ids = list(projects)
    levels = (GUEST, REPORTER, DEVELOPER, DEVELOPER, DEVELOPER, MAINTAINER, OWNER)
    for uid in users:
        if uid == 1:
            continue
        for gid in r.sample(group_ids, min(len(group_ids), r.choice((0, 1, 1, 2, 3)))):
            out.append(Membership(uid, r.choice(levels), group_id=gid))
        if r.random() < 0.3:
            out.append(Membership(uid, r.choice(levels), project_id=r.choice(project_ids)))
    return out
