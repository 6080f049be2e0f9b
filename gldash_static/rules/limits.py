"""List limits: how many rows a cross-project list shows; templates get them from here."""

from __future__ import annotations

LIST_LIMIT = 1000  # rows per cross-project list, so that pages stay loadable at 10,000 projects
# Merge requests are one short row each and the list is filtered in the browser: more fit.
MERGE_REQUEST_LIMIT = 2000
RECENT_FAILURES = 200  # pipelines listed on the failures page; older ones are in project pages
# Short lists that point to a full one elsewhere; templates get them as globals, never literals.
OVERVIEW_BROKEN = 50  # failing default branches on the overview; all are on the failures page
OVERVIEW_FETCH_ERRORS = 20  # fetch errors on the overview; all are in health.json
PROJECT_FAILED_PIPELINES = 2  # failed pipelines whose jobs a project page lists; charts mark all
# Failed jobs listed for one pipeline, wherever one is listed; a link to GitLab's Failed jobs
# tab counts the rest. A matrix of 200 failing jobs made a 40 KB row on three pages.
PIPELINE_FAILED_JOBS = 10
# Rows of a project page's pipeline table: the chart above it shows more, GitLab all of them,
# and at 5,000 projects each further row costs 1.2 MB of the Pages site (3 rows kept a month
# of a 5,000-project organisation's site over 100 MB).
PROJECT_TABLE_PIPELINES = 2
# Bars of a project page's pipeline chart, newest kept: about 150 bytes each (with its title)
# on every page; 30 made 6 MB more of a 5,000-project site once history had filled them, and
# 20 (3.7 KB, the largest part of a project page) kept a 1,000-project site over 30 MB, and
# 15 (2.9 KB) a 5,000-project one with its month of archive over 100 MB.
PROJECT_CHART_PIPELINES = 8
# Rows of a project page's branch and merge request tables. The simulator's projects have a
# handful of each, real ones up to fetch.max_branches (200) and fetch.max_merge_requests
# (200): at ~230 and ~330 bytes a row, 200 of each would make a 110 KB page, and 5,000 such
# pages 550 MB of a 100 MB Pages site. The snapshot keeps them all; the Merge requests page
# lists every one, the Branches page every stale or merged branch, GitLab the rest. Fifteen
# branch rows were 1.8 MB more than five of a 5,000-project site after a month of history.
PROJECT_BRANCHES = 3  # the default branch, then the newest commits
PROJECT_MERGE_REQUESTS = 15  # the longest open first
# Evidence of each flaky job on its project page (the Flaky page shows more).
PROJECT_FLAKY_EVIDENCE = 1
# Rows of a group page's project table, failing first; projects.html?group= lists them all.
# A top-level group of 1,000 projects made a 250 KB page, repeated at every level above;
# at 200 rows the g/ pages of a 5,000-project site took 6.7 MB, at 100 rows 5.4 MB, at 50
# 4.2 MB, at 25 3.0 MB, at 10 1.6 MB: the failing ones first, the rest a link away.
GROUP_LIST_LIMIT = 10
# Rows projects.html writes as HTML (for visitors without JavaScript); its script builds the
# rest from the page's embedded columns, this many at a time ("Show more" adds as many).
# All of them as HTML made 27 MB at 50,000 projects, more DOM than a browser built in 30 s.
PROJECTS_PAGE_ROWS = 100
# Rows of the Jobs page's slowest jobs and longest queues (each project page lists its own).
SLOW_JOBS = 50
# Rows of the Flaky page (each project page lists its own flaky jobs).
FLAKY_JOBS = 200
# Failed test cases a page shows of a test report (the snapshot keeps fetch.max_failed_tests).
TEST_CASES_SHOWN = 10
# Job rows of a project page, slowest first: most projects have a handful of jobs.
PROJECT_JOBS = 30
# Runs a job needs before the Jobs page ranks it by its percentiles.
MIN_JOB_RUNS = 3
# Rows of a project page's Deployments section (only projects with environments get one): a
# deployment row costs ~330 bytes (commit title, user, job link), an environment line ~400.
# On the demo a section averaged 4.5 KB (at most 6.2 KB); were all of 5,000 projects to deploy,
# 22 MB of a 100 MB site, so both lists stay short and GitLab's own page has the rest. Three
# deployments: the environment lines above them already name each one's last success.
PROJECT_DEPLOYMENTS = 2
PROJECT_ENVIRONMENTS = 10  # newest deployed first; review apps can be dozens
# Rows of the deployments feed (deployments.html), newest first: one page, about 450 bytes a row.
DEPLOYMENTS_FEED = 500
