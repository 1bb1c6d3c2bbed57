"""A sliding-window limiter: never more than ``limit`` notifications in any ``window`` seconds.

A token bucket would allow a burst of its capacity on top of the rate (100 + 550 > 600 in one second),
which is exactly what Expo's per-second limit counts, so the window is kept as a log of sends.

The log counts a send from the moment it starts until ``window`` seconds after its answer came
back (``reserve``): the server counted it at some moment in between, so however the network delays
or bunches requests, the server never sees more than ``limit`` in any of its windows.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class SlidingWindow:
    def __init__(
        self,
        limit: int,
        window: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self._sent: list[list[float]] = []  # [counted until (inf while in flight), n]
        self._lock = threading.Lock()

    def acquire(self, n: int) -> float:
        """Block until ``n`` more fit in the window, then count them as sent now. Returns the wait."""
        entry, waited = self._take(n)
        with self._lock:
            entry[0] = self.clock()
        return waited

    @contextmanager
    def reserve(self, n: int) -> Iterator[float]:
        """Like ``acquire``, counting the send as in flight until the block ends (the answer came)."""
        entry, waited = self._take(n)
        try:
            yield waited
        finally:
            with self._lock:
                entry[0] = self.clock()

    def _take(self, n: int) -> tuple[list[float], float]:
        if n > self.limit:
            raise ValueError(f"{n} is more than the limit of {self.limit} per window")
        waited = 0.0
        while True:
            with self._lock:
                t = self.clock()
                self._sent = [e for e in self._sent if e[0] > t - self.window]
                if sum(int(e[1]) for e in self._sent) + n <= self.limit:
                    entry = [math.inf, float(n)]
                    self._sent.append(entry)
                    return entry, waited
                finished = [e[0] for e in self._sent if e[0] != math.inf]
                # wait for the oldest finished send to leave the window, or poll for one in flight
                pause = (min(finished) + self.window - t + 0.001) if finished else 0.01
            self.sleep(pause)
            waited += pause
