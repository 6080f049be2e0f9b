"""Hostile GitLab data renders as inert, bounded text (the browser test proves nothing runs)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from render_html import parse
from render_support import BIDI, BIG, XSS

BIDI_AND_CONTROLS = set(BIDI) | {
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u2067",
    "\u2068",
    "\u0000",
}


def test_hostile_pages_stay_inert(hostile_dir: Path) -> None:
    pages = sorted(hostile_dir.rglob("*.html"))
    assert len(pages) > 10
    for path in pages:
        raw = path.read_text(encoding="utf-8")
        page = parse(raw)
        assert not BIDI_AND_CONTROLS & set(raw), path
        assert BIG not in raw, f"{path}: 10 KB string not shortened"
        scripts = [s for s in page.find("script") if s.get("type") != "application/json"]
        assert all((s.get("src") or "").startswith(("assets/", "../assets/")) for s in scripts)
        assert not [s for s in page.scripts if s.strip()], path
        for block in page.data_blocks:  # the projects page's columns: JSON, and nothing else
            assert "<" not in block and json.loads(block), path
        for link in page.links():
            assert not link.strip().lower().startswith(("javascript:", "data:", "vbscript:")), link
        assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs), path
        assert "<script>window.__pwned" not in raw, path
    project = (hostile_dir / "p" / "100.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in project
    assert XSS[:8] in parse(project).all_text


def test_hostile_strings_are_text_in_feeds(hostile_dir: Path) -> None:
    health = (hostile_dir / "health.json").read_text(encoding="utf-8")
    assert "<script>" in health  # JSON carries the text as data; it is never HTML
    published = gzip.decompress((hostile_dir / "snapshot.json.gz").read_bytes())
    assert b"<script>" in published
