"""Parse rendered pages with html.parser: tags, attributes and text, for assertions."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path


@dataclass
class Page:
    """What a page contains, as parsed."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)  # bodies of inline <script> elements
    # Bodies of <script type="application/json">: data a script reads, never run by a browser.
    data_blocks: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)  # bodies of inline <style> elements

    def find(self, tag: str) -> list[dict[str, str | None]]:
        """Attributes of every `tag` element."""
        return [attrs for name, attrs in self.tags if name == tag]

    def by_id(self, ident: str) -> dict[str, str | None] | None:
        """Attributes of the element with this id."""
        return next((attrs for _, attrs in self.tags if attrs.get("id") == ident), None)

    @property
    def all_text(self) -> str:
        """The page's text content, joined."""
        return "".join(self.text)

    def links(self) -> list[str]:
        """Every href and src in the page."""
        return [
            value
            for _, attrs in self.tags
            for key, value in attrs.items()
            if key in {"href", "src"} and value is not None
        ]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append((tag, dict(attrs)))
        if tag == "script" and dict(attrs).get("type") == "application/json":
            self._in = "data"
        elif tag in {"script", "style"}:
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in or (tag == "script" and self._in == "data"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.page.scripts.append(data)
        elif self._in == "data":
            self.page.data_blocks.append(data)
        elif self._in == "style":
            self.page.styles.append(data)
        else:
            self.page.text.append(data)


def parse(source: str | Path) -> Page:
    """Parse HTML text or a file."""
    text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
    parser = _Parser()
    parser.feed(text)
    parser.close()
    return parser.page
