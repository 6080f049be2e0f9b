"""Read rendered pages by parsing them: sections, table rows and links."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """Collects trend table rows per series, every href, and element ids."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.series: str | None = None
        self.rows: dict[str, list[list[str]]] = {}
        self.facts: dict[str, dict[str, str]] = {}
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.svgs = 0
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._fact: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "a" and a.get("href"):
            self.hrefs.append(str(a["href"]))
        if tag == "svg":
            self.svgs += 1
        if tag == "section" and "data-series" in a:
            self.series = a["data-series"] or ""
            self.rows[self.series] = []
            self.facts[self.series] = {}
        elif tag == "tr" and "data-date" in a:
            self._row = [str(a["data-date"])]
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "dd" and a.get("data-k") and self.series is not None:
            self._fact = str(a["data-k"])
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self.series is not None:
            self.rows[self.series].append(self._row)
            self._row = None
        elif tag == "dd" and self._fact is not None and self.series is not None:
            self.facts[self.series][self._fact] = "".join(self._cell or []).strip()
            self._fact = self._cell = None
        elif tag == "section":
            self.series = None
