"""`gldash serve`: preview the rendered site on 127.0.0.1, as GitLab Pages would serve it."""

from __future__ import annotations

import argparse
import logging
import os
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from gldash_static.config import SiteSettings
from gldash_static.errors import UsageError

NAME = "serve"
HELP = "serve the rendered site on 127.0.0.1 for a local preview"

log = logging.getLogger("gldash")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".gz": "application/gzip",
}


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files with explicit types, precompressed .gz copies and the site's 404 page."""

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        """Content type by suffix, with charsets, independent of the system's mime tables."""
        return CONTENT_TYPES.get(Path(path).suffix.lower()) or super().guess_type(path)

    def send_head(self) -> Any:
        """Prefer the .gz sibling when the client accepts gzip, like GitLab Pages does."""
        path = self.translate_path(self.path)
        gz = path + ".gz"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if accepts and os.path.isfile(path) and os.path.isfile(gz):
            handle = open(gz, "rb")  # noqa: SIM115 - the base class closes it after copying
            size = os.fstat(handle.fileno()).st_size
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(size))
            self.send_header("Vary", "Accept-Encoding")
            self.end_headers()
            return handle
        return super().send_head()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer a missing file with the site's own 404.html when there is one."""
        page = Path(str(self.directory)) / "404.html"
        if code != HTTPStatus.NOT_FOUND or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(code)
        self.send_header("Content-Type", CONTENT_TYPES[".html"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Log requests through gldash's logger at debug level instead of stderr."""
        log.debug("serve: " + format, *args)


def make_server(directory: Path, port: int = 8000, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server for `directory` on loopback (port 0 picks a free port)."""
    if not directory.is_dir():
        raise UsageError(f"{directory}: no such folder; run `gldash render` first")
    handler = partial(SiteHandler, directory=str(directory))
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `gldash serve`."""
    parser.add_argument(
        "--dir", type=Path, default=SiteSettings().output_dir, help="folder to serve"
    )
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (0: any free)")


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    server = make_server(args.dir, args.port)
    host, port = server.server_address[:2]
    print(f"Serving {args.dir} at http://{host!s}:{port}/ (Ctrl-C to stop)", flush=True)
    serve_until_interrupted(server)
    return 0


def serve_until_interrupted(server: ThreadingHTTPServer) -> None:
    """Serve until Ctrl-C, then release the port."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
