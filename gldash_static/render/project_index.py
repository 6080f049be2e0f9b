"""The projects page's data: every project's row as compact columns for the page's script.

At 50,000 projects a table of every row is 27 MB of HTML (1.7 MB gzipped) and more DOM than
a browser builds in 30 s, so projects.html writes its first rows as HTML (what a visitor
without JavaScript sees) and embeds every row as columns of values; the script filters and
sorts those and builds at most a page of rows at a time (`rowBuilder` in assets/gldash.js,
which a browser test holds equal to the `project_rows` macro).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

from markupsafe import Markup

from gldash_static.render.charts import spark_code
from gldash_static.render.views import STATE_ICON, STATE_LABEL, ProjectView

FORMAT = 1


def project_index(projects: Sequence[ProjectView], zone: tzinfo) -> dict[str, object]:
    """Columns of the projects table, one value per project in page order."""
    cols: dict[str, list[object]] = {c: [] for c in "kpxsftodrcmbgv"}
    for p in projects:
        last = p.last
        created = last.created if last else None
        d = last.duration if last else None
        cols["k"].append(int(p.key) if p.key.isdigit() else p.key)
        cols["p"].append(p.path)
        cols["x"].append(1 if p.stale_reason else 0)
        cols["s"].append(p.state)
        cols["f"].append(1 if p.failing else 0)
        minute, offset = _minutes(created, zone)
        cols["t"].append(minute)
        cols["o"].append(offset)
        cols["d"].append(None if d is None else round(d))
        cols["r"].append(spark_code(p.pipelines))
        rate = p.success_rate
        cols["c"].append(None if rate is None else round(rate * 100))
        cols["m"].append(len(p.merge_requests))
        cols["b"].append(p.stale_branches)
        cols["g"].append(list(p.topics))
        cols["v"].append(p.visibility)
    states = sorted({str(s) for s in cols["s"]})
    labels = {s: [s if s in STATE_ICON else "none", STATE_LABEL.get(s, s)] for s in states}
    return {"format": FORMAT, "labels": labels, "cols": cols}


def _minutes(moment: datetime | None, zone: tzinfo) -> tuple[int | None, int | None]:
    """Whole UTC minutes, as the table shows them, and the local minute less the UTC one.

    Both are floored as strftime floors them: an offset with seconds in it (Africa/Monrovia
    until 1972) still gives the minute the macro shows.
    """
    if moment is None:
        return None, None
    seconds = moment.timestamp()
    shift = moment.astimezone(zone).utcoffset() or timedelta(0)
    minute = int(seconds // 60)
    return minute, int((seconds + shift.total_seconds()) // 60) - minute


def index_script_json(projects: Sequence[ProjectView], zone: tzinfo) -> Markup:
    """The index as JSON safe inside `<script type="application/json">`, whatever GitLab sent."""
    text = json.dumps(project_index(projects, zone), ensure_ascii=False, separators=(",", ":"))
    # "<" escaped keeps "</script>" or "<!--" in a project's path or topic from ending the block.
    return Markup(text.replace("<", "\\u003c"))
