"""One embedded worker per data directory, however many HTTP processes serve it.

``uvicorn --workers 4``, gunicorn with uvicorn workers, or two ``reelq serve`` on one machine each build the
app, and each would start ``REELQ_WORKER_CONCURRENCY`` analyses: four processes on a four-core machine run
sixteen decodes at once. The first process to take an exclusive lock on ``<data dir>/embedded-worker.lock``
runs the worker; the others log one line and serve HTTP only. The lock dies with its process (``flock``),
so a crashed server never leaves it behind.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from sqlalchemy.engine import Engine

from reelq.jobs import queries
from reelq.logs import event

log = logging.getLogger("reelq.worker")

LOCK_NAME = "embedded-worker.lock"


class EmbeddedWorkerLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> bool:
        """True if this process may run the embedded worker (non-blocking)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def running_jobs(engine: Engine, worker_id: str) -> int:
    """Jobs this worker holds a lease on (what a graceful shutdown waits for)."""
    with engine.connect() as conn:
        return queries.running_on(conn, worker_id)


def log_shutdown_wait(engine: Engine, worker_id: str, grace: float) -> None:
    """The line an operator looks for when a stop takes a while: how many jobs, how long at most."""
    try:
        n: int | None = running_jobs(engine, worker_id)
    except Exception:  # the database may be why we stop; the wait happens anyway
        n = None
    if n == 0:
        event(log, "worker.stopping", worker=worker_id, running=0)
        return
    count = "an unknown number of" if n is None else str(n)
    log.warning(
        f"worker.stopping: waiting up to {grace:g} s for {count} running job(s); "
        "then their leases are handed back",
        extra={"worker": worker_id, "running": n, "grace_seconds": grace},
    )
