"""Clean text: what untrusted text may show on any page, and how long it may be."""

from __future__ import annotations

import re

# Bidirectional controls can make text display in a different order than it is stored
# (Trojan Source); other control characters have no business in a page either. Tab and
# line ends are white space and folded into one space below.
HIDDEN = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
# A lone surrogate cannot be encoded as UTF-8; a JSON file written by another tool may hold
# one as a \\u escape. It shows as the replacement character, as the fetch stores it.
SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")

# Display caps of the fields more than one page shows, so that every page cuts them alike.
PATH_CHARS = 200  # project and group paths
TITLE_CHARS = 200  # merge request titles
REF_CHARS = 120  # branch and tag names
PERSON_CHARS = 60  # author names and usernames


def has_hidden(value: str) -> bool:
    """Whether `value` holds a control, bidi or lone-surrogate character."""
    return HIDDEN.search(value) is not None or SURROGATE.search(value) is not None


def clean(value: object, limit: int = 200) -> str:
    """Printable, single-line, bounded text from an untrusted value ("" for None)."""
    if value is None:
        return ""
    text = SURROGATE.sub("\ufffd", HIDDEN.sub("", str(value)))
    text = _SPACES.sub(" ", text).strip()
    if len(text) > limit:
        # Cutting at a fixed length keeps output deterministic; the ellipsis says text is missing.
        text = text[: limit - 1].rstrip() + "…"
    return text
