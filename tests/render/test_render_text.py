"""Untrusted text, URL and time helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from gldash_static.render import text


def test_clean_removes_controls_and_bidi_and_collapses_space() -> None:
    assert text.clean("a\u202eb\u2066c\u0000d\n\te") == "abcd e"


def test_clean_bounds_length_with_ellipsis() -> None:
    out = text.clean("x" * 10_000, limit=50)
    assert len(out) == 50
    assert out.endswith("…")


def test_clean_none_is_empty() -> None:
    assert text.clean(None) == ""


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "//evil.example.com/x",
        "/relative",
        "https://",
        "https://ex ample.com",
        "https://example.com/\u202e",
        None,
        42,
    ],
)
def test_safe_url_rejects(url: object) -> None:
    assert text.safe_url(url) is None


@pytest.mark.parametrize("url", ["https://gitlab.example.com/a/b", "http://localhost:8080/x?y=1"])
def test_safe_url_accepts_http(url: str) -> None:
    assert text.safe_url(url) == url


def test_safe_url_refuses_every_white_space_character_and_a_backslash_anywhere() -> None:
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert len(spaces) > 20  # ASCII, Latin-1's NBSP, Unicode's spaces and separators
    for ch in [*spaces, "\\"]:
        assert text.safe_url(f"https://gitlab.example.com/a{ch}b") is None, hex(ord(ch))
        assert text.safe_url(f"https://gitlab.example.com/ab{ch}") is None, hex(ord(ch))


def test_slug_is_file_name_safe() -> None:
    assert text.slug("../../Etc Passwd!") == "etc-passwd"
    assert text.slug("///") == "page"


def test_parse_time_accepts_gitlab_formats_and_rejects_junk() -> None:
    expected = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
    assert text.parse_time("2026-11-28T06:00:00.000Z") == expected
    assert text.parse_time("2026-11-28T07:00:00+01:00") == expected
    assert text.parse_time("yesterday") is None
    assert text.parse_time(None) is None


def test_local_time_uses_configured_zone() -> None:
    moment = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert text.local_time(moment, ZoneInfo("Europe/Berlin")) == "2026-07-01 14:00"
    assert text.zone_name(moment, ZoneInfo("Europe/Berlin")) == "CEST"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "–"), (0.4, "0s"), (42, "42s"), (252, "4m 12s"), (7500, "2h 05m")],
)
def test_duration(seconds: float | None, shown: str) -> None:
    assert text.duration(seconds) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"), [(None, "–"), (59, "0 min"), (3600 * 5, "5 h"), (86400 * 12, "12 d")]
)
def test_age(seconds: float | None, shown: str) -> None:
    assert text.age(seconds) == shown


def test_percent() -> None:
    assert text.percent(None) == "–"
    assert text.percent(0.875) == "88%"
