"""How slowly an upload body may arrive: an idle limit plus a minimum average rate.

A per-read idle timeout alone lets a client hold a connection (and a file) open for ever by sending one
byte every few seconds. So the body is also measured in windows of ``REELQ_UPLOAD_IDLE_SECONDS``: each
window must bring at least ``MIN_BYTES_PER_SECOND`` × its length, or the body is ended as too slow. A
phone on a poor network sends far more than 1 KiB/s; a trickle does not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

MIN_BYTES_PER_SECOND = 1024


class TooSlow(Exception):
    """The body stopped (``idle``) or trickled below the minimum rate (``slow``)."""

    def __init__(self, reason: str, idle_seconds: float) -> None:
        self.reason = reason
        self.idle_seconds = idle_seconds
        if reason == "idle":
            message = f"no data for {idle_seconds:g} s"
        else:
            message = f"the body arrived slower than {MIN_BYTES_PER_SECOND} bytes/s over {idle_seconds:g} s"
        super().__init__(message)


class Pace:
    """Tracks one body; ``timeout()`` is how long the next read may wait, ``arrived(n)`` counts bytes."""

    def __init__(
        self,
        idle_seconds: float,
        min_rate: float = MIN_BYTES_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_seconds = idle_seconds
        self.need = min_rate * idle_seconds
        self.clock = clock
        self.window_start = clock()
        self.window_bytes = 0

    def timeout(self) -> float:
        if self.window_bytes >= self.need:
            return self.idle_seconds
        return max(0.0, self.window_start + self.idle_seconds - self.clock())

    def expired(self) -> TooSlow:
        """The error for a read that waited ``timeout()`` in vain."""
        reason = "idle" if self.window_bytes >= self.need else "slow"
        return TooSlow(reason, self.idle_seconds)

    def arrived(self, size: int) -> None:
        """Count ``size`` bytes; raises ``TooSlow`` when a window closed short of the minimum."""
        self.window_bytes += size
        now = self.clock()
        if now - self.window_start >= self.idle_seconds:
            if self.window_bytes < self.need:
                raise TooSlow("slow", self.idle_seconds)
            self.window_start, self.window_bytes = now, 0


async def paced(chunks: AsyncIterator[bytes], idle_seconds: float | None) -> AsyncIterator[bytes]:
    """``chunks``, ended with ``TooSlow`` when they stop or trickle (``idle_seconds`` None: no limit)."""
    it = aiter(chunks)
    if idle_seconds is None:
        async for chunk in it:
            yield chunk
        return
    pace = Pace(idle_seconds)
    while True:
        try:
            chunk = await asyncio.wait_for(anext(it), pace.timeout())
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise pace.expired() from None
        pace.arrived(len(chunk))
        yield chunk
