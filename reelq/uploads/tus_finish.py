"""Turn a fully stored tus upload into exactly one job. Synchronous: called in a worker thread."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

from reelq.errors import Locked, UnsupportedMedia
from reelq.files import Layout, StoredFile, display_name
from reelq.ids import is_id, new_id
from reelq.logs import event
from reelq.uploads import tus_io
from reelq.uploads.intake import Intake
from reelq.uploads.sniff import Container, require_video
from reelq.uploads.tus_data import LocalSink, Sink
from reelq.uploads.tus_store import TusStore, TusUpload, UploadState

log = logging.getLogger("reelq.uploads")

_MAX_CACHED_HASHES = 256


def idempotency_key(upload_id: str) -> str:
    """The job's idempotency key: one upload can only ever insert one job (unique per user and key)."""
    return f"tus:{upload_id}"


class Finisher:
    def __init__(
        self,
        store: TusStore,
        layout: Layout,
        intake: Intake,
    ) -> None:
        self.store = store
        self.layout = layout
        self.intake = intake
        # upload id → (offset, sha256 of bytes [0, offset)), so the last PATCH need not re-read the file.
        self._hashes: dict[str, tuple[int, Any]] = {}

    @property
    def directory(self) -> Path:
        return self.layout.incoming / "tus"

    def data_path(self, upload_id: str) -> Path:
        if not is_id(upload_id):
            raise ValueError("upload paths are built from internal ids only")
        return self.directory / f"{upload_id}.bin"

    def open_sink(self, row: TusUpload) -> Sink:
        """Where the PATCH that holds the lock writes, positioned at the committed offset."""
        return LocalSink(self.data_path(row.id), row.offset)

    def remove_data(self, row: TusUpload) -> None:
        self._hashes.pop(row.id, None)
        self.data_path(row.id).unlink(missing_ok=True)

    def running_hash(self, upload_id: str, offset: int) -> Any:
        if offset == 0:
            return hashlib.sha256()
        cached = self._hashes.get(upload_id)
        if cached is None or cached[0] != offset:
            return None
        return cached[1].copy()

    def keep_running_hash(self, upload_id: str, offset: int, digest: Any) -> None:
        self._hashes.pop(upload_id, None)
        if digest is None:
            return
        if len(self._hashes) >= _MAX_CACHED_HASHES:
            self._hashes.pop(next(iter(self._hashes)))
        self._hashes[upload_id] = (offset, digest)

    def require_video(self, row: TusUpload, token: str, head: bytes) -> Container:
        """The container of the stored head; a non-video ends the upload as rejected (415), data removed."""
        try:
            return require_video(head)
        except UnsupportedMedia:
            self.store.end(row.id, UploadState.REJECTED, token=token)
            self.remove_data(row)
            event(log, "tus.rejected", upload_id=row.id, user_id=row.user_id)
            raise

    def finish(self, row: TusUpload, token: str) -> TusUpload:
        """Every byte is stored and committed, and we hold the lock: create the job, mark the upload."""
        path = self.data_path(row.id)
        cached = self._hashes.get(row.id)
        sha256 = (
            cached[1].hexdigest()
            if cached and cached[0] == row.length
            else tus_io.sha256_of(path, row.length)
        )
        fd = os.open(path, os.O_RDONLY)
        try:
            head = tus_io.read_head(fd)
        finally:
            os.close(fd)
        container = self.require_video(row, token, head)
        # Checked at creation already; checked again because the settings may have changed since.
        asked = self.intake.prepare(row.metadata)
        # Submit a hard link: the upload's own file stays until the row says "complete", so a crash
        # anywhere in between is finished by the next HEAD/PATCH, and the idempotency key replays the job.
        link = self.directory / f"{row.id}.{new_id()}.link"
        os.link(path, link)
        try:
            job, created = self.intake.submit(
                row.user_id,
                asked,
                StoredFile(
                    path=link,
                    name=display_name(row.metadata.get("filename")),
                    size=row.length,
                    sha256=sha256,
                    content_type=container.content_type,
                    extension=container.extension,
                ),
                idempotency_key=idempotency_key(row.id),
                push_best_effort=True,  # every byte is in: a device hiccup must not fail the upload
            )
        finally:
            link.unlink(missing_ok=True)
        if not self.store.complete(row.id, token, job.id, sha256):
            current = self.store.get(row.id)
            if current is None or current.job_id != job.id:
                raise Locked("another request took this upload over", code="upload_taken_over")
            return current
        self.remove_data(row)
        event(log, "tus.completed", upload_id=row.id, user_id=row.user_id, job_id=job.id, new_job=created)
        done = self.store.get(row.id)
        assert done is not None
        return done
