"""Runner load: queues grow in working hours and in groups whose runners are a bottleneck.

Queue lengths are drawn once per pipeline and job (history.py, jobs.py); this module only
scales the drawn value, from separate seeded generators, so that the organisation's random
streams, and with them every pipeline's status and creation time, stay as they were.
"""

from __future__ import annotations

from datetime import datetime

from gldash_static.simulator import names
from gldash_static.simulator.model import Group, Project

RUSH_HOURS = range(8, 18)  # UTC, Monday to Friday: everybody pushes, runners are busy
MAX_QUEUE_S = 40 * 60.0  # nobody waits longer: an autoscaler or a person steps in
BOTTLENECK_RAMP_DAYS = 30  # the bottleneck's queues grow from x5 to x10 over these days


def bottleneck_groups(seed: int, groups: dict[int, Group], has_projects: set[int]) -> set[int]:
    """One or two second-level groups whose runners cannot keep up (their subtrees too)."""
    candidates = sorted(g.id for g in groups.values() if g.depth == 1 and g.id in has_projects)
    if not candidates:
        return set()
    r = names.rng(seed, "bottleneck")
    chosen = set(r.sample(candidates, 1 if len(candidates) < 10 else 2))
    out = set(chosen)
    for g in sorted(groups.values(), key=lambda g: g.depth):
        if g.parent_id in out:
            out.add(g.id)
    return out


def queue_factor(seed: int, project: Project, created: datetime, epoch: datetime) -> float:
    """How much longer than drawn a pipeline created at `created` waits for runners."""
    # `epoch` is when the organisation was generated: a bottleneck's queues grow towards it
    # (x5 a month before, x10 from then on).
    factor = 1.0
    if created.weekday() < 5 and created.hour in RUSH_HOURS:
        factor *= 2.0 + 2.0 * names.rng(seed, "rush", project.id, created.isoformat()).random()
    if project.bottleneck:
        days_before = (epoch - created).total_seconds() / 86_400
        ramp = min(max(days_before, 0.0), BOTTLENECK_RAMP_DAYS) / BOTTLENECK_RAMP_DAYS
        factor *= 10.0 - 5.0 * ramp
    return factor


def stretched(drawn: float, factor: float) -> float:
    """A drawn queue in seconds under `factor`, never shorter than drawn nor beyond the cap."""
    return max(drawn, min(drawn * factor, MAX_QUEUE_S))
