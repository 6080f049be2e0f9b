"""The HTTP server (standard library only) and the `Simulator` API that tests drive."""

from __future__ import annotations

import email.utils
import json
import socket
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from gldash_static.simulator import roles
from gldash_static.simulator.api_ci import CiRoutes
from gldash_static.simulator.api_environments import EnvironmentRoutes
from gldash_static.simulator.api_graphql import (
    GRAPHQL_TEMPLATE,
    INVALID_TOKEN,
    GraphqlLimits,
    GraphqlRoutes,
)
from gldash_static.simulator.api_projects import ProjectRoutes
from gldash_static.simulator.api_reports import ReportRoutes
from gldash_static.simulator.clock import SimClock
from gldash_static.simulator.errors import ApiError
from gldash_static.simulator.faults import Decision, FaultInjector, Faults
from gldash_static.simulator.org import OrgSpec
from gldash_static.simulator.pagination import MAX_PER_PAGE, TOTAL_LIMIT
from gldash_static.simulator.ratelimit import (
    APP_LIMIT_BODY,
    AppLimits,
    RateLimiter,
    header_mode,
)
from gldash_static.simulator.routing import Context, Reply, Request, Router
from gldash_static.simulator.state import OrgState

API_PREFIX = "/api/v4"
COUNTERS_PATH = "/-/simulator/counters"
UNMATCHED = "(unmatched)"
RESET = 0  # the status counted for connections closed without a response

# (route template, request path, query pairs); called before the request is answered. A hook
# that returns a Reply answers the request with it instead.
RequestHook = Callable[[str, str, list[tuple[str, str]]], Reply | None]


