"""Read a GitLab webhook payload (the TRIGGER_PAYLOAD file) and find the project it is about."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gldash_static.errors import UsageError

KNOWN_KINDS = ("pipeline", "push", "tag_push", "merge_request", "build", "deployment", "release")


@dataclass(frozen=True)
class Event:
    """The parts of a webhook event that decide what to refresh."""

    kind: str
    project_id: int
    project_url: str | None


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
    return Event(kind or "unknown", project_id, url if isinstance(url, str) else None)
