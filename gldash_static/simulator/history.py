"""Per-project history, generated lazily and deterministically from (seed, project id)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from gldash_static.simulator import activity, added, names, rollbacks
from gldash_static.simulator.model import Branch, MergeRequest, Project, ProjectDetail

# One pipeline's life moved to pipelines.py; state.py and tests still reach it from here.
from gldash_static.simulator.pipelines import PIPELINE_ID_BASE as PIPELINE_ID_BASE
from gldash_static.simulator.pipelines import advance_pipeline as advance_pipeline
from gldash_static.simulator.pipelines import long_red
from gldash_static.simulator.pipelines import new_pipeline as new_pipeline

PUSH_WITHOUT_PIPELINE = 0.2  # share of pushes that start no pipeline ([skip ci], no CI rule)
MR_ID_BASE = 1_000
_OPEN_MERGE_STATUSES = [
    "mergeable",
    "mergeable",
    "mergeable",
    "ci_still_running",
    "not_approved",
    "discussions_not_resolved",
    "ci_must_pass",
    "checking",
    "need_rebase",
]


def _branch_names(r: random.Random, default: str) -> list[str]:
    out = [default]
    for _ in range(r.choice((0, 1, 2, 3, 4, 6, 8))):
        name = f"{r.choice(names.BRANCH_PREFIXES)}{r.choice(names.BRANCH_WORDS)}"
        if name not in out:
            out.append(name)
    if r.random() < 0.3:
        out.append(f"release/{r.randint(1, 4)}.{r.randint(0, 12)}")
    return out


def generate_detail(
    seed: int, project: Project, user_ids: list[int], now: datetime, count: int, days: int
) -> ProjectDetail:
    """The project's initial pipelines, branches and merge requests at time `now`."""
    r = names.rng(seed, "project", project.id)
    detail = ProjectDetail([], [], [], next_pipeline_seq=1, next_mr_iid=1, generated_at=now)
    if project.empty_repo or project.default_branch is None:
        return detail
    default = project.default_branch
    last = project.last_activity_at
    branch_names = _branch_names(r, default)
    for name in branch_names:
        is_default = name == default
        committed = last if is_default else last - timedelta(days=r.expovariate(1 / 40))
        committed = names.ms(max(committed, project.created_at))
        detail.branches.append(
            Branch(
                name=name,
                project_id=project.id,
                merged=not is_default and r.random() < 0.3,
                protected=is_default or name.startswith("release/"),
                default=is_default,
                commit_sha=names.fake_sha(seed, project.id, "branch", name),
                parent_sha=names.fake_sha(seed, project.id, "parent", name),
                commit_title=names.commit_title(r),
                committed_at=committed,
                author_id=r.choice(user_ids),
            )
        )
    detail.branches.sort(key=lambda b: b.name)
    # Merge requests first, so merge-request pipelines can point at them.
    for _ in range(r.choice((0, 0, 1, 2, 3, 4, 6))):
        _new_mr(
            r,
            seed,
            project,
            detail,
            last - timedelta(days=r.expovariate(1 / 20)),
            now,
            user_ids,
            branch_names,
        )
    n = max(1, round(count * r.uniform(0.5, 1.5))) if count else 0
    gaps = [r.expovariate(n / days) for _ in range(n)]
    times: list[datetime] = []
    t = last
    for g in gaps:
        if t < project.created_at:
            break
        times.append(t)
        t -= timedelta(days=g)
    times.reverse()
    for k, created in enumerate(times):
        ref, source = _pick_ref(r, default, branch_names, detail)
        # Pipelines added for issue 16 draw from generators of their own (added.py).
        added.nightlies(seed, project, detail, created, now, user_ids)
        p = new_pipeline(
            r,
            seed,
            project,
            detail,
            created,
            now,
            ref=ref,
            source=source,
            user_id=r.choice(user_ids),
        )
        following = times[k + 1] if k + 1 < len(times) else now
        added.rerun(seed, project, detail, p, following, now, user_ids)
    added.nightlies(seed, project, detail, now + timedelta(milliseconds=1), now, user_ids)
    default_head = [p for p in detail.pipelines if p.ref == default and not p.origin]
    if default_head:  # the default branch's head is the last pipeline's commit
        for b in detail.branches:
            if b.default:
                b.commit_sha, b.commit_title = default_head[-1].sha, default_head[-1].commit_title
                b.parent_sha = default_head[-1].before_sha
    return detail


