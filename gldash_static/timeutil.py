"""Timestamps as GitLab and gldash write them: parsing and the two output formats."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(value: object) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text, or None when absent or invalid."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # GitLab always sends a zone; be lenient
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00: before year 1 in UTC
        return None


def iso_utc(moment: datetime) -> str:
    """UTC time to the second, e.g. 2026-11-28T06:00:00Z (archive index, HTML attributes)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def second_time(value: object) -> str | None:
    """GitLab's ISO 8601 text as UTC to the second (…Z), or None when unreadable.

    Pipelines are stored so: GraphQL's Time gives whole seconds where REST gives
    milliseconds, and one snapshot must read the same whichever API brought a pipeline.
    """
    moment = parse_time(value)
    return None if moment is None else iso_utc(moment)


def gitlab_time(moment: datetime) -> str:
    """UTC time to the millisecond as GitLab writes it, e.g. 2026-11-28T06:00:00.000Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
