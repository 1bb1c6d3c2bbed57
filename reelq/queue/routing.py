"""One dispatch queue per analyzer, and a worker that reads only the queues of the analyzers it runs.

Huey has one queue per instance name. reelq keeps Huey's own queue (``reelq``, or ``?queue=NAME``) for
notifications and delayed sends, and puts each job's message on its analyzer's queue
(:func:`queue_name`). A worker's storage reads its own queue plus the queues of the analyzers it runs, in
one blocking pop (Redis ``BRPOP`` takes several keys; SQLite selects ``queue IN (…)``), so a GPU box that
runs only ``pose`` never takes a ``video`` job, and a job waits until some worker runs its analyzer.

:class:`Gate` bounds how many jobs of one analyzer a worker runs at once (``REELQ_ANALYZER_LIMITS``): a
queue whose analyzer is at its limit is left out of the pop, so its jobs stay queued for another worker.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import re
import threading
from collections.abc import Mapping
from typing import Any

from huey.storage import RedisStorage, SqliteStorage

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def queue_name(base: str, analyzer: str) -> str:
    """The queue of ``analyzer``'s jobs: readable, and safe as a Redis key part (Huey strips the rest)."""
    slug = _UNSAFE.sub("_", analyzer)
    if slug == analyzer and len(slug) <= 60:
        return f"{base}__{slug}"
    digest = hashlib.sha1(analyzer.encode()).hexdigest()[:10]
    return f"{base}__{slug[:40]}_{digest}"


class Gate:
    """The analyzers one worker runs and how many of each it runs at once (thread-safe).

    ``taken`` is counted when a message is popped (under the same lock as the choice of queues) and
    ``done`` when its job returns, so two threads cannot both take the last free slot. Without limits
    nothing is counted under the lock: the consumer's threads pop at once, as with one Huey queue.
    """

    def __init__(self, queues: Mapping[str, str], limits: Mapping[str, int] | None = None) -> None:
        self.analyzer_of = dict(queues)  # queue name -> analyzer
        self.limits = dict(limits or {})
        self.running: dict[str, int] = dict.fromkeys(self.analyzer_of.values(), 0)
        self.lock = threading.Lock()
        self._turn = itertools.count()

    def open(self) -> list[str]:
        """Queues with a free slot, rotated on each call so no analyzer's queue always comes first."""
        names = [q for q, a in self.analyzer_of.items() if self.running[a] < self.limits.get(a, 1 << 30)]
        if not names:
            return names
        k = next(self._turn) % len(names)
        return names[k:] + names[:k]

    def taken(self, queue: str) -> None:
        analyzer = self.analyzer_of.get(queue)
        if analyzer is not None:
            self.running[analyzer] += 1

    def done(self, analyzer: str) -> None:
        with self.lock:
            if self.running.get(analyzer, 0) > 0:
                self.running[analyzer] -= 1


class RoutedRedisStorage(RedisStorage):  # type: ignore[misc]
    """Redis storage that can write to and read from the analyzers' queues."""

    gate: Gate | None = None

    def key_of(self, queue: str) -> str:
        return f"huey.redis.{self.clean_name(queue)}"

    def enqueue_to(self, queue: str, data: bytes) -> None:
        self.conn.lpush(self.key_of(queue), data)

    def size_of(self, queue: str) -> int:
        return int(self.conn.llen(self.key_of(queue)))

    def dequeue(self) -> Any:
        gate = self.gate
        if gate is None:
            return super().dequeue()
        with gate.lock if gate.limits else contextlib.nullcontext():  # counts matter only with limits
            names = gate.open()
            keys = {self.key_of(q): q for q in names}
            got = self.conn.brpop([self.queue_key, *keys], timeout=self.read_timeout)
            if not got:
                return None
            key, data = got
            gate.taken(keys.get(key.decode() if isinstance(key, bytes) else key, ""))
            return data


class RoutedSqliteStorage(SqliteStorage):  # type: ignore[misc]
    """SQLite storage (WAL, synchronous=NORMAL) that can write to and read from the analyzers' queues.

    A message lost to a power cut is harmless: the job row is the truth and the reaper re-sends it.
    """

    gate: Gate | None = None

    def _create_connection(self) -> Any:
        conn = super()._create_connection()
        conn.execute("pragma synchronous=1")
        return conn

    def enqueue_to(self, queue: str, data: bytes) -> None:
        self.sql(
            "insert into task (queue, data, priority) values (?, ?, ?)",
            (queue, self.to_blob(data), 0),
            commit=True,
        )

    def size_of(self, queue: str) -> int:
        return int(self.sql("select count(id) from task where queue=?", (queue,), results=True)[0][0])

    def dequeue(self) -> Any:
        gate = self.gate
        if gate is None:
            return super().dequeue()
        with gate.lock if gate.limits else contextlib.nullcontext():
            names = [self.name, *gate.open()]
            marks = ",".join("?" * len(names))
            if not self.sql(f"select 1 from task where queue in ({marks}) limit 1", names, results=True):
                return None
            with self.db(commit=True) as curs:
                curs.execute(
                    f"select id, data, queue from task where queue in ({marks}) "
                    "order by priority desc, id limit 1",
                    names,
                )
                row = curs.fetchone()
                if row is None:
                    return None
                tid, data, queue = row
                curs.execute("delete from task where id = ?", (tid,))
                if curs.rowcount != 1:
                    return None
                gate.taken(queue)
                return data
