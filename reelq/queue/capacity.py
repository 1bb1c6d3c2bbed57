"""Which live workers run which analyzers, and how many jobs wait for each: for ``/readyz``, ``/metrics``,
the admin page and a queued job's ``waiting_for_worker``.

Read from the workers table (each heartbeat row names the analyzers its worker runs; NULL: a worker of an
older version, which runs every one) and the analyzers' queues. :class:`ServedAnalyzers` keeps the served
set for a moment, so a status poll does not read the workers table each time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

EVERY = "*"  # in a served set: a worker that runs every analyzer


@dataclass(frozen=True)
class AnalyzerCapacity:
    analyzer: str
    queued: int | None  # messages waiting on its queue (None: the queue did not answer)
    workers: tuple[str, ...]  # live workers that run it

    def as_dict(self) -> dict[str, Any]:
        return {"queued": self.queued, "workers": list(self.workers)}


def served_by(live: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """analyzer -> ids of the live workers that run it (``EVERY`` for workers that run them all)."""
    out: dict[str, list[str]] = {}
    for worker in live:
        for name in worker.get("analyzers") or [EVERY]:
            out.setdefault(str(name), []).append(str(worker["id"]))
    return out


def capacity(
    live: list[dict[str, Any]], analyzers: Iterable[str], depths: Callable[[Iterable[str]], dict[str, int]]
) -> list[AnalyzerCapacity]:
    """One line per analyzer: offered here (``analyzers``) or run by some live worker."""
    served = served_by(live)
    everyone = served.get(EVERY, [])
    names = sorted((set(analyzers) | set(served)) - {EVERY})
    try:
        queued: dict[str, int | None] = dict(depths(names))
    except Exception:  # the queue is down: readiness says so; the workers are still worth showing
        queued = {}
    return [
        AnalyzerCapacity(name, queued.get(name), tuple(sorted({*served.get(name, []), *everyone})))
        for name in names
    ]


class ServedAnalyzers:
    """The analyzers some live worker runs, re-read at most every ``ttl`` seconds (thread-safe).

    ``current`` waits for the database only once, for the first read; after that a stale answer is
    returned while a thread reads the new one (the status hot path runs on the event loop). A failed
    read claims nothing.
    """

    def __init__(
        self, read: Callable[[], list[dict[str, Any]]], ttl: float = 2.0, *, background: bool = True
    ) -> None:
        self._read = read
        self.ttl = ttl
        self.background = background
        self._at = -1e9
        self._served: frozenset[str] = frozenset({EVERY})
        self._lock = threading.Lock()
        self._reading = False

    def current(self) -> frozenset[str]:
        with self._lock:
            if time.monotonic() - self._at < self.ttl or self._reading:
                return self._served
            self._reading = True
        if (
            self.background and self._at > -1e9
        ):  # the first read is made here, once: answers agree from the start
            threading.Thread(target=self._refresh, daemon=True, name="served-analyzers").start()
        else:
            self._refresh()
        with self._lock:
            return self._served

    def _refresh(self) -> None:
        try:
            served = frozenset(served_by(self._read()))
        except Exception:  # unknown: claim nothing about the workers
            served = frozenset({EVERY})
        with self._lock:
            self._served, self._at, self._reading = served, time.monotonic(), False

    def waiting_for_worker(self, status: str, analyzer: str) -> str | None:
        """``analyzer`` when a queued job of it has no live worker to run it, else None."""
        if status != "queued":
            return None
        served = self.current()
        return None if EVERY in served or analyzer in served else analyzer
