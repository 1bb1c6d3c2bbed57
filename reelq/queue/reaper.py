"""The reaper: recover expired leases and re-send jobs whose dispatch was lost."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from reelq.jobs.states import JobStatus
from reelq.jobs.store import JobStore
from reelq.logs import event

log = logging.getLogger("reelq.reaper")


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (another user's counts too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def bury_dead_workers(
    store: JobStore, me: str, hostname: str, dead_after: float, send: Callable[[str, float], None]
) -> int:
    """Declare silent or vanished workers dead and recover their jobs now (not after their leases)."""
    dead = store.expire_dead_workers(me, hostname, pid_alive, dead_after)
    for worker_id in dead:
        event(log, "worker.dead", logging.WARNING, worker=worker_id)
    return reap_once(store, send, None) if dead else 0


def reap_once(store: JobStore, send: Callable[[str, float], None], redispatch_seconds: float | None) -> int:
    """One pass; returns how many jobs were recovered or re-sent (``None``: recover only)."""
    count = 0
    for rec in store.recover_expired():
        event(log, "job.recovered", job_id=rec.job_id, status=rec.status.value, attempts=rec.attempts)
        if rec.status is JobStatus.QUEUED:
            send(rec.job_id, 0.0)
        count += 1
    if redispatch_seconds is None:
        return count
    for job_id in store.due_for_dispatch(redispatch_seconds):
        event(log, "job.redispatched", job_id=job_id)
        send(job_id, 0.0)
        count += 1
    return count
