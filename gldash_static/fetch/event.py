"""Read a GitLab webhook payload (the TRIGGER_PAYLOAD file) and find the project it is about."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gldash_static.errors import UsageError
from gldash_static.timeutil import parse_time

KNOWN_KINDS = ("pipeline", "push", "tag_push", "merge_request", "build", "deployment", "release")


@dataclass(frozen=True)
class Event:
    """The parts of a webhook event that decide what to refresh."""

    kind: str
    project_id: int
    project_url: str | None
    # When the change happened on the GitLab server (pipeline, job and merge request events
    # carry it); a snapshot fetched after it already holds the change.
    occurred_at: datetime | None = None


def read_event(path: Path) -> Event:
    """Parse the payload at `path`; a payload we cannot use is a clear usage error."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: event payload not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a JSON webhook payload ({type(exc).__name__})") from None
    return parse_event(payload, str(path))


def parse_event(payload: Any, origin: str = "event") -> Event:
    """Find the event kind and project in a webhook payload."""
    if not isinstance(payload, dict):
        raise UsageError(f"{origin}: webhook payload must be a JSON object")
    kind = str(payload.get("object_kind") or payload.get("event_name") or "")
    raw_project = payload.get("project")
    project: dict[str, Any] = raw_project if isinstance(raw_project, dict) else {}
    candidates = (project.get("id"), payload.get("project_id"))
    project_id = next((c for c in candidates if isinstance(c, int) and c > 0), None)
    if project_id is None:
        raise UsageError(f"{origin}: no project id in the webhook payload (object_kind {kind!r})")
    url = project.get("web_url")
    return Event(
        kind or "unknown", project_id, url if isinstance(url, str) else None, _occurred_at(payload)
    )


# Server-side times of the change; push events carry only commit times from the authors'
# own clocks, so they are never used.
_TIME_KEYS = ("created_at", "updated_at", "finished_at", "started_at")
_BUILD_KEYS = ("build_created_at", "build_started_at", "build_finished_at")


def _occurred_at(payload: dict[str, Any]) -> datetime | None:
    attributes = payload.get("object_attributes")
    found: list[Any] = []
    if isinstance(attributes, dict) and payload.get("object_kind") in ("pipeline", "merge_request"):
        found += [attributes.get(key) for key in _TIME_KEYS]
    if payload.get("object_kind") == "build":
        found += [payload.get(key) for key in _BUILD_KEYS]
    times = [t for t in (parse_webhook_time(v) for v in found) if t is not None]
    return max(times, default=None)


def parse_webhook_time(value: Any) -> datetime | None:
    """Webhook times: '2016-08-12 15:23:28 UTC' (pipelines, jobs) or ISO 8601 (merge requests)."""
    if isinstance(value, str) and value.endswith(" UTC"):
        value = value[: -len(" UTC")].replace(" ", "T") + "+00:00"
    return parse_time(value)
