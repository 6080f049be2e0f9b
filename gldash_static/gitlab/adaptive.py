"""Pacing each endpoint class by bare 429s: answers with no Retry-After and no RateLimit-*.

GitLab's application limits (`check_rate_limit!`) count per endpoint and user and answer a
bare 429; self-managed instances send no RateLimit-* on successful answers either. Nothing
then says how long to wait or how fast to go, so each endpoint class learns it: AIMD on its
sending rate (halved when the 429s start, grown a little with each success), exponential
backoff with full jitter while they go on, and one probe at a time after a backoff.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

BACKOFF_BASE_S = 0.25
BACKOFF_MAX_S = 60.0  # GitLab's limits count per minute: no need to wait longer than one
GROWTH = 0.05  # rate added per success, so the rate grows ~5 % a second of sending
MIN_GROWTH_S = 1.0  # ...but at least 1 request a second each second (slow classes recover)
MIN_RATE = 0.5  # requests a second: below this a class is paced by backoff alone
HORIZON_S = 5.0  # the recent send rate, measured when the 429s start, comes from this long
PROBE_TIMEOUT_S = 120.0  # a probe whose outcome was never reported stops blocking its class
POLL_S = 0.05  # how often requests waiting behind a probe look again
STALL_S = 900.0  # only 429s for this long (GitLab's longest windows are 10 min): stop


@dataclass(frozen=True)
class Ticket:
    """One request's permission to be sent: its class, send time and whether it probes."""

    endpoint: str
    sent_at: float
    probe: bool = False


@dataclass
class ClassState:
    """What one endpoint class has learnt; all decisions are pure functions of `now`."""

    rate: float | None = None  # requests a second; None: no limit seen yet
    next_send: float = 0.0
    blocked_until: float = 0.0
    blocked_at: float = -math.inf  # when the latest backoff was decided
    streak: int = 0  # 429s in a row without a success between them
    limited_since: float | None = None  # first 429 of the current streak
    probing: bool = False  # after a backoff: one request at a time until one gets through
    probe_sent: float | None = None
    successes: deque[float] = field(default_factory=deque)
    started: float | None = None

    def admit(self, now: float) -> tuple[float, bool]:
        """Seconds to wait before sending (0: send now), and whether the request probes."""
        if self.started is None:
            self.started = now
        if now < self.blocked_until:
            return self.blocked_until - now, False
        if self.probing:
            if self.probe_sent is not None and now - self.probe_sent < PROBE_TIMEOUT_S:
                return POLL_S, False
            self.probe_sent = now
            return 0.0, True
        if self.rate is None:
            return 0.0, False
        # Spacing reserves a slot: a waiting request keeps its turn, nobody jumps the queue.
        slot = max(now, self.next_send)
        self.next_send = slot + 1.0 / self.rate
        return slot - now, False

    def succeeded(self, now: float, ticket: Ticket) -> None:
        """A request of this class got an answer that was not a 429."""
        self.successes.append(now)
        while self.successes and self.successes[0] < now - HORIZON_S:
            self.successes.popleft()
        if ticket.probe:
            self.probe_sent = None
        elif ticket.sent_at < self.blocked_at:
            return  # sent before the latest backoff: it says nothing of the limit since
        self.probing = False
        self.streak = 0
        self.limited_since = None
        if self.rate is not None:
            # Additive per success, so a busy class recovers in proportion to its traffic.
            self.rate += max(GROWTH, MIN_GROWTH_S / self.rate)

    def released(self, probe: bool) -> None:
        """A request ended without an answer that says anything about the limit."""
        if probe:
            self.probe_sent = None

    def limited(self, now: float, ticket: Ticket, jitter: float) -> None:
        """A bare 429; `jitter` is a uniform draw from [0, 1)."""
        if ticket.probe:
            self.probe_sent = None
        elif ticket.sent_at < self.blocked_at:
            return  # sent before the latest backoff began: that event is already counted
        if self.streak == 0:
            self.limited_since = now
            measured = self.recent_rate(now)
            base = self.rate if self.rate is not None else measured
            # Multiplicative decrease, once per congestion event (not per 429 in flight).
            self.rate = max(MIN_RATE, base / 2) if base is not None else None
        self.streak += 1
        # Full jitter: workers of a class that hit the limit together do not return together.
        cap = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** min(self.streak - 1, 30))
        self.blocked_at = now
        self.blocked_until = max(self.blocked_until, now + jitter * cap)
        self.next_send = max(self.next_send, self.blocked_until)
        self.probing = True

    def recent_rate(self, now: float) -> float | None:
        """Successes a second over the last HORIZON_S (or since the class began), if any."""
        recent = [t for t in self.successes if t >= now - HORIZON_S]
        span = min(HORIZON_S, now - (self.started if self.started is not None else now))
        if len(recent) < 2 or span <= 0:
            return None
        return len(recent) / span

    def stalled(self, now: float, stall_s: float) -> bool:
        """Nothing but 429s for `stall_s` seconds."""
        return self.limited_since is not None and now - self.limited_since >= stall_s


class ClassPacer:
    """Thread-safe pacing of every endpoint class by bare 429s, on an injectable clock."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        stall_s: float | None = None,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._random = rng or random.Random()
        self.stall_s = STALL_S if stall_s is None else stall_s
        self._lock = threading.Lock()
        self._classes: dict[str, ClassState] = {}

    def state(self, endpoint: str) -> ClassState:
        """The state of one class (for tests and statistics)."""
        with self._lock:
            return self._classes.setdefault(endpoint, ClassState())

    def acquire(self, endpoint: str) -> Ticket:
        """Wait until a request of `endpoint` may be sent."""
        while True:
            with self._lock:
                state = self._classes.setdefault(endpoint, ClassState())
                now = self._clock()
                delay, probe = state.admit(now)
                if delay <= 0:
                    return Ticket(endpoint, now, probe)
                spaced = not state.probing and now >= state.blocked_until
            if not spaced:
                self._sleep(min(delay, 1.0))  # blocked: look again, the block may end early
                continue
            self._sleep(delay)  # a reserved slot: sleep until it, then go
            with self._lock:
                now = self._clock()
                if not state.probing and now >= state.blocked_until:
                    return Ticket(endpoint, now)
            # A backoff began while this request slept: it queues again behind the probe.

    def succeeded(self, ticket: Ticket) -> None:
        """The request was answered with anything but a 429."""
        with self._lock:
            self._classes[ticket.endpoint].succeeded(self._clock(), ticket)

    def released(self, ticket: Ticket) -> None:
        """The request failed without an answer (a timeout, a reset connection)."""
        with self._lock:
            self._classes[ticket.endpoint].released(ticket.probe)

    def limited(self, ticket: Ticket) -> bool:
        """The request got a bare 429; False once its class has stalled (stop asking)."""
        with self._lock:
            state = self._classes[ticket.endpoint]
            now = self._clock()
            state.limited(now, ticket, self._random.random())
            return not state.stalled(now, self.stall_s)
