"""Hostile GitLab strings: what a project member can type into names, titles and URLs."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from gldash_static.model import Snapshot

# Every payload that would run sets window.__pwned; the browser test checks it stays unset.
TEXTS = [
    "</script><script>window.__pwned='script-close'</script>",
    "<script>window.__pwned='script'</script>",
    '"><img src=x onerror="window.__pwned=\'attr-dq\'">',
    "'><img src=x onerror='window.__pwned=\"attr-sq\"'>",
    "` onfocus=window.__pwned='backtick' autofocus x=`",
    "<!-- <script>window.__pwned='comment'</script> -->",
    "<!--",
    "-->",
    "<![CDATA[<script>window.__pwned='cdata'</script>]]>",
    "</title></textarea></style></noscript><svg onload=window.__pwned='svg'>",
    "<svg><script>window.__pwned='svg-script'</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned='mxss'>",
    "<iframe srcdoc=\"<script>parent.__pwned='srcdoc'</script>\"></iframe>",
    "\";window.__pwned='js-dq';//",
    "';window.__pwned='js-sq';//",
    "${window.__pwned='template'}",
    "\u2028\u2029</script>\u2028",
    '{"a":"</script><script>window.__pwned=\'json\'</script>"}',
    "{{ 7*7 }}{% if 1 %}jinja{% endif %}{#",
    "[click](javascript:window.__pwned='md-link') ![x](data:image/svg+xml,<svg/onload=alert(1)>)",
    "<a href=\"javascript:window.__pwned='a'\">a</a>",
    "*emphasis* `code` # heading\n---\n| t |\n|---|",
    "\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c bidi-controls",
    "nul\x00soh\x01bel\x07esc\x1b[31mdel\x7f c1\x85\x9b",
    "emoji 🚀👩‍👩‍👧‍👦🏳️‍🌈 and CJK 漢字 and RTL עברית",
    "lone \ud800 high and \udfff low surrogates",
    "x" * 20_000,
    "%3Cscript%3Ewindow.__pwned='pct'%3C/script%3E &lt;script&gt; &#x3C;script&#x3E;",
    "\\u003cscript\\u003ewindow.__pwned='escaped'\\u003c/script\\u003e",
]
URLS = [
    "javascript:window.__pwned='url'",
    " JaVaScRiPt:window.__pwned='url-case'",
    "java\tscript:window.__pwned='url-tab'",
    "\x00javascript:window.__pwned='url-nul'",
    "data:text/html,<script>window.__pwned='data'</script>",
    "data:image/svg+xml,<svg onload=window.__pwned='data-svg'>",
    "vbscript:msgbox(1)",
    "//evil.example/phish",
    "https://gitlab.example.com/\"><script>window.__pwned='url-break'</script>",
]


def strings(count: int, offset: int = 0) -> list[str]:
    """`count` corpus strings, cycling from `offset`."""
    return list(itertools.islice(itertools.cycle(TEXTS), offset, offset + count))


def poison(snapshot: Snapshot) -> Snapshot:
    """A copy of `snapshot` with a corpus string in every text field and a bad URL in every
    URL field (ids, timestamps, statuses and structure stay valid)."""
    snap = copy.deepcopy(snapshot)
    texts = itertools.cycle(TEXTS)
    urls = itertools.cycle(URLS)

    def text() -> str:
        return next(texts)

    def url() -> str:
        return next(urls)

    source = snap["sources"][0]
    source["name"] = text()
    for group in source["groups"]:
        group["name"] = text()
        group["description"] = text()
        group["web_url"] = url()
    for project in source["projects"]:
        project["name"] = text()
        project["description"] = text()
        project["topics"] = sorted({text(), text(), text()})
        project["web_url"] = url()
        old_default = project["default_branch"]
        new_default = f"main{text()}"
        project["default_branch"] = new_default
        for branch in project["branches"]:
            if branch["name"] == old_default:
                branch["name"] = new_default
            else:
                branch["name"] = f"feature/{text()}"
            branch["commit_title"] = text()
            branch["author_name"] = text()
        for pipeline in project["pipelines"]:
            if pipeline["ref"] == old_default:
                pipeline["ref"] = new_default
            else:
                pipeline["ref"] = text()
            pipeline["web_url"] = url()
            pipeline["username"] = text()
            for job in pipeline["failed_jobs"]:
                job["name"] = text()
                job["stage"] = text()
                job["failure_reason"] = text()
                job["web_url"] = url()
        for mr in project["merge_requests"]:
            mr["title"] = text()
            mr["source_branch"] = text()
            mr["target_branch"] = text()
            mr["author_username"] = text()
            mr["labels"] = [text(), text()]
            mr["detailed_merge_status"] = text()
            mr["web_url"] = url()
        if project["stale"]:
            project["stale"]["reason"] = text()
    snap["fetch"]["errors"] = [text(), text()]
    return snap


def poison_simulator(sim: Any, project_ids: list[int]) -> None:
    """Put corpus strings into the simulator's own records of the given projects."""
    state = sim.state
    texts = itertools.cycle(TEXTS)
    with state.changing():
        for pid in project_ids:
            project = state.projects[pid]
            project.name = next(texts)
            project.description = next(texts)
            project.topics = [next(texts), next(texts)]
            group = state.groups.get(project.namespace_id)
            if group is not None:
                group.name = next(texts)
                group.description = next(texts)
    for pid in project_ids:
        for branch in state.branches(pid):
            branch.commit_title = next(texts)
        for mr in state.merge_requests(pid):
            mr.title = next(texts)
            mr.labels = [next(texts)]
        for pipeline in state.pipelines(pid)[:5]:
            for job in state.jobs(pid, pipeline.id):
                job.name = next(texts)
                if job.failure_reason:
                    job.failure_reason = next(texts)
