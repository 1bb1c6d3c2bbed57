"""The job as the API describes it (docs: /work API.md, ``GET /api/results/job/{id}``), typed.

Fields the server adds later are kept in ``raw`` (and in ``to_dict()``), so an older client never drops them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class FileInfo:
    name: str
    size: int
    sha256: str
    content_type: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileInfo:
        return cls(
            name=str(data.get("name", "")),
            size=int(data.get("size", 0)),
            sha256=str(data.get("sha256", "")),
            content_type=str(data.get("content_type", "")),
        )


@dataclass(frozen=True)
class JobError:
    """Why a job failed: a stable ``code``, a message fit to show a user, and whether a retry may help."""

    code: str
    message: str
    retryable: bool

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobError:
        return cls(str(data.get("code", "")), str(data.get("message", "")), bool(data.get("retryable")))


@dataclass(frozen=True)
class Job:
    job_id: str
    status: JobStatus
    analyzer: str
    progress: float
    attempts: int
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    file: FileInfo
    metadata: dict[str, Any]
    result: dict[str, Any] | None
    error: JobError | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def terminal(self) -> bool:
        return self.status.terminal

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        error = data.get("error")
        return cls(
            job_id=str(data["job_id"]),
            status=JobStatus(data["status"]),
            analyzer=str(data.get("analyzer", "")),
            progress=float(data.get("progress") or 0.0),
            attempts=int(data.get("attempts") or 0),
            created_at=_time(data.get("created_at")),
            started_at=_time(data.get("started_at")),
            finished_at=_time(data.get("finished_at")),
            file=FileInfo.from_dict(data.get("file") or {}),
            metadata=dict(data.get("metadata") or {}),
            result=data.get("result"),
            error=JobError.from_dict(error) if isinstance(error, dict) else None,
            raw=dict(data),
        )

    def to_dict(self) -> dict[str, Any]:
        """The job exactly as the server sent it."""
        return dict(self.raw)


def artifact_names(result: dict[str, Any] | None) -> list[str]:
    """Names of the artifacts a result refers to (objects with a ``name`` and an artifacts ``url``)."""
    names: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            name, url = node.get("name"), node.get("url")
            if isinstance(name, str) and isinstance(url, str) and "/artifacts/" in url and name not in names:
                names.append(name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return names
