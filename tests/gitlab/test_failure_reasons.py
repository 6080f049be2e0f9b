"""A failed job's reason from the tooltip of its detailed status (GraphQL has no field)."""

from __future__ import annotations

import pytest

from gldash_static.gitlab.failure_reasons import REASONS, reason_of, tooltip


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Failed - (script failure)", "script_failure"),
        ("failed - (stuck or timeout failure)", "stuck_or_timeout_failure"),
        ("Failed - (script failure) (allowed to fail)", "script_failure"),
        ("Fehlgeschlagen - (runner system failure)", "runner_system_failure"),  # translated
        ("Failed - (API failure)", "api_failure"),
        ("Failed - (something GitLab added later)", None),
        ("passed", None),
        ("Failed - script failure", None),  # no brackets: not GitLab's shape
        ("", None),
        (None, None),
        (["Failed - (script failure)"], None),
        ("x" * 5_000 + "- (script failure)", None),  # past what a tooltip holds
    ],
)
def test_reason_of(text: object, reason: str | None) -> None:
    assert reason_of(text) == reason


def test_every_reason_reads_back_from_its_tooltip() -> None:
    for reason in REASONS:
        for allowed in (False, True):
            assert reason_of(tooltip(reason, allowed)) == reason
    assert len(set(REASONS.values())) == len(REASONS)  # the words name one reason each


def test_a_tooltip_without_a_reason_falls_back_to_the_failure_message() -> None:
    # failed_unmet_prerequisites.rb shows no reason in the tooltip; the callout says it.
    assert reason_of("Failed", "The job failed to complete prerequisite tasks") == (
        "unmet_prerequisites"
    )
    assert reason_of("Failed - (script failure)", "Your runner is outdated") == "script_failure"
    assert reason_of(None, "Your runner is outdated, please upgrade your runner") == (
        "runner_unsupported"
    )
    assert reason_of("Failed", "Something else entirely") is None
    assert reason_of("Failed", {"not": "text"}) is None
