"""A seeded GitLab REST API simulator for the demo, the tests and the benchmarks."""

from __future__ import annotations

from gldash_static.simulator.clock import DEFAULT_NOW, SimClock
from gldash_static.simulator.faults import Faults
from gldash_static.simulator.model import (
    Branch,
    Group,
    Job,
    MergeRequest,
    Pipeline,
    Project,
    Schedule,
    User,
)
from gldash_static.simulator.org import OrgSpec
from gldash_static.simulator.routing import Reply
from gldash_static.simulator.server import Simulator
from gldash_static.simulator.state import OrgState

__all__ = [
    "DEFAULT_NOW",
    "Branch",
    "Faults",
    "Group",
    "Job",
    "MergeRequest",
    "OrgSpec",
    "OrgState",
    "Pipeline",
    "Project",
    "Reply",
    "Schedule",
    "SimClock",
    "Simulator",
    "User",
]
