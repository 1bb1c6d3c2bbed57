"""The Python client of reelq: ``Client`` (blocking) and ``AsyncClient`` on httpx.

    from reelq_client import Client

    with Client("http://127.0.0.1:8000", token) as reelq:
        job = reelq.upload("clip.mp4", wait=True)
        print(job.status, job.result["metadata"]["duration"])

See docs/client.md.
"""

from reelq_client._version import __version__
from reelq_client.aio import AsyncClient
from reelq_client.errors import (
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
from reelq_client.models import FileInfo, Job, JobError, JobStatus, artifact_names
from reelq_client.resume import ResumeStore
from reelq_client.sync import Client

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
    "__version__",
    "artifact_names",
]
