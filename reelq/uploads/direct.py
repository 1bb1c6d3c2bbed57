"""Direct uploads: the client PUTs the parts of a multipart upload straight to the bucket.

``start`` checks what the upload asks for (the same :class:`~reelq.uploads.intake.Intake` step as every
upload, and the per-user limits of unfinished uploads), opens the multipart upload and answers presigned
part URLs; ``describe`` answers them again for the parts the bucket does not have yet (so a client resumes
from the parts already uploaded); ``complete`` lists the parts in the bucket (never trusting the client's
list), checks their sizes against the declared size, completes the object, checks the declared sha256 and
the container, and makes the job through the same finish step as a tus upload (one upload, one job).

The state is a ``tus_uploads`` row (``parts_json`` names the multipart upload), so the expiry sweeper
aborts a direct upload that was never completed, and any API node answers any request. Blocking.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reelq.errors import BadRequest, ChecksumMismatch, Conflict, Gone, Locked, NotFound, UploadTooLarge
from reelq.ids import is_id, new_id
from reelq.storage.objects import upload_key
from reelq.storage.s3 import S3Objects
from reelq.storage.url import MAX_PARTS
from reelq.uploads.sniff import SNIFF_BYTES
from reelq.uploads.tus import TusConfig
from reelq.uploads.tus_s3 import PartsState, S3Finisher, is_direct
from reelq.uploads.tus_store import TusStore, TusUpload, UploadState, process_owner

URL_SECONDS = 3600  # a presigned part URL; ask again (GET) for fresh ones
_SHA256 = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class DirectPart:
    number: int
    size: int
    url: str | None  # None: the bucket has it


class DirectUploads:
    def __init__(self, store: TusStore, objects: S3Objects, finisher: S3Finisher, config: TusConfig) -> None:
        self.store = store
        self.objects = objects
        self.finisher = finisher
        self.config = config
        self.part_size = objects.location.part_size
        self.instance = new_id()
        self.owner = process_owner(self.instance)

    # -- start ---------------------------------------------------------------------------------
    def start(self, user_id: str, size: int, fields: Mapping[str, str], sha256: str | None) -> dict[str, Any]:
        if size <= 0:
            raise BadRequest("an empty file is not a video", code="empty_file")
        if size > self.config.max_size:
            raise UploadTooLarge(f"the file is larger than the limit of {self.config.max_size} bytes")
        if sha256 is not None and (len(sha256) != 64 or not set(sha256) <= _SHA256):
            raise BadRequest("sha256 must be 64 lower-case hex digits", code="bad_checksum")
        if math.ceil(size / self.part_size) > MAX_PARTS:
            raise UploadTooLarge("the file needs more parts than S3 allows at this part size")
        self.finisher.intake.prepare(fields)  # the analyzer allowlist, metadata and push token rules
        upload_id = new_id()
        key = upload_key(user_id, upload_id)
        mpu = self.objects.create_multipart(key)
        state = PartsState(mpu=mpu).dump()
        parts_json = json.dumps({**json.loads(state), "direct": True, "sha256": sha256})
        try:
            row = self.store.create(
                {
                    "id": upload_id,
                    "user_id": user_id,
                    "length": size,
                    "raw_metadata": "",
                    "metadata": dict(fields),
                    "expires_at": time.time() + self.config.expiry_seconds,
                    "parts_json": parts_json,
                },
                max_incomplete=self.config.max_incomplete,
                max_incomplete_bytes=self.config.max_incomplete_bytes,
            )
        except BaseException:
            self.objects.abort_multipart(key, mpu)
            raise
        return self._answer(row)

    # -- resume ----------------------------------------------------------------------------------
    def describe(self, user_id: str, upload_id: str) -> dict[str, Any]:
        return self._answer(self._load(user_id, upload_id))

    def _answer(self, row: TusUpload) -> dict[str, Any]:
        out: dict[str, Any] = {
            "upload_id": row.id,
            "size": row.length,
            "part_size": self.part_size,
            "expires_at": row.expires_at,
            "job_id": row.job_id,
            "parts": [],
        }
        if row.state is UploadState.COMPLETE:
            return out
        state = PartsState.load(row.parts_json)
        assert state.mpu is not None
        key = upload_key(row.user_id, row.id)
        have = {p.number: p.size for p in self.objects.list_parts(key, state.mpu)}
        seconds = max(60, min(URL_SECONDS, int(row.expires_at - time.time())))
        parts = []
        for number in range(1, math.ceil(row.length / self.part_size) + 1):
            size = min(self.part_size, row.length - (number - 1) * self.part_size)
            done = have.get(number) == size
            url = None if done else self.objects.presign_part(key, state.mpu, number, seconds)
            parts.append(DirectPart(number, size, url).__dict__)
        out["parts"] = parts
        return out

    # -- complete ----------------------------------------------------------------------------------
    def complete(self, user_id: str, upload_id: str) -> tuple[str, bool]:
        """The job of the upload (made now, or earlier by another request); (job id, made now)."""
        row = self._load(user_id, upload_id)
        if row.state is UploadState.COMPLETE:
            assert row.job_id is not None
            return row.job_id, False
        token = new_id()
        current, ok = self.store.acquire(row.id, token, self.owner, self.instance, self.config.lock_seconds)
        if not ok or current is None:
            if current is not None and current.state is UploadState.COMPLETE and current.job_id:
                return current.job_id, False
            raise Locked("the upload is being completed by another request; try again", code="upload_locked")
        try:
            done = self._complete_locked(current, token)
        except BaseException:
            self.store.release(row.id, token)
            raise
        assert done.job_id is not None
        return done.job_id, True

    def _complete_locked(self, row: TusUpload, token: str) -> TusUpload:
        meta = json.loads(row.parts_json or "{}")
        state = PartsState.load(row.parts_json)
        assert state.mpu is not None
        key = upload_key(row.user_id, row.id)
        if self.objects.size(key) != row.length:
            parts = self.objects.list_parts(key, state.mpu)
            expected = math.ceil(row.length / self.part_size)
            sizes = [min(self.part_size, row.length - i * self.part_size) for i in range(expected)]
            missing = [n for n in range(1, expected + 1) if n not in {p.number for p in parts}]
            if missing:
                raise Conflict(
                    f"{len(missing)} part(s) are not in the bucket yet (first: {missing[0]}); "
                    "GET the upload for their URLs",
                    code="parts_missing",
                )
            parts = [p for p in parts if p.number <= expected]
            if [p.size for p in parts] != sizes:
                raise BadRequest(
                    "the parts in the bucket do not add up to the declared size", code="bad_parts"
                )
            state.parts = parts
            self.finisher.assemble(row, state)
        digest = hashlib.sha256()
        for chunk in self.objects.stream(key):
            digest.update(chunk)
        declared = meta.get("sha256")
        if declared and digest.hexdigest() != declared:
            self.store.end(row.id, UploadState.REJECTED, token=token)
            self.finisher.remove_data(row)
            raise ChecksumMismatch("the uploaded file does not match its sha256; upload it again")
        state.head = self.objects.read_range(key, 0, SNIFF_BYTES)
        parts_json = json.dumps({**json.loads(state.dump()), "direct": True, "sha256": declared})
        if not self.store.commit_offset(
            row.id,
            token,
            row.length,
            expires_at=row.expires_at,
            release=False,
            lock_seconds=self.config.lock_seconds,
            parts_json=parts_json,
        ):
            raise Locked("another request took this upload over", code="upload_taken_over")
        self.finisher.keep_running_hash(row.id, row.length, digest)
        ready = TusUpload(**{**row.__dict__, "offset": row.length, "parts_json": parts_json})
        return self.finisher.finish(ready, token)

    def _load(self, user_id: str, upload_id: str) -> TusUpload:
        row = self.store.get(upload_id) if is_id(upload_id) else None
        if row is None or row.user_id != user_id or not is_direct(row):
            raise NotFound("no such upload", code="upload_not_found")
        if row.state is UploadState.RECEIVING and row.expires_at < time.time():
            raise Gone("the upload expired before it was completed; start a new one", code="upload_expired")
        if row.state in (UploadState.EXPIRED, UploadState.TERMINATED, UploadState.REJECTED):
            raise Gone(f"the upload was {row.state.value}; start a new one", code=f"upload_{row.state.value}")
        return row
