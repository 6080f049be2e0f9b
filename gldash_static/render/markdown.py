"""Notes pages: Markdown files rendered to HTML and passed through an allowlist sanitiser."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import markdown as md
import nh3
from markupsafe import Markup

from gldash_static.errors import RenderError
from gldash_static.render.text import clean, slug

_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "attr_list"]
# Only links and images that stay harmless; nh3 drops everything else (javascript:, data:).
_SCHEMES = {"http", "https", "mailto"}


@dataclass(frozen=True)
class Note:
    """A rendered notes page."""

    slug: str
    title: str
    html: Markup

    @property
    def page(self) -> str:
        """Path of the page: top level, so that links written in the Markdown resolve as at /."""
        return f"notes-{self.slug}.html"


def to_html(text: str) -> Markup:
    """Markdown text as sanitised HTML (no scripts, styles, event handlers or unsafe URLs)."""
    raw = md.markdown(text, extensions=_EXTENSIONS, output_format="html")
    cleaned: str = nh3.clean(
        raw,
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer",
        # Style attributes would break the page's Content-Security-Policy, ids could clash.
        attributes={
            "a": {"href", "title"},
            "img": {"src", "alt", "title", "width", "height"},
            "th": {"align"},
            "td": {"align"},
            "code": {"class"},
            "ol": {"start"},
        },
    )
    return Markup(cleaned)


def _title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return clean(line[2:], 120) or fallback
    return fallback


def load_notes(paths: tuple[Path, ...] | list[Path]) -> list[Note]:
    """Read and render every configured Markdown file; slugs are unique and file-name safe."""
    notes: list[Note] = []
    seen: set[str] = set()
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RenderError(f"{path}: cannot read notes page: {exc}") from None
        base = slug(path.stem, "notes")
        name, n = base, 1
        while name in seen:
            n += 1
            name = f"{base}-{n}"
        seen.add(name)
        notes.append(Note(name, _title(text, clean(path.stem, 120)), to_html(text)))
    return notes
