"""The one place that builds HTTP clients: credentials go only to the origin they belong to.

requests strips only `Authorization` when a redirect changes host, and python-gitlab follows
whatever `Link` header GitLab sends; both would carry `PRIVATE-TOKEN` to another server. Every
`requests.Session` and python-gitlab client gldash uses comes from here, so the rule holds
for every command.
"""

from __future__ import annotations

from typing import Any

import gitlab
import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from gldash_static.gitlab.origin import origin, origin_or_none

# Not Proxy-Authorization: that one is for the proxy, which every hop goes through anyway.
CREDENTIAL_HEADERS = ("PRIVATE-TOKEN", "JOB-TOKEN", "Authorization", "Cookie")
_SAFE_METHODS = ("GET", "HEAD")


class ForeignOriginError(requests.RequestException):
    """A request or redirect would have left the instance's origin; nothing was sent there."""


def strip_credentials(headers: CaseInsensitiveDict[str]) -> None:
    """Remove every header that could authenticate the request."""
    for name in CREDENTIAL_HEADERS:
        headers.pop(name, None)


def _where(url: str | None) -> str:
    # The origin only: a redirect's path and query may hold signatures.
    return origin_or_none(url or "") or "a URL that is not http(s)"


class OriginSession(requests.Session):
    """A session bound to one instance's origin; nothing leaves it with credentials.

    API sessions refuse any request or redirect to another origin with a one-line error.
    Download sessions (`downloads=True`) follow a GET redirected elsewhere without any
    credentials: GitLab with object storage answers artifact downloads with a signed URL
    that needs none.
    """

    def __init__(self, url: str, *, downloads: bool = False) -> None:
        super().__init__()
        self.home = origin(url)
        self.downloads = downloads
        self._environment: dict[tuple[Any, ...], dict[str, Any]] = {}

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        """requests' environment settings (proxies, NO_PROXY, CA bundle), read once per origin.

        requests reads every proxy variable for each request, a tenth of a fetch's CPU; the
        answer depends on the URL only through its origin, and the environment stays put.
        """
        if proxies:  # explicit proxies: requests' own rules, uncached
            return dict(super().merge_environment_settings(url, proxies, stream, verify, cert))
        text = url.decode() if isinstance(url, bytes) else url or ""
        key = (origin_or_none(text), stream, verify, cert)
        found = self._environment.get(key)
        if found is None:
            found = dict(super().merge_environment_settings(url, proxies, stream, verify, cert))
            self._environment[key] = found
        return dict(found)  # requests may change what it gets

    def _follows_elsewhere(self, method: str | None) -> bool:
        # Only bodiless requests: a 307/308 would resend a POST body (a trigger token).
        return self.downloads and (method or "GET").upper() in _SAFE_METHODS

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        """Called by requests for each redirect hop, before it is sent."""
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]
        target = origin_or_none(prepared_request.url or "")
        if target == self.home:
            return
        if not self._follows_elsewhere(prepared_request.method):
            raise ForeignOriginError(
                f"GitLab redirected to another origin, {_where(prepared_request.url)}; not "
                f"followed, the token is only for {self.home}"
            )
        strip_credentials(prepared_request.headers)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send `request` if it stays at home; elsewhere only without credentials, or refuse."""
        if origin_or_none(request.url or "") != self.home:
            if not self._follows_elsewhere(request.method):
                raise ForeignOriginError(
                    f"refusing a request to {_where(request.url)}: this client is only for "
                    f"{self.home}"
                )
            strip_credentials(request.headers)
        return super().send(request, **kwargs)


def session(
    url: str, *, downloads: bool = False, adapter: HTTPAdapter | None = None
) -> OriginSession:
    """A session for the instance at `url`, optionally sending through `adapter`."""
    made = OriginSession(url, downloads=downloads)
    if adapter is not None:
        made.mount("http://", adapter)
        made.mount("https://", adapter)
    return made


def gitlab_client(
    url: str,
    *,
    token: str | None = None,
    timeout: float,
    http: OriginSession | None = None,
    downloads: bool = False,
    per_page: int | None = None,
    retry_transient_errors: bool = False,
) -> gitlab.Gitlab:
    """A python-gitlab client whose requests stay at `url`'s origin (see OriginSession).

    `keep_base_url`: GitLab's `Link` headers name its external URL, which may differ from the
    URL this runner uses; pages are read from our own base URL instead. ValueError if `url`
    is not an http(s) URL with a host.
    """
    bound = http if http is not None else session(url, downloads=downloads)
    if bound.home != origin(url):
        raise ValueError("the session belongs to another origin")
    return gitlab.Gitlab(
        url,
        private_token=token or None,
        timeout=timeout,
        per_page=per_page,
        retry_transient_errors=retry_transient_errors,
        session=bound,
        keep_base_url=True,
    )
