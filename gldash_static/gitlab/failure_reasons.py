"""GitLab's job failure reasons and the words its status tooltips use for them.

GraphQL's CiJob has no `failureReason` (REST's `failure_reason`); its `detailedStatus.tooltip`
names the reason in these words, untranslated, e.g. "Failed - (script failure)" and, for a
job allowed to fail, "... (allowed to fail)" (lib/gitlab/ci/status/build/failed.rb and
failed_allowed.rb). The prefix is translated; the words in brackets are not. A few statuses
(failed_unmet_prerequisites.rb) show no reason there; `failureMessage` then has the
presenter's callout text (CommitStatusPresenter::CALLOUT_FAILURE_MESSAGES), read by its
start, which has stayed the same across GitLab versions where the rest was reworded.
"""

from __future__ import annotations

import re

REASONS: dict[str, str] = {
    "unknown_failure": "unknown failure",
    "script_failure": "script failure",
    "api_failure": "API failure",
    "stuck_or_timeout_failure": "stuck or timeout failure",
    "runner_system_failure": "runner system failure",
    "missing_dependency_failure": "missing dependency failure",
    "runner_unsupported": "unsupported runner",
    "stale_schedule": "stale schedule",
    "job_execution_timeout": "job execution timeout",
    "archived_failure": "archived failure",
    "unmet_prerequisites": "unmet prerequisites",
    "scheduler_failure": "scheduler failure",
    "data_integrity_failure": "data integrity failure",
    "forward_deployment_failure": "forward deployment failure",
    "protected_environment_failure": "protected environment failure",
    "pipeline_loop_detected": "job would create infinitely looping pipelines",
    "invalid_bridge_trigger": "downstream pipeline trigger definition is invalid",
    "downstream_bridge_project_not_found": "downstream project could not be found",
    "upstream_bridge_project_not_found": "upstream project could not be found",
    "insufficient_bridge_permissions": "no permissions to trigger downstream pipeline",
    "insufficient_upstream_permissions": "no permissions to read upstream project",
    "bridge_pipeline_is_child_pipeline": (
        "creation of child pipeline not allowed from another child pipeline"
    ),
    "downstream_pipeline_creation_failed": "downstream pipeline can not be created",
    "secrets_provider_not_found": "secrets provider can not be found",
    "reached_max_descendant_pipelines_depth": "reached maximum depth of child pipelines",
    "reached_max_pipeline_hierarchy_size": "downstream pipeline tree is too large",
    "project_deleted": "pipeline project was deleted",
    "user_blocked": "pipeline user was blocked",
    "ci_quota_exceeded": "no more compute minutes available",
    "no_matching_runner": "no matching runner available",
    "trace_size_exceeded": "log size limit exceeded",
    "builds_disabled": "project builds are disabled",
    "environment_creation_failure": "environment creation failure",
    "deployment_rejected": "deployment rejected",
    "ip_restriction_failure": "IP address restriction failure",
    "failed_outdated_deployment_job": "failed outdated deployment job",
    "reached_downstream_pipeline_trigger_rate_limit": (
        "Too many downstream pipelines triggered in the last minute. Try again later."
    ),
}
# The starts of CALLOUT_FAILURE_MESSAGES (script_failure has none).
CALLOUTS: dict[str, str] = {
    "There is an unknown failure": "unknown_failure",
    "There has been an API failure": "api_failure",
    "There has been a timeout failure or the job got stuck": "stuck_or_timeout_failure",
    "There has been a runner system failure": "runner_system_failure",
    "There has been a missing dependency failure": "missing_dependency_failure",
    "Your runner is outdated": "runner_unsupported",
    "No runners support the requirements to run this job": "runner_unsupported",
    "Delayed job could not be executed": "stale_schedule",
    "The script exceeded the maximum execution time": "job_execution_timeout",
    "The job is archived and cannot be run": "archived_failure",
    "The job failed to complete prerequisite tasks": "unmet_prerequisites",
    "The scheduler failed to assign job to the runner": "scheduler_failure",
    "There has been a structural integrity problem detected": "data_integrity_failure",
    "There has been an unknown job problem": "data_integrity_failure",
    "The deployment job is older than the previously succeeded deployment job": (
        "forward_deployment_failure"
    ),
    "This job could not be executed because it would create infinitely looping pipelines": (
        "pipeline_loop_detected"
    ),
}
_BY_WORDS = {words: reason for reason, words in REASONS.items()}
_BRACKETED = re.compile(r"- \(([^()]{1,200})\)")


def tooltip(reason: str, allow_failure: bool, failed: str = "Failed") -> str:
    """The tooltip GitLab's detailed status shows for a failed job (the simulator's answer)."""
    words = REASONS.get(reason, REASONS["unknown_failure"])
    return f"{failed} - ({words})" + (" (allowed to fail)" if allow_failure else "")


def reason_of(text: object, message: object = None) -> str | None:
    """The failure reason a failed job's tooltip names, else the one its failure message
    starts with; None when neither names one we know."""
    if isinstance(text, str):
        for match in _BRACKETED.finditer(text[:1000]):
            reason = _BY_WORDS.get(match.group(1))
            if reason is not None:
                return reason
    if isinstance(message, str):
        for start, reason in CALLOUTS.items():
            if message.startswith(start):
                return reason
    return None


def callout(reason: str) -> str | None:
    """A failure message starting as GitLab's does for `reason` (the simulator's answer)."""
    for start, known in CALLOUTS.items():
        if known == reason:
            return f"{start}, please try again"
    return None
