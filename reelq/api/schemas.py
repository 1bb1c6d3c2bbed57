"""Response shapes (they also document the API in /openapi.json)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from reelq.analysis.results import ProbeResult, VideoResult
from reelq.auth.signing import UrlSigner
from reelq.jobs.models import Job
from reelq.jobs.states import JobStatus
from reelq.timeutil import rfc3339


class FileInfo(BaseModel):
    name: str = Field(description="The uploaded file's name, sanitized")
    size: int = Field(ge=0, description="Bytes")
    sha256: str = Field(description="Hex SHA-256 of the stored bytes")
    content_type: str = Field(description="Judged from the bytes, e.g. video/mp4")


class ErrorInfo(BaseModel):
    """Why a job failed, written for people; exception text stays in the server log."""

    code: str = Field(description="Stable snake_case code, e.g. unreadable_media")
    message: str = Field(description="A plain sentence that can be shown to the user")
    retryable: bool = Field(description="Whether POST /api/jobs/{job_id}/retry may succeed")


class JobOut(BaseModel):
    job_id: str
    status: JobStatus
    analyzer: str
    progress: float = Field(ge=0, le=1, description="0..1; 1 once completed")
    attempts: int = Field(ge=0)
    created_at: str = Field(description="RFC 3339 UTC")
    started_at: str | None = Field(description="RFC 3339 UTC")
    finished_at: str | None = Field(description="RFC 3339 UTC")
    file: FileInfo
    metadata: dict[str, Any] = Field(description="The JSON object sent with the upload")
    result: VideoResult | ProbeResult | dict[str, Any] | None = None
    error: ErrorInfo | None = Field(description="Set when status is failed, else null")
    waiting_for_worker: str | None = Field(
        None,
        description="Present while the job is queued and no running worker runs its analyzer (this "
        "analyzer's name): it starts as soon as such a worker does",
    )


class JobList(BaseModel):
    jobs: list[JobOut]
    next_cursor: str | None


class UploadAccepted(BaseModel):
    job_id: str
    status: JobStatus
    status_url: str = Field(description="GET it for status and results (also in the Location header)")


class JobAction(BaseModel):
    """The answer to cancel and retry: the job's status after the request."""

    job_id: str
    status: JobStatus


class AnalyzerState(BaseModel):
    queued: int | None = Field(
        description="Jobs waiting on this analyzer's queue (null: the queue did not answer)"
    )
    workers: list[str] = Field(description="Live workers that run this analyzer")


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(
        description="database, queue, storage, workers: ok, unknown or failing: <reason>"
    )
    analyzers: dict[str, AnalyzerState] = Field(
        default_factory=dict, description="Per analyzer offered or run here: its queue depth and its workers"
    )


class Problem(BaseModel):
    """RFC 9457 problem details, sent as application/problem+json."""

    type: str
    title: str
    status: int
    detail: str = Field(description="A sentence for people; never internal exception text")
    code: str = Field(description="Stable snake_case code to branch on")


def status_url(job_id: str) -> str:
    return f"/api/results/job/{job_id}"


def job_out(
    job: Job,
    *,
    with_result: bool = True,
    signer: UrlSigner | None = None,
    waiting_for_worker: str | None = None,
) -> dict[str, Any]:
    """A job as the API answers it; with ``signer``, its artifact URLs open without a token for a while.

    ``waiting_for_worker``: the analyzer a queued job waits for (no live worker runs it); the key is
    only present then."""
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
    if waiting_for_worker is not None:
        data["waiting_for_worker"] = waiting_for_worker
    if with_result:
        data["result"] = signer.sign_result(job.id, job.result) if signer is not None else job.result
    return data


PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing or invalid token"},
    404: {"model": Problem, "description": "No such job for this user"},
}
