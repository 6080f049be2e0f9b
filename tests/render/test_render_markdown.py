"""Notes pages: Markdown rendered and sanitised."""

from __future__ import annotations

from pathlib import Path

import pytest

from gldash_static.errors import RenderError
from gldash_static.render.markdown import load_notes, to_html


def test_markdown_renders_tables_and_code() -> None:
    html = str(to_html("| a |\n|---|\n| 1 |\n\n```\ncode\n```\n"))
    assert "<table>" in html and "<code>" in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        '<img src="x" onerror="alert(1)">',
        '<p style="color:red">x</p>',
        "<iframe src=https://example.com></iframe>",
        "![x](data:text/html;base64,PHNjcmlwdD4=)",
        '<svg onload="alert(1)"></svg>',
    ],
)
def test_markdown_output_is_inert(source: str) -> None:
    html = str(to_html(source)).lower()
    for bad in (
        "<script",
        "javascript:",
        "onerror",
        "onload",
        "style=",
        "<iframe",
        "data:",
        "<svg",
    ):
        assert bad not in html


def test_links_get_rel() -> None:
    assert 'rel="noopener noreferrer"' in str(to_html("[x](https://example.com)"))


def test_notes_have_unique_safe_slugs_and_titles(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    first = tmp_path / "Run Book.md"
    second = tmp_path / "a" / "run-book.md"
    first.write_text("# On call\n\ntext\n", encoding="utf-8")
    second.write_text("no heading\n", encoding="utf-8")
    notes = load_notes([first, second])
    assert [n.page for n in notes] == ["notes-run-book.html", "notes-run-book-2.html"]
    assert [n.title for n in notes] == ["On call", "run-book"]


def test_missing_note_is_a_render_error(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="cannot read notes page"):
        load_notes([tmp_path / "missing.md"])
