"""The reaper: recover expired leases and re-send jobs whose dispatch was lost."""

from __future__ import annotations

import logging
from collections.abc import Callable

from reelq.jobs.states import JobStatus
from reelq.jobs.store import JobStore
from reelq.logs import event

log = logging.getLogger("reelq.reaper")


def reap_once(store: JobStore, send: Callable[[str, float], None], redispatch_seconds: float) -> int:
    """One pass; returns how many jobs were recovered or re-sent."""
    count = 0
    for rec in store.recover_expired():
        event(log, "job.recovered", job_id=rec.job_id, status=rec.status.value, attempts=rec.attempts)
        if rec.status is JobStatus.QUEUED:
            send(rec.job_id, 0.0)
        count += 1
    for job_id in store.due_for_dispatch(redispatch_seconds):
        event(log, "job.redispatched", job_id=job_id)
        send(job_id, 0.0)
        count += 1
    return count
