"""The Jinja environment: user templates first, built-in ones behind them and under `default:`."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, tzinfo
from pathlib import Path

import jinja2
from markupsafe import Markup

from gldash_static import resources
from gldash_static.render import charts, text
from gldash_static.render.views import STATE_ICON, STATE_LABEL, STATES
from gldash_static.rules import failures, limits


def _loader(user_dir: Path | None) -> jinja2.BaseLoader:
    builtin = jinja2.FileSystemLoader(resources.templates_dir())
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        loaders.append(jinja2.FileSystemLoader(user_dir))
    # `{% extends "default:base.html" %}` lets an override wrap the built-in template.
    loaders += [builtin, jinja2.PrefixLoader({"default": builtin}, delimiter=":")]
    return jinja2.ChoiceLoader(loaders)


def _status(state: str, label: str | None = None) -> Markup:
    """A state as icon plus text, so that it never depends on colour alone.

    The icon comes from site.css (`.st.s-failed::before`, one rule per state in STATES, which
    tests/render/test_status_icons.py keeps in step): written here it cost 30 bytes in every
    row of every table, 1 MB of a 5,000-project site.
    """
    return Markup('<span class="st s-{0}">{1}</span>').format(
        state if state in STATE_ICON else "none", label or STATE_LABEL.get(state, state)
    )


def _csp_hash(source: object) -> str:
    """The CSP source expression allowing exactly this inline style or script."""
    digest = hashlib.sha256(str(source).encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def make_environment(zone: tzinfo, user_dir: Path | None = None) -> jinja2.Environment:
    """A Jinja environment with autoescape on and gldash's filters and globals."""
    env = jinja2.Environment(
        loader=_loader(user_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )

    def local(moment: datetime | None, seconds: bool = False) -> str:
        return "–" if moment is None else text.local_time(moment, zone, seconds)

    def timetag(moment: datetime | None) -> Markup:
        if moment is None:
            return Markup("–")
        return Markup('<time datetime="{0}">{1}</time>').format(
            text.iso_utc(moment), text.local_time(moment, zone)
        )

    def timetag_short(moment: datetime | None) -> Markup:
        # Minute precision: seconds would only add bytes to the 10,000-row projects table.
        if moment is None:
            return Markup("–")
        return Markup('<time datetime="{0}">{1}</time>').format(
            moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ"), text.local_time(moment, zone)
        )

    env.filters.update(
        timetag_short=timetag_short,
        local=local,
        timetag=timetag,
        iso=lambda m: "" if m is None else text.iso_utc(m),
        duration=text.duration,
        age=text.age,
        percent=text.percent,
        sparkline=charts.sparkline,
        history_chart=charts.history_chart,
        ratio_bar=charts.ratio_bar,
        status=_status,
        csp_hash=_csp_hash,
        zone=lambda m: text.zone_name(m, zone),
    )
    env.globals.update(
        STATE_LABEL=STATE_LABEL,
        STATE_ICON=STATE_ICON,
        STATE_ORDER=[key for key, _, _ in STATES],
        # List limits live in Python (rules.limits); templates cut lists with these.
        LIST_LIMIT=limits.LIST_LIMIT,
        GROUP_LIST_LIMIT=limits.GROUP_LIST_LIMIT,
        PROJECTS_PAGE_ROWS=limits.PROJECTS_PAGE_ROWS,
        MERGE_REQUEST_LIMIT=limits.MERGE_REQUEST_LIMIT,
        OVERVIEW_BROKEN=limits.OVERVIEW_BROKEN,
        OVERVIEW_FETCH_ERRORS=limits.OVERVIEW_FETCH_ERRORS,
        PROJECT_FAILED_PIPELINES=limits.PROJECT_FAILED_PIPELINES,
        PIPELINE_FAILED_JOBS=limits.PIPELINE_FAILED_JOBS,
        PROJECT_TABLE_PIPELINES=limits.PROJECT_TABLE_PIPELINES,
        PROJECT_FLAKY_EVIDENCE=limits.PROJECT_FLAKY_EVIDENCE,
        PROJECT_JOBS=limits.PROJECT_JOBS,
        PROJECT_DEPLOYMENTS=limits.PROJECT_DEPLOYMENTS,
        PROJECT_BRANCHES=limits.PROJECT_BRANCHES,
        PROJECT_MERGE_REQUESTS=limits.PROJECT_MERGE_REQUESTS,
        PROJECT_ENVIRONMENTS=limits.PROJECT_ENVIRONMENTS,
        DEPLOYMENTS_FEED=limits.DEPLOYMENTS_FEED,
        MIN_JOB_RUNS=limits.MIN_JOB_RUNS,
        FAILURE_LABELS=failures.LABELS,
    )
    return env
