"""Build the Huey instance from a URL and register the tasks on it (no module-level singletons)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.storage import SqliteStorage
from redis import ConnectionPool

from reelq.logs import event

log = logging.getLogger("reelq.queue")

RUN_JOB = "run_job"


class _SqliteStorage(SqliteStorage):  # type: ignore[misc]
    """WAL with synchronous=NORMAL: no fsync per enqueue, still safe from corruption.

    A message lost to a power cut is harmless: the job row is the truth and the reaper re-sends it.
    """

    def _create_connection(self) -> Any:
        conn = super()._create_connection()
        conn.execute("pragma synchronous=1")
        return conn


class _NoRevoke:
    """Huey without its per-task revocation checks: reelq never revokes a Huey task (a job is cancelled
    in its row, which the worker's claim reads), so the two storage round trips Huey spends on every task
    for revocation (look up the flag before, clear it after) buy nothing."""

    def is_revoked(self, task: Any, timestamp: Any = None, peek: bool = True) -> bool:
        return False

    def delete(self, key: str) -> Any:
        if key.startswith("r:"):  # a task's revocation flag (``Task.revoke_id``): never set
            return None
        return super().delete(key)  # type: ignore[misc]


class _RedisHuey(_NoRevoke, RedisHuey):  # type: ignore[misc]
    pass


class _SqliteHuey(_NoRevoke, SqliteHuey):  # type: ignore[misc]
    pass


def make_huey(url: str, name: str = "reelq") -> Huey:
    """``?queue=NAME`` in the URL names the queue, so several deployments (or tests) share one Redis."""
    url, name = _split_queue_name(url, name)
    parsed = urlparse(url)
    if parsed.scheme in ("redis", "rediss", "unix"):
        # Timeouts so a dead Redis fails fast; the pool reconnects by itself once it is back.
        pool = ConnectionPool.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=10, retry_on_timeout=True
        )
        return _RedisHuey(name, connection_pool=pool, results=False, store_none=False, read_timeout=1)
    if parsed.scheme == "sqlite":
        filename = url[len("sqlite:///") :] if url.startswith("sqlite:///") else parsed.path
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        return _SqliteHuey(
            name, filename=filename, results=False, store_none=False, timeout=30, storage_class=_SqliteStorage
        )
    raise ValueError(f"unsupported queue URL {url!r}: use sqlite:///path or redis://host:port/db")


def _split_queue_name(url: str, default: str) -> tuple[str, str]:
    base, _, raw = url.partition("?")
    query = parse_qsl(raw, keep_blank_values=True)
    names = [v for k, v in query if k == "queue" and v]
    if not names:
        return url, default
    rest = urlencode([(k, v) for k, v in query if k != "queue"])
    return (f"{base}?{rest}" if rest else base), names[-1]


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

    def send(self, job_id: str, delay: float = 0.0, *, mark: bool = True) -> None:
        """Deliver ``job_id`` now or after ``delay`` seconds. A failure is logged: the reaper re-sends."""
        try:
            if delay > 0:
                self.task.schedule(args=(job_id,), delay=delay)
            else:
                self.task(job_id)
            if mark:
                self._mark(job_id)
        except Exception as exc:  # the job row is committed; the reaper will dispatch it later
            event(log, "job.dispatch_failed", logging.WARNING, job_id=job_id, error=str(exc))
            return
        event(log, "job.dispatched", logging.DEBUG, job_id=job_id, delay=round(delay, 3))

    def depth(self) -> int:
        return int(self.huey.pending_count())

    def ping(self) -> None:
        self.huey.pending_count()
