"""List limits: how many rows a cross-project list shows; templates get them from here."""

from __future__ import annotations

LIST_LIMIT = 1000  # rows per cross-project list, so that pages stay loadable at 10,000 projects
# Merge requests are one short row each and the list is filtered in the browser: more fit.
MERGE_REQUEST_LIMIT = 2000
