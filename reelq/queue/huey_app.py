"""Build the Huey instance from a URL and register the tasks on it (no module-level singletons)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from huey import RedisHuey, SqliteHuey
from huey.api import Huey

from reelq.logs import event

log = logging.getLogger("reelq.queue")

RUN_JOB = "run_job"


def make_huey(url: str, name: str = "reelq") -> Huey:
    parsed = urlparse(url)
    if parsed.scheme in ("redis", "rediss", "unix"):
        return RedisHuey(name, url=url, results=False, store_none=False, read_timeout=1)
    if parsed.scheme == "sqlite":
        filename = url[len("sqlite:///") :] if url.startswith("sqlite:///") else parsed.path
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=filename, results=False, store_none=False, timeout=30)
    raise ValueError(f"unsupported queue URL {url!r}: use sqlite:///path or redis://host:port/db")


class Dispatcher:
    """Sends job ids to the queue; ``run`` is what a consumer calls for each delivery."""

    def __init__(self, huey: Huey, mark_dispatched: Callable[[str], None]) -> None:
        self.huey = huey
        self._mark = mark_dispatched
        self._runner: Callable[[str], Any] | None = None
        self.task = huey.task(name=RUN_JOB, retries=0)(self._run)

    def set_runner(self, runner: Callable[[str], Any]) -> None:
        self._runner = runner

    def _run(self, job_id: str) -> None:
        if self._runner is None:
            raise RuntimeError("this process has no job runner (is it an API-only node?)")
        self._runner(job_id)

    def send(self, job_id: str, delay: float = 0.0) -> None:
        """Deliver ``job_id`` now or after ``delay`` seconds. A failure is logged: the reaper re-sends."""
        try:
            if delay > 0:
                self.task.schedule(args=(job_id,), delay=delay)
            else:
                self.task(job_id)
            self._mark(job_id)
        except Exception as exc:  # the job row is committed; the reaper will dispatch it later
            event(log, "job.dispatch_failed", logging.WARNING, job_id=job_id, error=str(exc))
            return
        event(log, "job.dispatched", logging.DEBUG, job_id=job_id, delay=round(delay, 3))

    def depth(self) -> int:
        return int(self.huey.pending_count())

    def ping(self) -> None:
        self.huey.pending_count()
