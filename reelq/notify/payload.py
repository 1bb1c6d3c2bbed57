"""Which event a finished job is, for every channel (each channel's message is in its own folder)."""

from __future__ import annotations

from reelq.jobs.models import Job
from reelq.jobs.states import JobStatus


def event_name(job: Job) -> str | None:
    """``job.completed`` / ``job.failed``; None for transitions nobody is told about (cancel)."""
    if job.status is JobStatus.COMPLETED:
        return "job.completed"
    if job.status is JobStatus.FAILED:
        return "job.failed"
    return None
