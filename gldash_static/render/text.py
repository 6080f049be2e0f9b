"""Times, durations and slugs made readable for pages (pure functions)."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

# The text and URL rules live in gldash_static.rules (the archive pages use them too); they
# are re-exported because site.py and markdown.py import them from here.
from gldash_static.rules.text import clean as clean
from gldash_static.rules.urls import safe_url as safe_url
from gldash_static.timeutil import iso_utc as iso_utc
from gldash_static.timeutil import parse_time as parse_time

_SLUG = re.compile(r"[^a-z0-9]+")


def slug(value: str, fallback: str = "page") -> str:
    """A file-name-safe slug made of lowercase letters, digits and dashes."""
    text = _SLUG.sub("-", value.lower()).strip("-")[:60].strip("-")
    return text or fallback


def local_time(moment: datetime, zone: tzinfo, seconds: bool = False) -> str:
    """Absolute time in the configured timezone, e.g. 2026-11-28 07:00."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def zone_name(moment: datetime, zone: tzinfo) -> str:
    """The zone's abbreviation at `moment` (CET, UTC, ...)."""
    return moment.astimezone(zone).strftime("%Z")


def duration(seconds: float | None) -> str:
    """Compact human duration: 42s, 4m 12s, 2h 05m; an en dash when unknown."""
    if seconds is None:
        return "–"
    total = round(seconds)
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def age(seconds: float | None) -> str:
    """Compact age: 5 min, 3 h, 12 d; an en dash when unknown."""
    if seconds is None:
        return "–"
    if seconds < 3600:
        return f"{max(0, int(seconds // 60))} min"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def percent(ratio: float | None) -> str:
    """A ratio as a whole percentage, or an en dash when there is nothing to measure."""
    return "–" if ratio is None else f"{ratio * 100:.0f}%"
