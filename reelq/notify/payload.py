"""What a notification says: the Expo message (API.md "Push payload") and the webhook event body."""

from __future__ import annotations

import json
from typing import Any

from reelq.jobs.models import Job
from reelq.jobs.states import JobStatus
from reelq.timeutil import rfc3339

MAX_PUSH_BYTES = 4096  # Expo's limit for the whole payload (MessageTooBig beyond)
MAX_NAME = 80
MAX_REASON = 120


def event_name(job: Job) -> str | None:
    """``job.completed`` / ``job.failed``; None for transitions nobody is told about (cancel)."""
    if job.status is JobStatus.COMPLETED:
        return "job.completed"
    if job.status is JobStatus.FAILED:
        return "job.failed"
    return None


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def push_message(job: Job, url_template: str, *, collapse: bool = False) -> dict[str, Any]:
    """The message without ``to`` (added per device at send time)."""
    name = _short(job.file_name, MAX_NAME)
    if job.status is JobStatus.COMPLETED:
        title, body = "Analysis ready", f"{name} has been analysed"
    else:
        reason = job.error.message if job.error else "the analysis failed"
        title, body = "Analysis failed", _short(f"{name}: {reason}", MAX_REASON)
    msg: dict[str, Any] = {
        "title": title,
        "body": body,
        "data": {
            "jobId": job.id,
            "status": job.status.value,
            "url": url_template.replace("{job_id}", job.id),
        },
        "sound": "default",
        "priority": "high",
        "channelId": "default",
    }
    if job.error and job.status is JobStatus.FAILED:
        msg["data"]["error"] = job.error.code
    if collapse:
        # A rare duplicate (see docs/notifications.md) then replaces the first copy on the device.
        msg["collapseId"] = f"job:{job.id}"
        msg["tag"] = f"job:{job.id}"
    return msg


def push_size(message: dict[str, Any]) -> int:
    return len(json.dumps(message, separators=(",", ":")).encode())


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
