"""Response shapes (they also document the API in /openapi.json)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from reelq.analysis.results import ProbeResult, VideoResult
from reelq.jobs.models import Job
from reelq.timeutil import rfc3339


class FileInfo(BaseModel):
    name: str
    size: int
    sha256: str
    content_type: str


class ErrorInfo(BaseModel):
    code: str
    message: str
    retryable: bool


class JobOut(BaseModel):
    job_id: str
    status: str = Field(description="queued | processing | completed | failed | cancelled")
    analyzer: str
    progress: float
    attempts: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    file: FileInfo
    metadata: dict[str, Any]
    result: VideoResult | ProbeResult | dict[str, Any] | None = None
    error: ErrorInfo | None


class JobList(BaseModel):
    jobs: list[JobOut]
    next_cursor: str | None


class UploadAccepted(BaseModel):
    job_id: str
    status: str
    status_url: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    code: str


def status_url(job_id: str) -> str:
    return f"/api/results/job/{job_id}"


def job_out(job: Job, *, with_result: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "job_id": job.id,
        "status": job.status.value,
        "analyzer": job.analyzer,
        "progress": round(job.progress, 4),
        "attempts": job.attempts,
        "created_at": rfc3339(job.created_at),
        "started_at": rfc3339(job.started_at),
        "finished_at": rfc3339(job.finished_at),
        "file": {
            "name": job.file_name,
            "size": job.file_size,
            "sha256": job.file_sha256,
            "content_type": job.content_type,
        },
        "metadata": job.metadata,
        "error": (
            {"code": job.error.code, "message": job.error.message, "retryable": job.error.retryable}
            if job.error and job.status.value == "failed"
            else None
        ),
    }
    if with_result:
        data["result"] = job.result
    return data


PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing or invalid token"},
    404: {"model": Problem, "description": "No such job for this user"},
}
