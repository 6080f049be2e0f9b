"""Proxy and CA-bundle settings from the environment still apply, read once per origin."""

from __future__ import annotations

from typing import Any

import pytest

from gldash_static.gitlab import http


def settings(session: http.OriginSession, url: str) -> dict[str, Any]:
    """What requests would send `url` with, as it asks the session for each request."""
    return dict(session.merge_environment_settings(url, {}, None, None, None))


def test_proxy_variables_apply_and_no_proxy_bypasses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "direct.example")
    proxied = http.session("https://gitlab.example.com")
    direct = http.session("https://direct.example")
    for _ in range(2):  # the second answer comes from the cache and must be the same
        proxies = settings(proxied, "https://gitlab.example.com/api/v4/projects")["proxies"]
        assert proxies["https"] == "http://proxy.example:3128"
        assert "https" not in settings(direct, "https://direct.example/api/v4/projects")["proxies"]


def test_ca_bundle_variable_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/company-ca.pem")
    session = http.session("https://gitlab.example.com")
    assert settings(session, "https://gitlab.example.com/api/v4/version")["verify"] == (
        "/etc/ssl/company-ca.pem"
    )


def test_a_download_elsewhere_gets_its_own_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # A download session follows object storage's signed URL: another origin, other rules.
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "storage.example")
    session = http.session("https://gitlab.example.com", downloads=True)
    assert "https" in settings(session, "https://gitlab.example.com/api/v4/x")["proxies"]
    assert "https" not in settings(session, "https://storage.example/bucket/a.zip")["proxies"]


def test_a_changed_answer_does_not_leak_into_the_next_request() -> None:
    session = http.session("https://gitlab.example.com")
    first = settings(session, "https://gitlab.example.com/a")
    first["verify"] = "/tampered"
    assert settings(session, "https://gitlab.example.com/b")["verify"] != "/tampered"
