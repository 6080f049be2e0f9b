"""Many readers or one writer: how GitLab serves requests side by side.

GitLab answers concurrent requests in parallel (many Puma workers); a simulator that held one
lock per request made a GraphQL query of 10,000 job nodes stall every REST request behind it
for seconds, which no client of GitLab sees. Reads (GET, GraphQL queries) share the state;
changes (POST/PUT/DELETE, the clock moving, a test pushing) have it alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ReadWriteLock:
    """Shared reads, exclusive writes; a writer may nest writes and reads, waiting writers
    go first (a steady stream of reads cannot starve the clock)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers: dict[int, int] = {}  # thread id -> nested reads
        self._writer: int | None = None
        self._depth = 0
        self._waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        """Hold the state for reading, beside other readers."""
        me = threading.get_ident()
        with self._cond:
            if self._writer != me and me not in self._readers:
                while self._writer is not None or self._waiting:
                    self._cond.wait()
            self._readers[me] = self._readers.get(me, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                left = self._readers[me] - 1
                if left:
                    self._readers[me] = left
                else:
                    del self._readers[me]
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        """Hold the state alone; raises rather than deadlock when this thread is reading."""
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._depth += 1
            else:
                if me in self._readers:
                    raise RuntimeError("a reader of the simulator state may not change it")
                self._waiting += 1
                try:
                    while self._writer is not None or self._readers:
                        self._cond.wait()
                finally:
                    self._waiting -= 1
                self._writer, self._depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if not self._depth:
                    self._writer = None
                    self._cond.notify_all()
