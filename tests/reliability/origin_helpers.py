"""A recording HTTP server on another loopback address: 'another origin' for token tests.

Linux routes all of 127.0.0.0/8 to the loopback interface, so a server bound on 127.0.0.2
is a different host from the simulator on 127.0.0.1 without leaving the machine.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from gldash_static.simulator import Reply

OTHER_HOST = "127.0.0.2"
CREDENTIAL_HEADERS = ("private-token", "job-token", "authorization", "cookie")


@dataclass(frozen=True)
class Seen:
    """One request the recorder received."""

    method: str
    target: str  # path and query, as sent
    headers: dict[str, str]  # lowercased names
    body: bytes

    def carries(self, secrets: tuple[str, ...]) -> list[str]:
        """What in this request could authenticate it: credential headers or a secret."""
        found = [f"header {name}" for name in CREDENTIAL_HEADERS if name in self.headers]
        raw = "\n".join([self.method, self.target, *map(": ".join, self.headers.items())])
        blob = raw.encode("utf-8", "replace") + b"\n" + self.body
        found += [f"secret {s[:6]}..." for s in secrets if s and s.encode() in blob]
        return found


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    recorder: Recorder


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        recorder = self.server.recorder
        with recorder.lock:
            recorder.seen.append(Seen(self.command, self.path, headers, body))
        data = recorder.files.get(self.path.split("?", 1)[0])
        ctype = "application/octet-stream"
        if data is None:
            data, ctype = b"[]", "application/json"  # an empty page: a listing would end here
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve


class Recorder:
    """Records every request on 127.0.0.2; serves `files` by path, `[]` for anything else."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[Seen] = []
        self.files: dict[str, bytes] = {}
        self._server = _Server((OTHER_HOST, 0), _Handler)
        self._server.recorder = self
        # shutdown() waits for the loop's next poll: 0.5 s by default, per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.2:40123."""
        return f"http://{OTHER_HOST}:{self._server.server_address[1]}"

    def requests(self) -> list[Seen]:
        """Every request so far."""
        with self.lock:
            return list(self.seen)

    def leaks(self, *secrets: str) -> list[str]:
        """Each request that carried a credential header or one of `secrets`."""
        return [
            f"{seen.method} {seen.target.split('?')[0]}: {', '.join(found)}"
            for seen in self.requests()
            if (found := seen.carries(secrets))
        ]

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def redirect(location: str, status: int = 302) -> Reply:
    """A simulator hook answer that sends the client to `location`."""
    return Reply(b"", status=status, headers={"Location": location}, content_type="text/html")
