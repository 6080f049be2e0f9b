"""Machine-readable files: snapshot.json.gz, health.json and metrics.txt (OpenMetrics text)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from gldash_static import snapshot as snapshot_io
from gldash_static.model import Snapshot
from gldash_static.render.views import STATE_RANK, SiteView
from gldash_static.rules.text import clean
from gldash_static.timeutil import iso_utc

# Published gzipped only: at 5,000 projects the plain JSON is 60 MB, most of a Pages site's
# 100 MB. The archive's newest snapshot is this same file (canonical JSON, gzip -9), so the
# site's archive/ leaves it out and carry-forward takes it from here (archive.carry).
SNAPSHOT_FILE = "snapshot.json.gz"


def snapshot_json(snapshot: Snapshot) -> bytes:
    """The data as `gldash fetch` stores it (indented JSON)."""
    return snapshot_io.dumps(snapshot)


def snapshot_gzip(snapshot: Snapshot) -> bytes:
    """The published data: compact, key-sorted JSON, gzip -9, byte-identical across renders."""
    return snapshot_io.canonical_gzip(snapshot_io.canonical(snapshot))


def health(snapshot: Snapshot, view: SiteView, warning_hours: float) -> dict[str, Any]:
    """What a monitor needs to know about the data's freshness and completeness."""
    fetch = snapshot.get("fetch") or {}
    stale = [
        {
            "id": p.id,
            "path": p.path,
            "reason": p.stale_reason,
            "since": iso_utc(p.stale_since) if p.stale_since else None,
        }
        for p in view.projects
        if p.stale_reason
    ]
    errors = view.fetch_errors
    return {
        "generated_at": iso_utc(view.generated_at),
        "generator": clean(snapshot.get("generator"), 120),
        "status": "degraded" if errors or stale else "ok",
        "freshness_warning_hours": warning_hours,
        "projects": len(view.projects),
        "failing_default_branches": sum(p.failing for p in view.projects),
        "fetch": {
            "mode": fetch.get("mode"),
            "finished_at": fetch.get("finished_at"),
            "duration_s": fetch.get("duration_s"),
            "errors": errors,
        },
        "stale_projects": stale,
    }


def health_json(snapshot: Snapshot, view: SiteView, warning_hours: float) -> bytes:
    """health.json bytes: sorted keys, stable formatting."""
    return (
        json.dumps(health(snapshot, view, warning_hours), indent=1, sort_keys=True) + "\n"
    ).encode()


def _label(value: str) -> str:
    # OpenMetrics label values escape backslash, double quote and newline.
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _num(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))


def _family(name: str, kind: str, help_text: str, unit: str = "") -> Iterator[str]:
    yield f"# TYPE {name} {kind}"
    if unit:
        yield f"# UNIT {name} {unit}"
    yield f"# HELP {name} {help_text}"


def metrics_lines(snapshot: Snapshot, view: SiteView) -> Iterator[str]:
    """Every line of metrics.txt, ending with # EOF."""
    fetch = snapshot.get("fetch") or {}
    yield from _family(
        "gldash_snapshot_generated_timestamp_seconds",
        "gauge",
        "When the snapshot was made.",
        "seconds",
    )
    yield f"gldash_snapshot_generated_timestamp_seconds {_num(view.generated_at.timestamp())}"
    yield from _family(
        "gldash_fetch_duration_seconds", "gauge", "How long the fetch took.", "seconds"
    )
    yield f"gldash_fetch_duration_seconds {_num(float(fetch.get('duration_s') or 0))}"
    yield from _family(
        "gldash_fetch_api_calls", "gauge", "API calls made by the fetch, by endpoint."
    )
    for endpoint, count in sorted((fetch.get("api_calls") or {}).items()):
        yield f'gldash_fetch_api_calls{{endpoint="{_label(clean(endpoint, 120))}"}} {int(count)}'
    for name, key, help_text in (
        ("gldash_fetch_retries", "retries", "Retried API requests."),
        ("gldash_fetch_rate_limited", "rate_limited", "Requests slowed down by rate limiting."),
    ):
        yield from _family(name, "gauge", help_text)
        yield f"{name} {int(fetch.get(key) or 0)}"  # type: ignore[call-overload]
    yield from _family("gldash_fetch_errors", "gauge", "Errors during the fetch.")
    yield f"gldash_fetch_errors {len(view.fetch_errors)}"
    yield from _family("gldash_projects", "gauge", "Projects by default-branch state.")
    for state in sorted(STATE_RANK):
        yield f'gldash_projects{{state="{state}"}} {view.state_counts.get(state, 0)}'
    per_project = [(p, f'project="{_label(p.path)}",project_id="{p.key}"') for p in view.projects]
    yield from _family("gldash_project_default_branch", "info", "Default-branch pipeline state.")
    for p, labels in per_project:
        yield f'gldash_project_default_branch_info{{{labels},state="{p.state}"}} 1'
    yield from _family(
        "gldash_project_failing",
        "gauge",
        "1 when the last finished default-branch pipeline failed.",
    )
    for p, labels in per_project:
        yield f"gldash_project_failing{{{labels}}} {int(p.failing)}"
    yield from _family(
        "gldash_project_success_ratio",
        "gauge",
        "Share of finished pipelines that succeeded.",
        "ratio",
    )
    for p, labels in per_project:
        if p.success_rate is not None:
            # Already rounded by the rule, as on every page and in the archive index.
            yield f"gldash_project_success_ratio{{{labels}}} {_num(p.success_rate)}"
    yield from _family(
        "gldash_project_pipeline_duration_seconds",
        "gauge",
        "Median duration of default-branch pipelines.",
        "seconds",
    )
    for p, labels in per_project:
        if p.median_duration is not None:
            value = _num(round(p.median_duration, 1))
            yield f"gldash_project_pipeline_duration_seconds{{{labels}}} {value}"
    yield "# EOF"


def metrics_text(snapshot: Snapshot, view: SiteView) -> bytes:
    """metrics.txt bytes."""
    return ("\n".join(metrics_lines(snapshot, view)) + "\n").encode("utf-8", "replace")
