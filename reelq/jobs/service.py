"""What the API asks of jobs: submit an upload, read, list, cancel, retry, delete."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError

from reelq.errors import BadRequest, Conflict, JobNotFound, TransitionConflict
from reelq.files import Layout, StoredFile
from reelq.ids import is_id, new_id
from reelq.jobs.models import Job
from reelq.jobs.states import JobStatus
from reelq.jobs.store import JobStore
from reelq.logs import event
from reelq.storage.local import LocalStorage
from reelq.storage.port import Storage

log = logging.getLogger("reelq.jobs")

MAX_IDEMPOTENCY_KEY = 255


class Send(Protocol):
    def __call__(
        self, job_id: str, delay: float = 0.0, *, mark: bool = True, analyzer: str | None = None
    ) -> None: ...


class JobService:
    def __init__(
        self,
        store: JobStore,
        layout: Layout,
        send: Send,
        *,
        max_attempts: int,
        storage: Storage | None = None,
    ) -> None:
        self.store = store
        self.layout = layout
        self.storage: Storage = storage or LocalStorage(layout)
        self.send = send
        self.max_attempts = max_attempts

    def submit(
        self,
        user_id: str,
        upload: StoredFile,
        *,
        analyzer: str,
        metadata: dict[str, Any],
        idempotency_key: str | None = None,
    ) -> tuple[Job, bool]:
        """Move the file into place, insert the job, commit, dispatch. Returns (job, created)."""
        if idempotency_key is not None:
            existing = self._replay(user_id, idempotency_key, upload)
            if existing is not None:
                return existing, False
        job_id = new_id()
        source = self.storage.adopt_source(upload, user_id, job_id)
        try:
            job = self.store.insert(
                {
                    "id": job_id,
                    "user_id": user_id,
                    "analyzer": analyzer,
                    "max_attempts": self.max_attempts,
                    "file_name": upload.name,
                    "file_size": upload.size,
                    "file_sha256": upload.sha256,
                    "content_type": upload.content_type,
                    "source_path": source,
                    "metadata": metadata,
                    "idempotency_key": idempotency_key,
                    # marked dispatched up front (one write less); if the send below fails, the
                    # reaper re-sends it after `redispatch_seconds`.
                    "dispatched_at": time.time(),
                }
            )
        except IntegrityError:
            # Another request with the same key won the race. An object upload (``key``) stays its
            # caller's until a job holds it: the caller removes it, or a retry of it makes the job.
            self.storage.remove_job(user_id, job_id, None if upload.key else source)
            if idempotency_key is not None:
                existing = self._replay(
                    user_id, idempotency_key, upload if upload.key else None, sha256=upload.sha256
                )
                if existing is not None:
                    return existing, False
            raise
        except BaseException:
            self.storage.remove_job(user_id, job_id, None if upload.key else source)
            raise
        event(
            log,
            "job.enqueued",
            job_id=job.id,
            user_id=user_id,
            file=job.file_name,
            size=job.file_size,
            analyzer=analyzer,
        )
        self.send(job.id, 0.0, mark=False, analyzer=job.analyzer)
        return job, True

    def _replay(
        self, user_id: str, key: str, upload: StoredFile | None, *, sha256: str | None = None
    ) -> Job | None:
        existing = self.store.by_idempotency_key(user_id, key)
        if existing is None:
            return None
        digest = upload.sha256 if upload is not None else sha256
        if upload is not None and existing.source_path != upload.key:
            self.storage.discard(upload)
        if existing.file_sha256 != digest:
            raise Conflict(
                "this Idempotency-Key was already used with a different file", code="idempotency_key_reused"
            )
        event(log, "job.replayed", job_id=existing.id, user_id=user_id)
        return existing

    def get(self, user_id: str, job_id: str) -> Job:
        job = self.store.get(job_id, user_id) if is_id(job_id) else None
        if job is None:
            raise JobNotFound(f"no job {job_id[:64]!r}")
        return job

    def list(
        self, user_id: str, statuses: Sequence[JobStatus], limit: int, cursor: str | None
    ) -> tuple[list[Job], str | None]:
        if cursor is not None and not is_id(cursor):
            raise BadRequest("invalid cursor", code="bad_cursor")
        page = self.store.list_jobs(user_id, statuses=statuses, limit=limit + 1, before_id=cursor)
        next_cursor = page[limit - 1].id if len(page) > limit else None
        return page[:limit], next_cursor

    def cancel(self, user_id: str, job_id: str) -> JobStatus:
        job = self.get(user_id, job_id)
        status = self.store.cancel(job.id)
        event(log, "job.cancel", job_id=job.id, user_id=user_id, status=status.value)
        return status

    def retry(self, user_id: str, job_id: str) -> None:
        job = self.get(user_id, job_id)
        self.store.retry(job.id)
        self.storage.remove_artifacts(job.user_id, job.id)
        event(log, "job.retried", job_id=job.id, user_id=user_id)
        self.send(job.id, 0.0, analyzer=job.analyzer)

    def delete(self, user_id: str, job_id: str) -> None:
        """Removes the row (a running attempt loses its lease and is killed) and every file."""
        job = self.get(user_id, job_id)
        if job.status is JobStatus.PROCESSING:
            with contextlib.suppress(TransitionConflict):
                self.store.cancel(job.id)
        self.store.delete(job.id)
        self.storage.remove_job(job.user_id, job.id, job.source_path)
        event(log, "job.deleted", job_id=job.id, user_id=user_id)

    def purge_finished(self, older_than_seconds: float) -> int:
        """Delete finished jobs (row, files, artifacts) older than the retention; returns how many."""
        count = 0
        for job_id, user_id in self.store.finished_before(time.time() - older_than_seconds):
            # guarded: only a job still finished is deleted (a retry may have re-queued it meanwhile)
            source = self.store.get(job_id, user_id) if self.storage.kind != "local" else None
            if self.store.delete(job_id, only_finished=True):
                self.storage.remove_job(user_id, job_id, source.source_path if source else None)
                event(log, "job.purged", job_id=job_id, user_id=user_id)
                count += 1
        return count