def _json(body: Any) -> bytes:
    # Compact like GitLab; raw UTF-8 so non-ASCII names arrive as they are. Text that cannot
    # be UTF-8 (lone surrogates, in hostile-data tests) goes out as valid \u escapes.
    try:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body, separators=(",", ":")).encode("ascii")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    sim: Simulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client drops its connection; report anything else."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as python-gitlab's requests.Session expects
    server: _Server
    server_version = "nginx"
    sys_version = ""

    def setup(self) -> None:
        """Set up the connection without Nagle's algorithm."""
        super().setup()
        # Headers and body are separate writes; with Nagle plus delayed ACKs every
        # keep-alive request would wait ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    date_override: str | None = None  # a Faults(date=...) answer's Date header

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header follows the simulated clock, as a real server's follows its own."""
        if self.date_override is not None:
            return self.date_override
        return email.utils.format_datetime(self.server.sim.clock.now, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests and benchmarks make many thousands of requests."""

    def do_GET(self) -> None:
        """Serve a GET."""
        self.server.sim._handle(self)

    def do_POST(self) -> None:
        """Serve a POST."""
        self.server.sim._handle(self)

    def do_PUT(self) -> None:
        """Serve a PUT."""
        self.server.sim._handle(self)

    def do_DELETE(self) -> None:
        """Serve a DELETE."""
        self.server.sim._handle(self)


class Simulator:
    """A seeded GitLab REST API on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(
        self,
        org: OrgSpec | None = None,
        *,
        latency_ms: float = 0.0,
        rate_limit_per_minute: int | None = None,
        rate_limit_window_s: float = 60.0,
        rate_limit_headers: str = "self-managed",
        app_limits: dict[str, int] | None = None,
        faults: Faults | None = None,
        port: int = 0,
        total_limit: int = TOTAL_LIMIT,
        external_url: str | None = None,
        max_per_page: int = MAX_PER_PAGE,
    ) -> None:
        self.spec = org or OrgSpec()
        self.state = OrgState(self.spec)
        self.clock = SimClock(self.spec.now)
        self.clock.on_advance(self.state.advance)
        self.latency_ms = latency_ms
        self.port = port
        # GitLab writes its configured external URL into Link headers, whatever URL the
        # client used; None: the URL the simulator serves on.
        self.external_url = external_url.rstrip("/") if external_url else None
        self.max_per_page = max_per_page
        self.rate_limit_headers = header_mode(rate_limit_headers)
        self._limiter = (
            RateLimiter(rate_limit_per_minute, rate_limit_window_s, headers=rate_limit_headers)
            if rate_limit_per_minute
            else None
        )
        # GitLab's application limits count per minute; the same window option scales them.
        self._app_limits = AppLimits(app_limits or {}, rate_limit_window_s)
        self._faults = FaultInjector(faults or Faults())
        self._counters: Counter[tuple[str, int]] = Counter()
        self._token_uses: Counter[str] = Counter()
        self._hooks: list[RequestHook] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.router = Router()
        ctx = self._ctx = Context(self.state, total_limit)
        ProjectRoutes(ctx).register(self.router)
        CiRoutes(ctx).register(self.router)
        ReportRoutes(ctx).register(self.router)
        EnvironmentRoutes(ctx).register(self.router)
        self.graphql_limits = GraphqlLimits()
        GraphqlRoutes(ctx, self.graphql_limits).register(self.router)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind 127.0.0.1 and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._stop.clear()
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.sim = self
        self._server = server
        self.port = server.server_address[1]
        if self.spec.web_url is None:
            self._ctx.ser.set_web_url(self.url)
        self._thread = threading.Thread(
            target=server.serve_forever,
            name="gitlab-sim",
            kwargs={"poll_interval": 0.1},
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; the port refuses connections afterwards."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stop.set()  # wakes stalled requests
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what tests use ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL for python-gitlab, e.g. `http://127.0.0.1:8080` (API under /api/v4)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        """The administrator's token: sees everything, private projects included."""
        return self.state.token_of("root")

    def user_token(self, username: str) -> str:
        """The token of another user, who sees public, internal and their own private things."""
        return self.state.token_of(username)

    def token_for(self, role: str, group_path: str | None = None, bot: bool = False) -> str:
        """A token of a user with `role` in a group (None: all top-level groups); see roles.py."""
        return roles.token_for(self.state, role, group_path, bot)

    @property
    def counters(self) -> dict[tuple[str, int], int]:
        """Requests served by (route template, status); status 0 means a reset connection."""
        with self._lock:
            return dict(self._counters)

    def reset_counters(self) -> None:
        """Zero the request counters."""
        with self._lock:
            self._counters.clear()

    def set_faults(self, faults: Faults) -> None:
        """Change the injected faults while running."""
        self._faults.set(faults)
        with self._lock:
            self._token_uses.clear()

    def set_rate_limit(
        self, per_minute: int | None, window_s: float = 60.0, headers: str | None = None
    ) -> None:
        """Change the per-token rate limit (None: no limit) and its header mode while running."""
        if headers is not None:
            self.rate_limit_headers = header_mode(headers)
        mode = self.rate_limit_headers
        self._limiter = RateLimiter(per_minute, window_s, headers=mode) if per_minute else None

    def set_app_limits(self, per_minute: dict[str, int] | None, window_s: float = 60.0) -> None:
        """Change the application limits (route template -> requests a window) while running."""
        self._app_limits = AppLimits(per_minute or {}, window_s)

    @property
    def app_limited(self) -> int:
        """429s answered by the current application limits."""
        return self._app_limits.refused

    def on_request(self, hook: RequestHook | None) -> None:
        """Call `hook(template, path, query)` before answering each API request (None: stop).

        Tests use it to change the state at a precise moment, e.g. delete a project while a
        listing is between two pages. The hook runs on the server's request thread.
        """
        with self._lock:
            self._hooks = [hook] if hook is not None else []

    def delete_project(self, project_id: int) -> None:
        """Delete a project (its URLs then return 404)."""
        self.state.delete_project(project_id)

    def rename_project(self, project_id: int, new_path: str, new_name: str | None = None) -> None:
        """Rename a project's path (and name); the old path still resolves."""
        self.state.rename_project(project_id, new_path, new_name)

    def revoke_token(self, token: str) -> None:
        """Revoke a token: it gets 401 from now on."""
        self.state.revoke_token(token)

    def set_feature_access(
        self, project_id: int, public_jobs: bool | None = None, **levels: str
    ) -> None:
        """Set a project's feature access levels, e.g. repository="private" (members only)."""
        self.state.set_feature_access(project_id, public_jobs, **levels)

    def create_trigger(self, project_id: int) -> str:
        """A pipeline trigger token for the project."""
        return self.state.create_trigger(project_id)

    def put_artifact(self, project_id: int, ref: str, job_name: str, data: bytes) -> None:
        """Store the artifacts zip the latest `job_name` job on `ref` would have produced."""
        with self.state.changing():
            self.state.artifacts[(project_id, ref, job_name)] = bytes(data)

    # --- request handling --------------------------------------------------------------------

    def _count(self, template: str, status: int) -> None:
        with self._lock:
            self._counters[(template, status)] += 1

    def _handle(self, h: _Handler) -> None:
        split = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw_body = h.rfile.read(length) if length else b""
        if split.path == COUNTERS_PATH:
            rows = [
                {"route": k, "status": s, "count": n} for (k, s), n in sorted(self.counters.items())
            ]
            self._send(h, 200, _json({"counters": rows}), {})
            return
        path = split.path[len(API_PREFIX) :] if split.path.startswith(API_PREFIX) else None
        if split.path == GRAPHQL_TEMPLATE:
            path = GRAPHQL_TEMPLATE  # REST paths never start with /api/, so no clash
        found = self.router.match(h.command, path) if path is not None else None
        if found is None:
            self._count(f"{h.command} {UNMATCHED}", 404)
            self._send(h, 404, _json({"error": "404 Not Found"}), {})
            return
        route, params = found
        template = route.key
        with self._lock:
            hooks = list(self._hooks)
        for hook in hooks:
            answer = hook(template, split.path, parse_qsl(split.query, keep_blank_values=True))
            if answer is not None:
                self._answer(h, template, answer)
                return
        token = h.headers.get("PRIVATE-TOKEN") or ""
        auth = h.headers.get("Authorization") or ""
        if not token and auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        user = self.state.user_by_token(token) if token else None
        headers: dict[str, str] = {}
        if token and user is not None:
            with self._lock:
                self._token_uses[token] += 1
                uses = self._token_uses[token]
            limit = self._faults.revoke_after()
            if limit is not None and uses > limit:
                self.state.revoke_token(token)
                user = None
        if self._limiter is not None:
            allowed, headers = self._limiter.hit(token if user else h.client_address[0])
            if not allowed:
                self._count(template, 429)
                self._send(h, 429, b"Retry later", headers, "text/plain")
                return
        if user is None and (token or not route.anonymous):
            self._count(template, 401)
            # GraphQL answers a bad token in its own error shape (GraphqlController).
            denied = INVALID_TOKEN if path == GRAPHQL_TEMPLATE else {"message": "401 Unauthorized"}
            self._send(h, 401, _json(denied), headers)
            return
        if not self._app_limits.allows(template, token if user else h.client_address[0]):
            # check_rate_limit! answers from the endpoint: no Retry-After, and GitLab.com's
            # header middleware skips every 429, so no RateLimit-* either.
            self._count(template, 429)
            self._send(h, 429, _json(APP_LIMIT_BODY), {})
            return
        decision = self._faults.decide(template, split.path)
        delay = decision.delay_s + self.latency_ms / 1000
        if delay > 0:
            time.sleep(delay)
        if decision.reset:
            self._count(template, RESET)
            self._reset(h)
            return
        if decision.stall_s and self._stop.wait(decision.stall_s):
            return  # shutting down
        if decision.error_status is not None:
            status = decision.error_status
            self._count(template, status)
            self._send(h, status, _json({"message": f"{status} Simulated failure"}), headers)
            return
        req = Request(
            h.command,
            path or "",
            params,
            _clamp_per_page(parse_qsl(split.query, keep_blank_values=True), self.max_per_page),
            user,
            self._parse_body(h, raw_body),
            (self.external_url or self.url) + split.path,
        )
        try:
            # Reads side by side, as GitLab's workers serve them; a change alone.
            reads = h.command == "GET" or path == GRAPHQL_TEMPLATE
            access = self.state.access
            with access.read() if reads else access.write():
                reply = route.handler(req)
                body = reply.body if isinstance(reply.body, bytes) else _json(reply.body)
        except ApiError as exc:
            reply, body = Reply(exc.body, status=exc.status), _json(exc.body)
        headers.update(reply.headers)
        self._count(template, reply.status)
        self._send(h, reply.status, body, headers, reply.content_type, decision)

    def _answer(self, h: _Handler, template: str, reply: Reply) -> None:
        body = reply.body if isinstance(reply.body, bytes) else _json(reply.body)
        self._count(template, reply.status)
        self._send(h, reply.status, body, dict(reply.headers), reply.content_type)

    @staticmethod
    def _parse_body(h: _Handler, raw: bytes) -> dict[str, Any]:
        if not raw:
            return {}
        ctype = h.headers.get("Content-Type") or ""
        try:
            if "json" in ctype:
                data = json.loads(raw)
                return data if isinstance(data, dict) else {}
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except (ValueError, UnicodeDecodeError):
            return {}

    def _send(
        self,
        h: _Handler,
        status: int,
        body: bytes,
        headers: dict[str, str],
        content_type: str = "application/json",
        decision: Decision | None = None,
    ) -> None:
        length = len(body)
        if decision is not None and decision.truncate is not None:
            cut = max(1, int(len(body) * decision.truncate_fraction))
            body = body[:cut]
            if decision.truncate == "short":
                length = cut  # well-formed HTTP, broken JSON
            h.close_connection = True
        h.date_override = decision.date if decision is not None else None
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(length))
        h.send_header("Cache-Control", "max-age=0, private, must-revalidate")
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        try:
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True

    @staticmethod
    def _reset(h: _Handler) -> None:
        # SO_LINGER 0 makes close() send a TCP RST: the client sees "connection reset".
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.close_connection = True
        h.connection.close()


def _clamp_per_page(query: list[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    """`per_page` at most `limit` (a lowered limit makes small organisations paginate)."""
    if limit >= MAX_PER_PAGE:
        return query
    rest = [(k, v) for k, v in query if k != "per_page"]
    asked = [v for k, v in query if k == "per_page"]
    size = int(asked[-1]) if asked and asked[-1].isdigit() else limit
    return [*rest, ("per_page", str(max(1, min(size, limit))))]
