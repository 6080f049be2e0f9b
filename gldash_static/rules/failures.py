"""Why jobs fail: GitLab's failure reasons in four kinds, code trouble versus infrastructure.

GitLab's reasons (Ci::Build failure_reason, lib/gitlab/ci/status/build/failed.rb) say who is
to blame: the job's own script ("code"), the machinery that runs it ("infrastructure"),
or a time limit ("timeout"). Everything else (configuration, dependencies, unknown) is
"other": it needs someone to read the job log.
"""

from __future__ import annotations

CATEGORIES = ("code", "infrastructure", "timeout", "other")
LABELS = {
    "code": "Script failures (code)",
    "infrastructure": "Runner and system failures",
    "timeout": "Timeouts and stuck jobs",
    "other": "Other reasons",
}
_KIND = {
    "script_failure": "code",
    "runner_system_failure": "infrastructure",
    "runner_unsupported": "infrastructure",
    "api_failure": "infrastructure",
    "scheduler_failure": "infrastructure",
    "data_integrity_failure": "infrastructure",
    "archived_failure": "infrastructure",
    "unmet_prerequisites": "infrastructure",
    "job_execution_timeout": "timeout",
    "stuck_or_timeout_failure": "timeout",
}


def category(reason: str | None) -> str:
    """The kind of a failure reason (one of CATEGORIES)."""
    return _KIND.get(reason or "", "other")
