"""View models: the snapshot turned into sorted, aggregated, display-ready records."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime

from gldash_static.errors import RenderError
from gldash_static.model import (
    FEATURES,
    SHORT_SHA,
    Branch,
    MergeRequest,
    Pipeline,
    Project,
    Snapshot,
)
from gldash_static.render import answers, deployments
from gldash_static.render.records import (
    STATE_ICON,
    STATE_LABEL,
    STATE_RANK,
    STATES,
    WINDOW,
    BranchView,
    GroupView,
    JobView,
    MergeRequestView,
    PipelineView,
    ProjectView,
    SiteView,
    Tile,
    state_of,
    status_label,
)
from gldash_static.rules.environments import STALE_ENVIRONMENT_DAYS
from gldash_static.rules.facts import (
    STALE_BRANCH_DAYS,
    default_branch_pipelines,
    failing_default,
    head_pipeline,
    is_stale_branch,
    red_streak,
    success_rate,
)
from gldash_static.rules.limits import RECENT_FAILURES
from gldash_static.rules.text import PATH_CHARS, PERSON_CHARS, REF_CHARS, TITLE_CHARS, clean
from gldash_static.rules.urls import safe_url
from gldash_static.timeutil import parse_time

__all__ = [
    "STATES",
    "STATE_ICON",
    "STATE_LABEL",
    "STATE_RANK",
    "BranchView",
    "GroupView",
    "MergeRequestView",
    "PipelineView",
    "ProjectView",
    "SiteView",
    "Tile",
    "build",
    "project_view",
    "state_of",
    "urgency",
]


def _seconds_between(later: datetime, earlier: datetime | None) -> float | None:
    return None if earlier is None else max(0.0, (later - earlier).total_seconds())


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _pipeline(raw: Pipeline) -> PipelineView:
    status = clean(raw.get("status"), 40)
    jobs = tuple(
        JobView(
            name=clean(job.get("name"), 120),
            stage=clean(job.get("stage"), 60),
            reason=clean(job.get("failure_reason"), 80).replace("_", " "),
            allow_failure=bool(job.get("allow_failure")),
            duration=_number(job.get("duration")),
            web_url=safe_url(job.get("web_url")),
        )
        for job in raw.get("failed_jobs") or []
    )
    return PipelineView(
        id=int(raw["id"]),
        ref=clean(raw.get("ref"), REF_CHARS),
        sha=clean(raw.get("short_sha"), SHORT_SHA),
        state=state_of(status),
        label=status_label(status),
        source=clean(raw.get("source"), 40).replace("_", " "),
        created=parse_time(raw.get("created_at")),
        duration=_number(raw.get("duration")),
        web_url=safe_url(raw.get("web_url")),
        username=clean(raw.get("username"), PERSON_CHARS),
        jobs=jobs,
    )


def _branch(raw: Branch, now: datetime, stale_days: int) -> BranchView:
    committed = parse_time(raw.get("committed_date"))
    default = bool(raw.get("default"))
    return BranchView(
        name=clean(raw.get("name"), REF_CHARS),
        default=default,
        protected=bool(raw.get("protected")),
        merged=bool(raw.get("merged")) and not default,
        stale=is_stale_branch(raw, now, stale_days),
        commit_title=clean(raw.get("commit_title"), 120),
        short_id=clean(raw.get("commit_short_id"), 12),
        author=clean(raw.get("author_name"), PERSON_CHARS),
        committed=committed,
        age_s=_seconds_between(now, committed),
    )


def _merge_request(raw: MergeRequest, now: datetime, project_key: str) -> MergeRequestView:
    created = parse_time(raw.get("created_at"))
    return MergeRequestView(
        iid=int(raw["iid"]),
        title=clean(raw.get("title"), TITLE_CHARS),
        draft=bool(raw.get("draft")),
        author=clean(raw.get("author_username"), PERSON_CHARS),
        created=created,
        age_s=_seconds_between(now, created),
        source_branch=clean(raw.get("source_branch"), REF_CHARS),
        target_branch=clean(raw.get("target_branch"), REF_CHARS),
        merge_status=clean(raw.get("detailed_merge_status"), 40).replace("_", " "),
        conflicts=bool(raw.get("has_conflicts")),
        labels=tuple(sorted(clean(label, 60) for label in raw.get("labels") or [])),
        web_url=safe_url(raw.get("web_url")),
        project_key=project_key,
    )


def _key(raw_id: object, source_index: int, what: str) -> tuple[int, str]:
    # Page paths come from integer ids only, never from GitLab text.
    if isinstance(raw_id, bool) or not isinstance(raw_id, int) or raw_id < 0:
        raise RenderError(f"snapshot has a {what} with an invalid id: {str(raw_id)[:40]!r}")
    return raw_id, (str(raw_id) if source_index == 0 else f"s{source_index}-{raw_id}")


def _success_rate(pipelines: tuple[PipelineView, ...]) -> float | None:
    states = [p.state for p in pipelines]
    return success_rate(states.count("success"), states.count("failed"))


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def project_view(
    raw: Project,
    source: str,
    source_index: int,
    now: datetime,
    stale_days: int,
    env_days: int = STALE_ENVIRONMENT_DAYS,
) -> ProjectView:
    """One project with its roll-ups computed as of `now`."""
    pid, key = _key(raw.get("id"), source_index, "project")
    stale = raw.get("stale")
    raw_pipelines = raw.get("pipelines") or []
    pipelines = tuple(_pipeline(p) for p in raw_pipelines)
    # The facts are decided on the snapshot's own values, as the archive decides them; the
    # views only show the pipelines the rules picked.
    shown = {id(r): v for r, v in zip(raw_pipelines, pipelines, strict=True)}
    branches = tuple(
        sorted(
            (_branch(b, now, stale_days) for b in raw.get("branches") or []),
            # The project page lists the first few: the default branch, then the newest work.
            key=lambda b: (not b.default, b.age_s is None, b.age_s or 0.0, b.name),
        )
    )
    mrs = tuple(
        sorted(
            (_merge_request(m, now, key) for m in raw.get("merge_requests") or []),
            key=lambda m: (m.created or now, m.iid),
        )
    )
    view = ProjectView(
        key=key,
        page=f"p/{key}.html",
        id=pid,
        path=clean(raw.get("path_with_namespace"), PATH_CHARS),
        name=clean(raw.get("name"), 120),
        namespace=clean(raw.get("namespace"), PATH_CHARS),
        source=source,
        description=clean(raw.get("description"), 300),
        visibility=clean(raw.get("visibility"), 20),
        archived=bool(raw.get("archived")),
        topics=tuple(sorted({clean(t, 40) for t in raw.get("topics") or []} - {""})),
        default_branch=clean(raw.get("default_branch"), REF_CHARS),
        web_url=safe_url(raw.get("web_url")),
        stale_reason=clean(stale.get("reason"), 200) if stale else "",
        stale_since=parse_time(stale.get("since")) if stale else None,
        pipelines=pipelines,
        branches=branches,
        merge_requests=mrs,
    )
    on_default = [shown[id(p)] for p in default_branch_pipelines(raw)]
    view.head = on_default[0] if on_default else None
    view.last = pipelines[0] if pipelines else None
    view.state = view.head.state if view.head else "none"
    view.failing = failing_default(raw)
    deciding = head_pipeline(raw)
    view.broken_by = shown[id(deciding)] if view.failing and deciding is not None else None
    streak = [shown[id(p)] for p in red_streak(raw)] if view.failing else []
    if streak:
        view.red_first, view.red_pipelines = streak[-1], len(streak)
        view.red_since = streak[-1].created
    view.answers = answers.for_project(raw, deciding if view.failing else None)
    known = view.answers.streak
    if view.failing and known is not None and known.since is not None:
        # The fetch's record reaches back beyond the kept pipelines, to the last success.
        view.red_since, view.red_exact = known.since, known.exact
        view.red_pipelines = max(known.pipelines, view.red_pipelines)
    view.red_age_s = _seconds_between(now, view.red_since) if view.failing else None
    view.success_rate = _success_rate(pipelines)
    durations = [p.duration for p in on_default if p.duration is not None]
    view.median_duration = statistics.median(durations) if durations else None
    view.withheld = tuple(f for f in FEATURES if f in (raw.get("withheld") or ()))
    view.unavailable = tuple(f for f in FEATURES if f in (raw.get("unavailable") or ()))
    view.branches_omitted = _count(raw.get("branches_omitted"))
    view.branches_as_of = parse_time(raw.get("branches_fetched_at"))
    view.merge_requests_omitted = _count(raw.get("merge_requests_omitted"))
    view.stale_branches = sum(b.stale for b in branches)
    view.merged_branches = sum(b.merged for b in branches)
    view.unprotected_default = any(b.default and not b.protected for b in branches)
    envs = raw.get("environments")
    if envs is not None:
        view.environments, view.deployments = deployments.for_project(
            envs, raw.get("deployments") or [], now, env_days
        )
    return view


def urgency(project: ProjectView) -> tuple[int, int, str]:
    """Sort key putting failing projects first, then by state, then by path."""
    return (0 if project.failing else 1, STATE_RANK[project.state], project.path.lower())


def _roll_up(group: GroupView) -> None:
    projects = group.projects
    group.failing = sum(p.failing for p in projects)
    group.running = sum(p.state == "running" for p in projects)
    every = tuple(pl for p in projects for pl in p.pipelines)
    group.success_rate = _success_rate(every)
    group.open_mrs = sum(len(p.merge_requests) for p in projects)
    group.stale_branches = sum(p.stale_branches for p in projects)
    states = {p.state for p in projects}
    if group.failing:
        group.state = "failed"
    else:
        group.state = min(states, key=STATE_RANK.__getitem__) if states else "none"


def build(
    snapshot: Snapshot,
    stale_days: int = STALE_BRANCH_DAYS,
    env_days: int = STALE_ENVIRONMENT_DAYS,
) -> SiteView:
    """The whole site's view model; "now" is the snapshot's generated_at."""
    now = parse_time(snapshot.get("generated_at"))
    if now is None:
        raise RenderError("snapshot has no valid generated_at time")
    projects: list[ProjectView] = []
    groups: list[GroupView] = []
    sources: list[tuple[str, str | None]] = []
    stored: dict[str, Project] = {}
    for index, source in enumerate(snapshot.get("sources") or []):
        name = clean(source.get("name"), 80)
        sources.append((name, safe_url(source.get("url"))))
        raws = source.get("projects") or []
        mine = [project_view(p, name, index, now, stale_days, env_days) for p in raws]
        stored.update((view.key, raw) for view, raw in zip(mine, raws, strict=True))
        projects.extend(mine)
        by_id: dict[int, GroupView] = {}
        for raw in source.get("groups") or []:
            gid, key = _key(raw.get("id"), index, "group")
            path = clean(raw.get("full_path"), PATH_CHARS)
            by_id[gid] = GroupView(
                key=key,
                page=f"g/{key}.html",
                id=gid,
                path=path,
                name=clean(raw.get("name"), 120),
                source=name,
                description=clean(raw.get("description"), 300),
                web_url=safe_url(raw.get("web_url")),
                depth=path.count("/"),
                parent_key=None,
            )
        for raw in source.get("groups") or []:
            group, parent = by_id[raw["id"]], by_id.get(raw.get("parent_id") or -1)
            if parent is not None:
                group.parent_key = parent.key
                parent.children.append(group)
        for group in by_id.values():
            prefix = group.path + "/"
            group.projects = sorted(
                (p for p in mine if p.namespace == group.path or p.namespace.startswith(prefix)),
                key=urgency,
            )
            group.children.sort(key=lambda g: g.path.lower())
            _roll_up(group)
        groups.extend(by_id.values())
    projects.sort(key=lambda p: (p.path.lower(), p.key))
    groups.sort(key=lambda g: (g.path.lower(), g.key))
    site = _site(snapshot, now, projects, groups, sources)
    site.answers = answers.for_site(projects, now, stored)
    site.environments = deployments.matrix(
        [(p, stored[p.key].get("environments")) for p in projects], now, env_days
    )
    site.deployments = deployments.feed(projects)
    # Red longest first: projects whose streak start is unknown go last.
    site.broken_longest = sorted(site.broken, key=lambda p: (p.red_since or now, p.path.lower()))
    return site


def _site(
    snapshot: Snapshot,
    now: datetime,
    projects: list[ProjectView],
    groups: list[GroupView],
    sources: list[tuple[str, str | None]],
) -> SiteView:
    epoch = datetime.min.replace(tzinfo=UTC)
    recent = [
        pl for p in projects for pl in p.pipelines if pl.created and now - pl.created <= WINDOW
    ]
    rate = _success_rate(tuple(recent))
    failing = [p for p in projects if p.failing]
    running = sum(pl.state == "running" for p in projects for pl in p.pipelines)
    failures = sorted(
        ((p, pl) for p in projects for pl in p.pipelines if pl.state == "failed"),
        key=lambda item: (item[1].created or epoch, item[1].id),
        reverse=True,
    )
    broken = sorted(failing, key=lambda p: p.path.lower())
    # Newest broken first: by when the red streak began (the deciding pipeline without one).
    broken.sort(
        key=lambda p: p.red_since or (p.broken_by and p.broken_by.created) or epoch, reverse=True
    )
    mrs = sorted(
        ((p, m) for p in projects for m in p.merge_requests),
        key=lambda item: (item[1].created or now, item[0].path.lower(), item[1].iid),
    )
    stale_branches = sorted(
        ((p, b) for p in projects for b in p.branches if b.stale),
        key=lambda item: (-(item[1].age_s or 0), item[0].path.lower(), item[1].name),
    )
    merged = [(p, b) for p in projects for b in p.branches if b.merged]
    timed = [p for p in projects if p.median_duration is not None]
    fetch = snapshot.get("fetch") or {}
    tiles = [
        Tile("Projects", f"{len(projects):,}", f"in {len(groups)} groups"),
        Tile("Pipelines", f"{len(recent):,}", "in the last 7 days"),
        Tile(
            "Success rate", "–" if rate is None else f"{rate * 100:.0f}%", "finished, last 7 days"
        ),
        Tile("Failing", f"{len(failing):,}", "default branches", alert=bool(failing)),
        Tile("Running now", f"{running:,}", "pipelines running or queued"),
    ]
    return SiteView(
        generated_at=now,
        projects=projects,
        groups=groups,
        tiles=tiles,
        broken=broken,
        recent_failures=failures[:RECENT_FAILURES],
        stale_branches=stale_branches,
        merged_branches=merged,
        unprotected=[p for p in projects if p.unprotected_default],
        merge_requests=mrs,
        topics=sorted({t for p in projects for t in p.topics}, key=str.lower),
        state_counts=dict(Counter(p.state for p in projects)),
        fetch_errors=[clean(e, 300) for e in fetch.get("errors") or []],
        sources=sources,
        slowest=sorted(timed, key=lambda p: (-(p.median_duration or 0), p.path.lower()))[:10],
        urgent=sorted(projects, key=urgency),
        by_key={p.key: p for p in projects},
    )
