"""Progress output: a bar on a terminal, collapsible sections and periodic counts in GitLab CI."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

Counter = Callable[[], int]


class Progress:
    """Counts finished projects and reports them the way the environment shows best."""

    def __init__(self, stream: TextIO | None = None, every_s: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.ci = os.environ.get("CI", "").lower() == "true"
        self.tty = not self.ci and self.stream.isatty()
        self.every_s = every_s
        self._lock = threading.Lock()
        self.total = 0
        self.done = 0
        self._calls: Counter = lambda: 0
        self._retries: Counter = lambda: 0
        self._started = time.monotonic()
        self._last = 0.0
        self._section = ""

    def section(self, name: str, title: str) -> None:
        """Start a (collapsible in GitLab CI) log section."""
        self._section = name
        if self.ci:
            stamp = int(time.time())
            self.stream.write(
                f"\x1b[0Ksection_start:{stamp}:{name}[collapsed=true]\r\x1b[0K{title}\n"
            )
        else:
            self.stream.write(f"{title}\n")
        self.stream.flush()

    def end_section(self) -> None:
        """Close the current log section."""
        if self.ci and self._section:
            self.stream.write(f"\x1b[0Ksection_end:{int(time.time())}:{self._section}\r\x1b[0K\n")
            self.stream.flush()
        self._section = ""

    def start(self, total: int, calls: Counter, retries: Counter) -> None:
        """Begin counting `total` projects; `calls` and `retries` read live figures."""
        with self._lock:
            self.total, self.done = total, 0
            self._calls, self._retries = calls, retries
            self._started = time.monotonic()
        self._emit(force=True)

    def advance(self, count: int = 1) -> None:
        """`count` more projects are finished."""
        with self._lock:
            self.done += count
        self._emit(force=self.done >= self.total)

    def _emit(self, force: bool = False) -> None:
        now = time.monotonic()
        interval = 0.2 if self.tty else self.every_s
        if not force and now - self._last < interval:
            return
        self._last = now
        elapsed = now - self._started
        rate = self.done / elapsed if elapsed > 0 and self.done else 0.0
        eta = (self.total - self.done) / rate if rate else 0.0
        counts = (
            f"{self.done}/{self.total} projects, {self._calls()} API calls, "
            f"{self._retries()} retries"
        )
        if self.tty:
            width = 24
            filled = int(width * self.done / self.total) if self.total else width
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r[{bar}] {counts}, ETA {eta:4.0f} s ")
            if self.done >= self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"fetch: {counts}, {elapsed:.0f} s elapsed\n")
        self.stream.flush()

    def line(self, text: str) -> None:
        """A line of its own (the final summary)."""
        with self._lock:
            if self.tty:
                self.stream.write("\r\x1b[K")
            self.stream.write(text + "\n")
            self.stream.flush()

    def warning(self, text: str) -> None:
        """Something was lost or kept stale: the one place that writes the "warning:" prefix."""
        self.line(f"warning: {text}")

    def note(self, text: str) -> None:
        """Something worth knowing that lost nothing (a slower path, a feature left out)."""
        self.line(f"note: {text}")


class Quiet(Progress):
    """Progress that prints only warnings and the summary (tests, --quiet)."""

    def _emit(self, force: bool = False) -> None:
        return

    def section(self, name: str, title: str) -> None:
        return

    def end_section(self) -> None:
        return
