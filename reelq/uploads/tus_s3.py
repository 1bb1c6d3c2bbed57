"""tus uploads kept in a bucket, so any API node continues any upload (the way tusd's S3 store works).

Bytes are gathered into parts of ``part_size`` and sent as parts of one S3 multipart upload, completed at
``users/U/uploads/ID`` (the job's source, where it stays). What is left over at the end of a PATCH, shorter
than S3's part minimum, is kept as its own object (the "tail") and read back by the next PATCH, on
whichever node it arrives. The row keeps, under the PATCH lock and in the same statement as the offset,
the multipart id, the committed parts and the tail's key (``parts_json``), so a node that never saw the
upload before knows where every committed byte is. Blocking: every method runs in a worker thread.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reelq.errors import Locked
from reelq.files import StoredFile, display_name
from reelq.ids import new_id
from reelq.logs import event
from reelq.storage.objects import upload_key
from reelq.storage.s3 import Part, S3Objects
from reelq.uploads.intake import Intake
from reelq.uploads.sniff import SNIFF_BYTES
from reelq.uploads.tus_finish import Finisher, idempotency_key
from reelq.uploads.tus_store import TusStore, TusUpload

log = logging.getLogger("reelq.uploads")


def is_direct(row: TusUpload) -> bool:
    """A direct upload (``reelq.uploads.direct``): its parts come from the client, not from PATCHes."""
    return bool(row.parts_json) and bool(json.loads(row.parts_json or "{}").get("direct"))


def tail_prefix(row: TusUpload) -> str:
    return f"{upload_key(row.user_id, row.id)}.tail/"


@dataclass
class PartsState:
    mpu: str | None = None  # the S3 multipart upload id, once a first part was sent
    parts: list[Part] = field(default_factory=list)
    tail: str | None = None  # key of the bytes after the last part
    tail_size: int = 0
    head: bytes = b""  # the first bytes, for the container check

    @property
    def parts_size(self) -> int:
        return sum(p.size for p in self.parts)

    @classmethod
    def load(cls, text: str | None) -> PartsState:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            mpu=data.get("mpu"),
            parts=[Part(int(n), str(etag), int(size)) for n, etag, size in data.get("parts", [])],
            tail=data.get("tail"),
            tail_size=int(data.get("tail_size", 0)),
            head=base64.b64decode(data.get("head", "")),
        )

    def dump(self) -> str:
        return json.dumps(
            {
                "mpu": self.mpu,
                "parts": [[p.number, p.etag, p.size] for p in self.parts],
                "tail": self.tail,
                "tail_size": self.tail_size,
                "head": base64.b64encode(self.head).decode(),
            }
        )


class S3Sink:
    """At most one part (plus one body batch) in memory; full parts go to the bucket as they fill."""

    def __init__(self, objects: S3Objects, row: TusUpload) -> None:
        self.objects = objects
        self.row = row
        self.key = upload_key(row.user_id, row.id)
        self.part_size = objects.location.part_size
        self.saved = PartsState.load(row.parts_json)
        if self.saved.parts_size + self.saved.tail_size != row.offset:
            raise Locked(
                "the upload's parts do not match its offset; HEAD and resume", code="upload_taken_over"
            )
        self.saved_tail = objects.get_bytes(self.saved.tail) if self.saved.tail else b""
        self._reset()

    def _reset(self) -> None:
        self.mpu = self.saved.mpu
        self.parts = list(self.saved.parts)
        self.buffer = bytearray(self.saved_tail)
        self.head = bytearray(self.saved.head)
        self.tail = self.saved.tail
        self.tail_dirty = False

    def write(self, chunks: Sequence[bytes], pos: int, hashers: Sequence[Any]) -> int:
        for chunk in chunks:
            self.buffer += chunk
            for hasher in hashers:
                hasher.update(chunk)
            if len(self.head) < SNIFF_BYTES:
                self.head += chunk[: SNIFF_BYTES - len(self.head)]
            pos += len(chunk)
        while len(self.buffer) >= self.part_size:
            self._send_part(bytes(self.buffer[: self.part_size]))
            del self.buffer[: self.part_size]
        self.tail_dirty = True
        return pos

    def _send_part(self, data: bytes) -> None:
        if self.mpu is None:
            self.mpu = self.objects.create_multipart(self.key)
        number = len(self.parts) + 1
        etag = self.objects.upload_part(self.key, self.mpu, number, data)
        self.parts.append(Part(number, etag, len(data)))

    def revert(self) -> None:
        """Back to the last commit; parts sent since are overwritten by the next ones of the same number."""
        if self.tail_dirty and self.tail and self.tail != self.saved.tail:
            self.objects.delete(self.tail)
        self._reset()

    def sync(self) -> None:
        if not self.tail_dirty:
            return
        if self.buffer:
            self.tail = f"{tail_prefix(self.row)}{new_id()}"
            self.objects.put_bytes(self.tail, bytes(self.buffer))
        else:
            self.tail = None
        self.tail_dirty = False

    def state_json(self) -> str | None:
        return PartsState(self.mpu, list(self.parts), self.tail, len(self.buffer), bytes(self.head)).dump()

    def committed(self, offset: int) -> None:
        old = self.saved.tail
        self.saved = PartsState(self.mpu, list(self.parts), self.tail, len(self.buffer), bytes(self.head))
        self.saved_tail = bytes(self.buffer)
        if old and old != self.tail:
            self.objects.delete(old)  # superseded: the row names the new tail now

    def read_head(self) -> bytes:
        return bytes(self.head)

    def close(self) -> None:
        # what was written but never committed: a tail object, a multipart upload no row names
        if self.tail_dirty and self.tail and self.tail != self.saved.tail:
            self.objects.delete(self.tail)
        if self.mpu is not None and self.saved.mpu is None:
            self.objects.abort_multipart(self.key, self.mpu)
        self.buffer = bytearray()


class S3Finisher(Finisher):
    """Completes the multipart upload in place and hands its key to the intake as the job's source."""

    def __init__(self, store: TusStore, objects: S3Objects, intake: Intake) -> None:
        super().__init__(store, intake.layout, intake)
        self.objects = objects

    def open_sink(self, row: TusUpload) -> S3Sink:
        return S3Sink(self.objects, row)

    def remove_data(self, row: TusUpload) -> None:
        self._hashes.pop(row.id, None)
        state = PartsState.load(row.parts_json)
        key = upload_key(row.user_id, row.id)
        if state.mpu:
            self.objects.abort_multipart(key, state.mpu)
        self.objects.delete_prefix(tail_prefix(row))
        if row.job_id is None:
            self.objects.delete(key)

    def assemble(self, row: TusUpload, state: PartsState) -> str:
        """The whole upload as one object (idempotent: a finish that crashed after this is repeated)."""
        key = upload_key(row.user_id, row.id)
        if self.objects.size(key) == row.length:
            return key
        tail = self.objects.get_bytes(state.tail) if state.tail else b""
        if state.mpu is None:
            self.objects.put_bytes(key, tail)  # smaller than one part
        else:
            parts = list(state.parts)
            if tail:
                number = len(parts) + 1
                parts.append(Part(number, self.objects.upload_part(key, state.mpu, number, tail), len(tail)))
            self.objects.complete_multipart(key, state.mpu, parts)
        size = self.objects.size(key)
        if size != row.length:
            raise OSError(f"upload {row.id} assembled to {size} bytes, not {row.length}")
        return key

    def finish(self, row: TusUpload, token: str) -> TusUpload:
        state = PartsState.load(row.parts_json)
        key = self.assemble(row, state)
        cached = self._hashes.get(row.id)
        # Another node received the earlier PATCHes: its running hash is not here, so read the object once.
        sha256 = cached[1].hexdigest() if cached and cached[0] == row.length else self.objects.sha256(key)
        container = self.require_video(row, token, state.head)
        asked = self.intake.prepare(row.metadata)
        job, created = self.intake.submit(
            row.user_id,
            asked,
            StoredFile(
                path=None,
                key=key,
                name=display_name(row.metadata.get("filename")),
                size=row.length,
                sha256=sha256,
                content_type=container.content_type,
                extension=container.extension,
            ),
            idempotency_key=idempotency_key(row.id),
            push_best_effort=True,
        )
        if not self.store.complete(row.id, token, job.id, sha256):
            current = self.store.get(row.id)
            if current is None or current.job_id != job.id:
                raise Locked("another request took this upload over", code="upload_taken_over")
            return current
        self._hashes.pop(row.id, None)
        self.objects.delete_prefix(tail_prefix(row))
        event(log, "tus.completed", upload_id=row.id, user_id=row.user_id, job_id=job.id, new_job=created)
        done = self.store.get(row.id)
        assert done is not None
        return done
