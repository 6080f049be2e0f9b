"""Safe URLs: which untrusted URLs may become a link on any page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from gldash_static.rules.text import has_hidden

MAX_URL_CHARS = 2048
_SCHEMES = frozenset({"http", "https"})
# str.isspace's characters (re's \s on str is the same Unicode test), or a backslash: one
# search instead of a generator per character, on every link of every page.
_REFUSED = re.compile(r"[\s\\]")


def safe_url(value: object) -> str | None:
    """The URL itself when it is an absolute http(s) URL naming a host, else None.

    The scheme is matched in any case (`HTTPS://` is https). Nothing is repaired: a browser
    drops white space and controls from a URL (so ` javascript:` and `java\\tscript:` run
    as `javascript:`) and reads a backslash as a slash, so any of them, anywhere, refuses the
    URL. `https://` alone names no host and is refused.
    """
    if not isinstance(value, str) or len(value) > MAX_URL_CHARS:
        return None
    if has_hidden(value) or _REFUSED.search(value):
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    if parts.scheme.lower() not in _SCHEMES or not host:
        return None
    return value
