"""The one declared schema of config.yml: every key with its kind, default and help."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gldash_static.config.kinds import (
    Bool,
    Choice,
    Int,
    Key,
    Kind,
    ListOf,
    Nullable,
    Number,
    PathKind,
    Regex,
    Section,
    SectionList,
    Str,
    Timezone,
    Url,
)

VISIBILITIES = ("public", "internal", "private")
ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
FULL_PATH = r"[^\s/][^\s]*"

SOURCE = Section(
    help="One GitLab instance to read from.",
    keys=(
        Key(
            "name",
            Nullable(Str()),
            "Label for this instance on the dashboard.",
            default=None,
            default_doc="the URL's host name",
        ),
        Key(
            "url",
            Url(),
            "Base URL of the GitLab instance, e.g. https://gitlab.example.com.",
            default_doc="`$CI_SERVER_URL` when set, otherwise required",
        ),
        Key(
            "token_env",
            Str(pattern=ENV_NAME, what="an environment variable name"),
            "Name of the environment variable that holds a `read_api` token.",
            default="GITLAB_TOKEN",
        ),
        Key(
            "groups",
            ListOf(Str(pattern=FULL_PATH, what="a group full path"), unique=True),
            "Groups to publish, by full path; their subgroups are included.",
            default=(),
        ),
        Key(
            "projects",
            ListOf(Str(pattern=FULL_PATH, what="a project full path"), unique=True),
            "Extra projects to publish, by full path (path_with_namespace).",
            default=(),
        ),
        Key(
            "exclude",
            ListOf(Regex()),
            "Regular expressions; projects whose path_with_namespace matches one are skipped.",
            default=(),
        ),
        Key("include_archived", Bool(), "Publish archived projects too.", default=False),
        Key(
            "visibility",
            ListOf(Choice(VISIBILITIES), unique=True),
            "Project visibilities that may be published; add `private` only for a site "
            "behind Pages access control.",
            default=("public", "internal"),
        ),
    ),
    # A token in a file ends up in Git history; these keys are refused outright.
    forbidden={
        "token": "never put a token in config.yml; store it in a masked CI/CD variable "
        "and name that variable with token_env",
        "private_token": "never put a token in config.yml; store it in a masked CI/CD variable "
        "and name that variable with token_env",
    },
)

FETCH = Section(
    help="How data is fetched from GitLab.",
    keys=(
        Key(
            "concurrency",
            Int(1, 64),
            "Projects fetched at once, each on a worker thread with its own API client; "
            "their pipeline details use twice as many threads.",
            default=8,
        ),
        Key(
            "timeout_s",
            Number(positive=True, maximum=600),
            "Timeout of one API request, in seconds.",
            default=30.0,
        ),
        Key(
            "max_retries",
            Int(0, 20),
            "Retries of a request that failed (5xx, timeout, reset connection, cut-off body) "
            "before giving up; 429s are waited out as GitLab asks, not counted here.",
            default=5,
        ),
        Key(
            "circuit_breaker",
            Int(1, 10_000),
            "Consecutive failed attempts (each retry counts) after which the fetch stops "
            "asking and keeps the previous data, marked stale.",
            default=25,
        ),
        Key(
            "pipelines_per_project",
            Int(1, 100),
            "Latest pipelines kept per project on the default branch.",
            default=20,
        ),
        Key(
            "stale_branch_days",
            Int(1, 3650),
            "Days without a commit after which a branch counts as stale.",
            default=30,
        ),
        Key("branches", Bool(), "Fetch branches.", default=True),
        Key("merge_requests", Bool(), "Fetch open merge requests.", default=True),
        Key(
            "max_branches",
            Int(1, 100_000),
            "Branches kept per project, most recent commit first; the page counts the rest. "
            "Bounds what one project with thousands of branches adds to every snapshot.",
            default=200,
        ),
        Key(
            "max_merge_requests",
            Int(1, 100_000),
            "Open merge requests kept per project, most recently updated first; the page "
            "counts the rest.",
            default=200,
        ),
        Key(
            "environments",
            Bool(),
            "Fetch environments and their latest deployments: one request per project that "
            "has environments on a full fetch, one per changed project on a refresh, none for "
            "an unchanged one (docs/deploy.md says which projects count as having them).",
            default=True,
        ),
        Key(
            "environment_details",
            Bool(),
            "With fetch.environments: also list each such project's available environments "
            "(one more request, on the same occasions) for the tier a pipeline set, which ones "
            "are stopped, and environments not deployed lately; off: tiers are guessed from "
            "the names as GitLab guesses them and states are unknown.",
            default=True,
        ),
        Key(
            "max_deployments",
            Int(1, 100),
            "Newest deployments kept per project, to any of its environments (one page of "
            "GitLab's deployments listing).",
            default=50,
        ),
        Key("failed_jobs", Bool(), "Fetch the failed jobs of failed pipelines.", default=True),
        Key(
            "jobs",
            Bool(),
            "Fetch every job of every kept pipeline, retried attempts included, for job "
            "durations, queue times, flaky jobs and failure reasons. Over GraphQL they come with "
            "the pipelines at no extra request; over REST it costs one listing a pipeline. A "
            "finished pipeline's jobs are read once.",
            default=True,
        ),
        Key(
            "red_streaks",
            Bool(),
            "Find when each failing default branch started failing and the change that broke "
            "it: up to three requests once per red streak (the last success and the first "
            "failure after it when the kept pipelines are all red, and that commit), none while "
            "the streak goes on.",
            default=True,
        ),
        Key(
            "test_reports",
            Bool(),
            "Read the JUnit test report of the newest failing pipeline of each default branch "
            "(two requests, once per such pipeline) to list the failed test cases.",
            default=True,
        ),
        Key(
            "max_failed_tests",
            Int(1, 1_000),
            "Failed test cases kept per test report; the page counts the rest.",
            default=20,
        ),
        Key(
            "branch_max_age_hours",
            Number(0, 8_760),
            "On a refresh, branches are read again when the project's last_activity_at moved "
            "or a new pipeline shows a commit they lack; GitLab moves last_activity_at at most "
            "once an hour and a push that starts no pipeline shows nowhere else, so branches "
            "are also read again once older than this (a project at a time, each between half "
            "this age and this age, allowing for the time to the next run). 0: every refresh.",
            default=24,
        ),
        Key(
            "incremental_margin_s",
            Int(0, 86_400),
            "Safety margin, in seconds, subtracted "
            "from the previous fetch time when asking what changed.",
            default=600,
        ),
        Key(
            "graphql",
            Bool(),
            "Use GitLab's GraphQL API for pipelines: a full fetch lists the pipelines and "
            "failed jobs of 100 projects a request, a refresh asks which projects changed and "
            "lists their updated pipelines the same way (instead of about 20 REST requests a "
            "project); whatever GraphQL cannot answer is asked over REST. false: REST only.",
            default=True,
        ),
    ),
)

SITE = Section(
    help="How the site is rendered.",
    keys=(
        Key("title", Str(), "Title shown on every page.", default="GitLab dashboard"),
        Key(
            "output_dir",
            PathKind(),
            "Folder the site is written to (GitLab Pages publishes `public`); replaced whole on "
            "every run, so it must be new, empty or a gldash site (marked `.gldash-output`).",
            default="public",
        ),
        Key(
            "templates_dir",
            Nullable(PathKind("dir")),
            "Folder of your own templates, searched before the built-in ones.",
            default=None,
        ),
        Key(
            "pages",
            ListOf(PathKind("file"), unique=True),
            "Markdown files published as notes pages.",
            default=(),
        ),
        Key("timezone", Timezone(), "Time zone for dates shown on the site.", default="UTC"),
        Key(
            "freshness_warning_hours",
            Number(positive=True),
            "Age of the data, in hours, after which pages warn that it is out of date.",
            default=6.0,
        ),
        Key(
            "stale_environment_days",
            Int(1, 3650),
            "Days without a successful deployment after which the environments page flags an "
            "environment as not deployed.",
            default=30,
        ),
        Key(
            "max_mb",
            Nullable(Number(positive=True)),
            "Size limit of the published site in MB as GitLab counts them (1,048,576 bytes: "
            "100 is 104.9 million bytes), archive included: a render warns from "
            "80 % of it on, naming the largest parts, and a build whose site would pass it "
            "drops the oldest archived snapshots (never the newest; trends keep their days) "
            "until the site is back to 95 % of it, when that is enough to fit. GitLab Pages' "
            "default on self-managed instances is 100 MB (admin setting max_pages_size); "
            "GitLab.com allows 1 GB: set 1000 there to keep more. null: no check.",
            default=100.0,
        ),
        Key(
            "snapshot_job_attempts",
            Bool(),
            "Publish snapshot.json.gz with every pipeline's job attempts (about 30 % of it; "
            "pages show the figures drawn from them either way). false leaves them out "
            "(`jobs` null, as a fetch without job data writes it); with `archive.carry_forward: "
            "artifacts` the build keeps the whole snapshot in archive/carry.json.gz, outside "
            "the site, for the Pages job's artifacts to carry forward. "
            "`archive.carry_forward: url` reads the previous snapshot back from the site, so "
            "it publishes them whatever this says.",
            default=False,
        ),
    ),
)

RETENTION = Section(
    help="How many archived snapshots are kept, by age.",
    keys=(
        Key(
            "all_days", Int(0, 3650), "Keep every snapshot younger than this many days.", default=1
        ),
        Key(
            "daily_days", Int(0, 36_500), "Then keep one a day up to this age in days.", default=90
        ),
        Key(
            "weekly_days",
            Int(0, 36_500),
            "Then keep one a week up to this age in days.",
            default=730,
        ),
        Key(
            "monthly",
            Bool(),
            "Then keep one a month for ever (false: drop older ones).",
            default=True,
        ),
        Key(
            "max_mb",
            Nullable(Number(positive=True)),
            "Size budget of the archived snapshots in MB: the oldest go first beyond it "
            "(self-managed GitLab Pages sites are limited to 100 MB by default); null: none.",
            default=60.0,
        ),
        Key(
            "jobs_days",
            Nullable(Int(0, 36_500)),
            "Archived snapshots older than this many days keep their pipelines but drop the "
            "job attempts within them, about a third of a snapshot: history.json keeps the "
            "figures drawn from them and the newest snapshot keeps them. 0: only the "
            "newest keeps them; more costs each build a walk back through the archive to the "
            "snapshot turning that age; null: never.",
            default=0,
        ),
    ),
)

ARCHIVE = Section(
    help="Dated copies of past snapshots, and how they survive Pages deployments.",
    keys=(
        Key("enabled", Bool(), "Archive every built snapshot.", default=True),
        Key(
            "dir",
            PathKind(),
            "Folder holding the archive while building: new, empty or a gldash archive "
            "(marked `.gldash-output`), and not `site.output_dir`.",
            default="archive",
        ),
        Key("retention", RETENTION, "Retention rules.", default_doc="see below"),
        Key(
            "carry_forward",
            Choice(("artifacts", "url", "none")),
            "Where a build gets the "
            "previous archive: the last Pages job's artifacts, the published site, or nowhere.",
            default="artifacts",
        ),
        Key(
            "carry_forward_url",
            Nullable(Url()),
            "Published site URL, for `carry_forward: url`.",
            default=None,
        ),
        Key(
            "pages_job",
            Str(),
            "Name of the CI job whose artifacts hold the published site.",
            default="pages",
        ),
    ),
)

ROOT = Section(
    help="config.yml",
    keys=(
        Key("sources", SectionList(SOURCE), "GitLab instances to read from.", required=True),
        Key("fetch", FETCH, "Fetch settings.", default_doc="see below"),
        Key("site", SITE, "Site settings.", default_doc="see below"),
        Key(
            "snapshot",
            PathKind(),
            "Path of the current snapshot (`.json` or `.json.gz`).",
            default="snapshot.json",
        ),
        Key("archive", ARCHIVE, "Archive settings.", default_doc="see below"),
    ),
)


def defaults(section: Section) -> dict[str, Any]:
    """Declared defaults of `section`'s keys, typed as settings hold them (paths as given)."""
    return {key.name: _typed(key.kind, key.default) for key in section.keys}


def _typed(kind: Kind, value: Any) -> Any:
    # What kind.check would return, without resolving paths against a config file's folder.
    if value is None:
        return None
    if isinstance(kind, Nullable):
        return _typed(kind.inner, value)
    if isinstance(kind, PathKind):
        return Path(value)
    if isinstance(kind, Number):
        return float(value)
    if isinstance(kind, ListOf):
        return tuple(_typed(kind.item, item) for item in value)
    return value
