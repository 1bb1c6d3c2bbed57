"""Build the Huey instance from a URL and register the tasks on it (no module-level singletons)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from redis import ConnectionPool

from reelq.logs import event
from reelq.queue.routing import Gate, RoutedRedisStorage, RoutedSqliteStorage, queue_name

log = logging.getLogger("reelq.queue")

RUN_JOB = "run_job"
SEND_LATER = "send_later"


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
        return _RedisHuey(
            name,
            connection_pool=pool,
            results=False,
            store_none=False,
            read_timeout=1,
            storage_class=RoutedRedisStorage,
        )
    if parsed.scheme == "sqlite":
        filename = url[len("sqlite:///") :] if url.startswith("sqlite:///") else parsed.path
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        return _SqliteHuey(
            name,
            filename=filename,
            results=False,
            store_none=False,
            timeout=30,
            storage_class=RoutedSqliteStorage,
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
    """Sends job ids to their analyzer's queue; ``run`` is what a consumer calls for each delivery.

    ``analyzer_of`` finds a job's analyzer when a caller does not say (the reaper re-sending by id).
    A delayed send (a retry's backoff) is a ``send_later`` message on Huey's own queue, scheduled by
    Huey; when it is due, whichever worker takes it puts the job on its analyzer's queue.
    """

    def __init__(
        self,
        huey: Huey,
        mark_dispatched: Callable[[str], None],
        analyzer_of: Callable[[str], str | None] | None = None,
    ) -> None:
        self.huey = huey
        self._mark = mark_dispatched
        self._analyzer_of = analyzer_of or (lambda _job_id: None)
        self._runner: Callable[[str], Any] | None = None
        self.gate: Gate | None = None
        self.known: set[str] = set()  # analyzers whose queues count in ``depth`` (sent to, served, offered)
        self.task = huey.task(name=RUN_JOB, retries=0)(self._run)
        self.later = huey.task(name=SEND_LATER, retries=0)(self._send_later)

    def queue_of(self, analyzer: str) -> str:
        return queue_name(self.huey.name, analyzer)

    def serve(self, analyzers: Iterable[str], limits: Mapping[str, int] | None = None) -> Gate:
        """Read the queues of these analyzers (and Huey's own) from now on, at most ``limits`` at once."""
        self.known.update(analyzers)
        self.gate = Gate({self.queue_of(a): a for a in sorted(analyzers)}, limits)
        self.huey.storage.gate = self.gate
        return self.gate

    def set_runner(self, runner: Callable[[str], Any]) -> None:
        self._runner = runner

    def _run(self, job_id: str, analyzer: str | None = None) -> None:
        if analyzer is None:  # a message of an older version, on Huey's own queue: route it
            self.send(job_id)
            return
        try:
            if self._runner is None:
                raise RuntimeError("this process has no job runner (is it an API-only node?)")
            self._runner(job_id)
        finally:
            if self.gate is not None:
                self.gate.done(analyzer)

    def _send_later(self, job_id: str, analyzer: str) -> None:
        self.send(job_id, analyzer=analyzer)

    def send(
        self, job_id: str, delay: float = 0.0, *, mark: bool = True, analyzer: str | None = None
    ) -> None:
        """Deliver ``job_id`` now or after ``delay`` seconds. A failure is logged: the reaper re-sends."""
        try:
            analyzer = analyzer or self._analyzer_of(job_id)
            if analyzer is None:
                event(log, "job.dispatch_skipped", logging.DEBUG, job_id=job_id)  # deleted meanwhile
                return
            self.known.add(analyzer)
            if delay > 0:
                self.later.schedule(args=(job_id, analyzer), delay=delay)
            else:
                message = self.huey.serialize_task(self.task.s(job_id, analyzer))
                self.huey.storage.enqueue_to(self.queue_of(analyzer), message)
            if mark:
                self._mark(job_id)
        except Exception as exc:  # the job row is committed; the reaper will dispatch it later
            event(log, "job.dispatch_failed", logging.WARNING, job_id=job_id, error=str(exc))
            return
        event(log, "job.dispatched", logging.DEBUG, job_id=job_id, delay=round(delay, 3))

    def depth(self) -> int:
        """Messages waiting: Huey's own queue (notifications, sends not yet routed) and the analyzers'."""
        return int(self.huey.pending_count()) + sum(self.depths(self.known).values())

    def depths(self, analyzers: Iterable[str]) -> dict[str, int]:
        """Job messages waiting on each analyzer's queue."""
        storage = self.huey.storage
        return {a: int(storage.size_of(self.queue_of(a))) for a in sorted(set(analyzers))}

    def ping(self) -> None:
        self.huey.pending_count()
