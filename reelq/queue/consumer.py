"""A Huey consumer that can live inside another process (no signal handlers), and the reaper thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from huey.api import Huey
from huey.consumer import Consumer

log = logging.getLogger("reelq.queue")


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without signal handlers, so it can run in a thread of ``reelq serve``."""

    def _set_signal_handlers(self) -> None:
        pass


def make_consumer(huey: Huey, workers: int, *, embedded: bool) -> Consumer:
    cls = EmbeddedConsumer if embedded else Consumer
    # Short poll delays keep dispatch latency low on SQLite; Redis blocks on BRPOP anyway.
    return cls(
        huey,
        workers=workers,
        periodic=False,
        initial_delay=0.05,
        backoff=1.1,
        max_delay=0.25,
        scheduler_interval=1,
        worker_type="thread",
        check_worker_health=True,
    )


class Ticker(threading.Thread):
    """Calls ``fn`` now and then every ``interval`` seconds until stopped; errors are logged, not fatal."""

    def __init__(self, interval: float, fn: Callable[[], None], name: str) -> None:
        super().__init__(daemon=True, name=name)
        self.interval = interval
        self.fn = fn
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.fn()
            except Exception:
                log.exception("%s.failed", self.name)
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
