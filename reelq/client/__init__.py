"""The Python client of reelq: ``Client`` (blocking) and ``AsyncClient`` on httpx.

    from reelq.client import Client

    with Client("http://127.0.0.1:8000", token) as reelq:
        job = reelq.upload("clip.mp4", wait=True)
        print(job.status, job.result["metadata"]["duration"])

See docs/client.md.
"""

from reelq.client.aio import AsyncClient
from reelq.client.errors import (
    BadRequest,
    ChecksumMismatch,
    Conflict,
    ConnectionFailed,
    Gone,
    InsufficientStorage,
    JobTimeout,
    Locked,
    NotFound,
    PreconditionFailed,
    RateLimited,
    ReelqClientError,
    ServerError,
    TooLarge,
    Unauthorized,
    Unavailable,
    UnsupportedMedia,
    UploadInterrupted,
)
from reelq.client.models import FileInfo, Job, JobError, JobStatus, artifact_names
from reelq.client.resume import ResumeStore
from reelq.client.sync import Client

__all__ = [
    "AsyncClient",
    "BadRequest",
    "ChecksumMismatch",
    "Client",
    "Conflict",
    "ConnectionFailed",
    "FileInfo",
    "Gone",
    "InsufficientStorage",
    "Job",
    "JobError",
    "JobStatus",
    "JobTimeout",
    "Locked",
    "NotFound",
    "PreconditionFailed",
    "RateLimited",
    "ReelqClientError",
    "ResumeStore",
    "ServerError",
    "TooLarge",
    "Unauthorized",
    "Unavailable",
    "UnsupportedMedia",
    "UploadInterrupted",
    "artifact_names",
]
