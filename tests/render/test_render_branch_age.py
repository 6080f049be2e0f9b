"""The project page says how old its branch data is: a refresh may keep branches it read before."""

from __future__ import annotations

from pathlib import Path

from factories import make_snapshot
from render_html import parse

from gldash_static.config.settings import SiteSettings
from gldash_static.render import render_site


def test_project_page_says_when_its_branches_were_read(tmp_path: Path) -> None:
    snap = make_snapshot(projects=3)
    read, unknown = snap["sources"][0]["projects"][:2]
    read["branches_fetched_at"] = "2026-11-27T20:15:00.000Z"
    unknown["branches_fetched_at"] = None  # e.g. migrated from version 1: not known
    render_site(snap, tmp_path / "o", SiteSettings(timezone="Asia/Tokyo"))
    page = parse(tmp_path / "o" / "p" / f"{read['id']}.html")
    assert "Branches as of 2026-11-28 05:15." in page.all_text
    assert "2026-11-27T20:15:00Z" in [t["datetime"] for t in page.find("time")]
    assert "Branches as of" not in parse(tmp_path / "o" / "p" / f"{unknown['id']}.html").all_text
