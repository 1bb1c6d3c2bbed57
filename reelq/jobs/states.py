"""Job statuses and the transitions the store allows."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})

# to-status -> statuses it may be reached from (the WHERE clause of the guarded UPDATE)
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PROCESSING: frozenset({JobStatus.QUEUED}),  # claim
    JobStatus.QUEUED: frozenset(
        {JobStatus.PROCESSING, JobStatus.FAILED, JobStatus.CANCELLED}  # backoff / lease lost / manual retry
    ),
    JobStatus.COMPLETED: frozenset({JobStatus.PROCESSING}),
    JobStatus.FAILED: frozenset({JobStatus.PROCESSING}),
    JobStatus.CANCELLED: frozenset({JobStatus.QUEUED, JobStatus.PROCESSING}),
}


def allowed_from(target: JobStatus) -> frozenset[JobStatus]:
    return TRANSITIONS[target]


def sources_for(target: JobStatus, sources: Iterable[JobStatus] | None = None) -> frozenset[JobStatus]:
    """The statuses a guarded move to ``target`` may start from: ``sources`` (default: all the table
    allows), refused with ValueError when the transition table does not allow one of them."""
    chosen = frozenset(sources) if sources is not None else allowed_from(target)
    if not chosen <= allowed_from(target):
        raise ValueError(f"{sorted(chosen)} -> {target} is not in the transition table")
    return chosen