def _pick_ref(
    r: random.Random, default: str, branch_names: list[str], detail: ProjectDetail
) -> tuple[str, str]:
    roll = r.random()
    if roll < 0.55 or len(branch_names) == 1:
        return default, "push"
    if roll < 0.65:
        return default, "schedule"
    if roll < 0.70:
        return default, "web"
    if roll < 0.72:
        return f"v{r.randint(0, 3)}.{r.randint(0, 20)}.{r.randint(0, 9)}", "push"
    if roll < 0.85 and detail.merge_requests:
        mr = r.choice(detail.merge_requests)
        return f"refs/merge-requests/{mr.iid}/head", "merge_request_event"
    return r.choice(branch_names[1:]), "push"


def _new_mr(
    r: random.Random,
    seed: int,
    project: Project,
    detail: ProjectDetail,
    created: datetime,
    now: datetime,
    user_ids: list[int],
    branch_names: list[str],
) -> MergeRequest:
    iid = detail.next_mr_iid
    detail.next_mr_iid += 1
    created = names.ms(max(created, project.created_at))
    roll = r.random()
    state = "opened" if roll < 0.45 else "merged" if roll < 0.9 else "closed"
    draft = state == "opened" and r.random() < 0.2
    conflicts = state == "opened" and r.random() < 0.1
    title = names.commit_title(r)
    updated = names.ms(min(now, created + timedelta(hours=r.expovariate(1 / 30))))
    mr = MergeRequest(
        id=project.id * MR_ID_BASE + iid,
        iid=iid,
        project_id=project.id,
        title=f"Draft: {title}" if draft else title,
        description=r.choice(["", f"Closes #{r.randint(1, 300)}", f"{title}.\n\n- [x] tests"]),
        state=state,
        draft=draft,
        source_branch=r.choice(branch_names[1:]) if len(branch_names) > 1 else f"mr-{iid}",
        target_branch=branch_names[0],
        author_id=r.choice(user_ids),
        assignee_ids=r.sample(user_ids, min(len(user_ids), r.choice((0, 1, 1, 2)))),
        reviewer_ids=r.sample(user_ids, min(len(user_ids), r.choice((0, 1, 2)))),
        labels=sorted(r.sample(names.LABELS, r.choice((0, 1, 2)))),
        created_at=created,
        updated_at=updated,
        merged_at=updated if state == "merged" else None,
        merged_by_id=r.choice(user_ids) if state == "merged" else None,
        closed_at=updated if state == "closed" else None,
        closed_by_id=r.choice(user_ids) if state == "closed" else None,
        has_conflicts=conflicts,
        detailed_merge_status="not_open"
        if state != "opened"
        else "draft_status"
        if draft
        else "conflict"
        if conflicts
        else r.choice(_OPEN_MERGE_STATUSES),
        sha=names.fake_sha(seed, project.id, "mr", iid),
        merge_commit_sha=names.fake_sha(seed, project.id, "merge", iid)
        if state == "merged"
        else None,
        user_notes_count=r.randint(0, 25),
        upvotes=r.choice((0, 0, 0, 1, 2)),
    )
    detail.merge_requests.append(mr)
    return mr


