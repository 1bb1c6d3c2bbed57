"""What a webhook event says: the Standard Webhooks body."""

from __future__ import annotations

from typing import Any

from reelq.jobs.models import Job
from reelq.jobs.states import JobStatus
from reelq.timeutil import rfc3339


def webhook_body(job: Job, event: str, status_url: str) -> dict[str, Any]:
    """Standard Webhooks shape: ``type``, ``timestamp``, ``data``. Results are fetched, not pushed."""
    return {
        "type": event,
        "timestamp": rfc3339(job.finished_at or job.updated_at),
        "data": {
            "job_id": job.id,
            "status": job.status.value,
            "status_url": status_url,
            "file": {"name": job.file_name, "size": job.file_size, "sha256": job.file_sha256},
            "metadata": job.metadata,
            "error": (
                {"code": job.error.code, "message": job.error.message, "retryable": job.error.retryable}
                if job.error and job.status is JobStatus.FAILED
                else None
            ),
        },
    }
