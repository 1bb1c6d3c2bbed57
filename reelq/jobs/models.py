"""The Job record as the rest of the code sees it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reelq.jobs.states import JobStatus

if TYPE_CHECKING:
    from sqlalchemy import Row


@dataclass(frozen=True)
class JobError:
    code: str
    message: str
    retryable: bool


@dataclass(frozen=True)
class Job:
    id: str
    user_id: str
    status: JobStatus
    analyzer: str
    attempts: int
    max_attempts: int
    run_at: float
    lease_token: str | None
    lease_expires_at: float | None
    cancel_requested: bool
    progress: float
    created_at: float
    started_at: float | None
    finished_at: float | None
    updated_at: float
    file_name: str
    file_size: int
    file_sha256: str
    content_type: str
    source_path: str
    metadata: dict[str, Any]
    result: dict[str, Any] | None
    error: JobError | None
    idempotency_key: str | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> Job:
        return cls.from_mapping(row._mapping)

    @classmethod
    def from_mapping(cls, m: Mapping[Any, Any]) -> Job:
        error = None
        if m["error_code"] is not None:
            error = JobError(m["error_code"], m["error_message"] or "", bool(m["error_retryable"]))
        return cls(
            id=m["id"],
            user_id=m["user_id"],
            status=JobStatus(m["status"]),
            analyzer=m["analyzer"],
            attempts=m["attempts"],
            max_attempts=m["max_attempts"],
            run_at=m["run_at"],
            lease_token=m["lease_token"],
            lease_expires_at=m["lease_expires_at"],
            cancel_requested=bool(m["cancel_requested"]),
            progress=m["progress"],
            created_at=m["created_at"],
            started_at=m["started_at"],
            finished_at=m["finished_at"],
            updated_at=m["updated_at"],
            file_name=m["file_name"],
            file_size=m["file_size"],
            file_sha256=m["file_sha256"],
            content_type=m["content_type"],
            source_path=m["source_path"],
            metadata=json.loads(m["metadata_json"] or "{}"),
            result=json.loads(m["result_json"]) if m["result_json"] else None,
            error=error,
            idempotency_key=m["idempotency_key"],
        )
