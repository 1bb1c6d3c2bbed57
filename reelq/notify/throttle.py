"""A sliding-window limiter: never more than ``limit`` notifications in any ``window`` seconds.

A token bucket would allow a burst of its capacity on top of the rate (100 + 550 > 600 in one second),
which is exactly what Expo's per-second limit counts, so the window is kept as a log of sends.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


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
        self._sent: deque[tuple[float, int]] = deque()
        self._total = 0
        self._lock = threading.Lock()

    def acquire(self, n: int) -> float:
        """Block until ``n`` more fit in the window, then count them. Returns the seconds waited."""
        if n > self.limit:
            raise ValueError(f"{n} is more than the limit of {self.limit} per window")
        waited = 0.0
        while True:
            with self._lock:
                t = self.clock()
                while self._sent and self._sent[0][0] <= t - self.window:
                    self._total -= self._sent.popleft()[1]
                if self._total + n <= self.limit:
                    self._sent.append((t, n))
                    self._total += n
                    return waited
                pause = self._sent[0][0] + self.window - t + 0.001
            self.sleep(pause)
            waited += pause