def evolve(
    seed: int,
    step: int,
    project: Project,
    detail: ProjectDetail,
    t0: datetime,
    t1: datetime,
    active_at: datetime | None,
    user_ids: list[int],
) -> None:
    """Apply one clock step to a project: pipelines finish; if active, things happen."""
    for p in detail.pipelines:
        if p.plan is not None:
            advance_pipeline(p, t1)
    runs = activity.scheduled_runs(project, t0, t1, nightly=long_red(seed, project))
    # Scheduled pipelines create no Event, so they leave last_activity_at alone; those after
    # the step's pushes come after them, to keep pipeline ids in creation order.
    later = [t for t in runs if active_at is not None and t > active_at]
    _scheduled(seed, project, detail, [t for t in runs if t not in later], t1, user_ids)
    if active_at is None or project.default_branch is None:
        return
    r = names.rng(seed, "evolve", step, project.id)
    branch_names = [b.name for b in detail.branches]
    if r.random() < 0.3:  # someone starts a branch
        name = f"{r.choice(names.BRANCH_PREFIXES)}{r.choice(names.BRANCH_WORDS)}-{step}"
        if name not in branch_names:
            detail.branches.append(
                Branch(
                    name,
                    project.id,
                    False,
                    False,
                    False,
                    names.fake_sha(seed, project.id, step, name),
                    names.fake_sha(seed, step, name),
                    names.commit_title(r),
                    active_at,
                    r.choice(user_ids),
                )
            )
            detail.branches.sort(key=lambda b: b.name)
            branch_names.append(name)
    t = active_at
    for n in range(r.choice((1, 1, 1, 2, 3))):
        ref = project.default_branch if r.random() < 0.6 else r.choice(branch_names)
        if r.random() < PUSH_WITHOUT_PIPELINE:
            activity.commit_without_pipeline(r, seed, project, detail, ref, t, (step, n))
        else:
            p = new_pipeline(
                r, seed, project, detail, t, t1, ref=ref, source="push", user_id=r.choice(user_ids)
            )
            # After a failed deploy the push may revert the breaking commit (a generator of
            # its own: this stream stays as it was).
            rollbacks.revert_title(seed, project, detail, p)
            activity.move_head(detail, ref, p.sha, p.commit_title, t)
        # The step's later pushes fall within the hour of its first event.
        t = names.ms(min(t1, t + timedelta(minutes=r.uniform(1, 29))))
    opened = [m for m in detail.merge_requests if m.state == "opened" and not m.draft]
    if opened and r.random() < 0.35:  # a merge request is merged
        mr = r.choice(opened)
        mr.state, mr.merged_at, mr.updated_at = "merged", active_at, active_at
        mr.merged_by_id, mr.detailed_merge_status = r.choice(user_ids), "not_open"
        mr.merge_commit_sha = names.fake_sha(seed, project.id, "merge", mr.iid)
        for b in detail.branches:
            if b.name == mr.source_branch and not b.protected:
                b.merged = True
    if r.random() < 0.25:
        mr = _new_mr(r, seed, project, detail, active_at, active_at, user_ids, branch_names)
        mr.state, mr.merged_at, mr.merged_by_id, mr.merge_commit_sha = "opened", None, None, None
        mr.closed_at = mr.closed_by_id = None
        mr.updated_at = active_at
        if mr.detailed_merge_status == "not_open":
            mr.detailed_merge_status = "ci_still_running"
    stale = [b for b in detail.branches if b.merged and not b.protected]
    if stale and r.random() < 0.3:  # a merged branch is deleted
        detail.branches.remove(r.choice(stale))
    _scheduled(seed, project, detail, later, t1, user_ids)


def _scheduled(
    seed: int,
    project: Project,
    detail: ProjectDetail,
    runs: list[datetime],
    now: datetime,
    user_ids: list[int],
) -> None:
    """Pipelines of the nightly schedule at `runs`: on the default branch's head commit."""
    head = next((b for b in detail.branches if b.default), None)
    for run in runs:
        r = names.rng(seed, "schedule", project.id, run.isoformat())
        ref = project.default_branch or ""
        p = new_pipeline(
            r,
            seed,
            project,
            detail,
            run,
            now,
            ref=ref,
            source="schedule",
            user_id=r.choice(user_ids),
        )
        if head is not None:  # a schedule builds what is there; it pushes nothing
            p.sha, p.commit_title = head.commit_sha, head.commit_title
        if project.id % activity.SCHEDULE_EVERY:  # a long red streak's nightly (added.py)
            p.origin = "nightly"
            detail.added += 1
