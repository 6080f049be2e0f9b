"""The projects page's embedded columns: one value per project, safe inside a script block."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from factories import make_snapshot

from gldash_static.render import text, views
from gldash_static.render.charts import spark_svg, sparkline
from gldash_static.render.project_index import index_script_json, project_index
from gldash_static.render.records import SiteView

BERLIN = ZoneInfo("Europe/Berlin")


def _view(projects: int = 12) -> SiteView:
    snapshot = make_snapshot(projects=projects, seed=3)
    raw = snapshot["sources"][0]["projects"]
    raw[0]["topics"] = ["</script><script>alert(1)</script>", "<!--"]
    raw[1]["pipelines"] = []
    timed = next(p for p in raw[2:] if len(p["pipelines"]) > 2)
    for n, pipeline in enumerate(timed["pipelines"]):  # GitLab data may hold anything
        pipeline["duration"] = -1 - 9 * n
    return views.build(snapshot, 30)


def test_every_column_has_one_value_per_project_in_page_order() -> None:
    view = _view()
    cols = project_index(view.projects, BERLIN)["cols"]
    assert isinstance(cols, dict)
    assert {len(values) for values in cols.values()} == {len(view.projects)}
    assert cols["p"] == [p.path for p in view.projects]
    assert cols["k"] == [int(p.key) for p in view.projects]


def test_times_are_utc_minutes_with_the_zone_offset_and_absent_without_a_pipeline() -> None:
    view = _view()
    cols = project_index(view.projects, BERLIN)["cols"]
    assert isinstance(cols, dict)
    for p, minutes, offset, seconds in zip(
        view.projects, cols["t"], cols["o"], cols["d"], strict=True
    ):
        if p.last is None:
            assert (minutes, offset, seconds) == (None, None, None)
            continue
        assert p.last.created is not None
        assert minutes == int(p.last.created.timestamp() // 60)
        assert offset == 60  # the factory's November is CET
    assert None in cols["t"]


def test_spark_codes_draw_the_sparkline_the_table_shows() -> None:
    view = _view()
    cols = project_index(view.projects, BERLIN)["cols"]
    assert isinstance(cols, dict)
    for p, code in zip(view.projects, cols["r"], strict=True):
        assert spark_svg(str(code)) == sparkline(p.pipelines)
    assert any("f" in str(code) for code in cols["r"])


def test_hostile_text_cannot_end_the_script_block_and_comes_back_intact() -> None:
    view = _view()
    text = str(index_script_json(view.projects, BERLIN))
    assert "<" not in text
    topics = json.loads(text)["cols"]["g"]
    assert ["<!--", "</script><script>alert(1)</script>"] in topics  # sorted, as shown


def test_local_minutes_match_the_table_for_offsets_with_seconds() -> None:
    """Africa/Monrovia was UTC-0:44:30 until 1972: minutes and offset are floored together."""
    snapshot = make_snapshot(projects=3, seed=3)
    project = snapshot["sources"][0]["projects"][0]
    for pipeline in project["pipelines"]:
        pipeline["created_at"] = "1971-06-01T12:00:30Z"
    view = views.build(snapshot, 30)
    monrovia = ZoneInfo("Africa/Monrovia")
    cols = project_index(view.projects, monrovia)["cols"]
    assert isinstance(cols, dict)
    p = next(p for p in view.projects if p.id == project["id"])
    i = view.projects.index(p)
    assert p.last is not None and p.last.created is not None
    shown = text.local_time(p.last.created, monrovia)
    minute, offset = cols["t"][i], cols["o"][i]
    assert isinstance(minute, int) and isinstance(offset, int)
    assert datetime.fromtimestamp((minute + offset) * 60, UTC).strftime("%Y-%m-%d %H:%M") == shown
