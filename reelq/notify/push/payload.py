"""What a push says: the Expo message (API.md "Push payload")."""

from __future__ import annotations

import json
from typing import Any

from reelq.jobs.models import Job
from reelq.jobs.states import JobStatus

MAX_PUSH_BYTES = 4096  # Expo's limit for the whole payload (MessageTooBig beyond)
MAX_NAME = 80
MAX_REASON = 120


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
