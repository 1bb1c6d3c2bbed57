"""tus 1.0.0 server core (creation, creation-with-upload, expiration, checksum, termination).

Transport-free: the HTTP adapter (``reelq.api.tus``) passes lower-cased headers, the user id and an
async iterator of body chunks, and gets a ``TusResponse`` back or a ``ReelqError`` raised.

Invariants:
- every check happens before a body byte is read;
- bytes are written at their offset and fsynced before the row's ``offset`` moves, and only the holder
  of the PATCH lock moves it; anything on disk past the committed offset is truncated on the next PATCH;
- the request that commits the last byte creates the job, guarded by a state change, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reelq.errors import (
    BadRequest,
    ChecksumMismatch,
    Conflict,
    Gone,
    Locked,
    NotFound,
    UploadTooLarge,
)
from reelq.files import Layout
from reelq.ids import is_id, new_id
from reelq.logs import event
from reelq.uploads.intake import Intake
from reelq.uploads.pace import Pace, TooSlow
from reelq.uploads.sniff import SNIFF_BYTES
from reelq.uploads.tus_data import Sink
from reelq.uploads.tus_finish import Finisher
from reelq.uploads.tus_headers import (
    CHECKSUM_ALGORITHMS,
    TUS_EXTENSIONS,
    TUS_VERSION,
    Checksum,
    check_content_type,
    http_date,
    parse_checksum,
    parse_nonnegative,
)
from reelq.uploads.tus_headers import parse_metadata as parse_upload_metadata
from reelq.uploads.tus_lock import Holder, PatchLocks
from reelq.uploads.tus_store import TusStore, TusUpload, UploadState, process_owner

log = logging.getLogger("reelq.uploads")

BATCH_BYTES = 1024 * 1024  # gather the body into writes of about this size
CHECKPOINT_BYTES = 64 * 1024 * 1024  # a long PATCH without checksum commits its progress this often
TOMBSTONE_SECONDS = 7 * 24 * 3600.0


class BodyInterrupted(Exception):
    """The body iterator raises this when the client went away mid-body."""


@dataclass(frozen=True)
class TusConfig:
    max_size: int
    expiry_seconds: float
    max_incomplete: int
    max_incomplete_bytes: int
    lock_seconds: float
    idle_seconds: float


@dataclass
class TusResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Outcome:
    offset: int
    interrupted: str | None = None


class TusUploads:
    def __init__(
        self,
        store: TusStore,
        layout: Layout,
        intake: Intake,
        config: TusConfig,
        finisher: Finisher | None = None,
    ) -> None:
        self.store = store
        self.layout = layout
        self.intake = intake
        self.config = config
        self.instance = new_id()
        self.owner = process_owner(self.instance)
        # where the bytes go: the data dir, or parts in a bucket (tus_s3.S3Finisher)
        self.finisher = finisher or Finisher(store, layout, intake)
        self.locks = PatchLocks(store, self.owner, self.instance, config.lock_seconds)

    # -- discovery ---------------------------------------------------------------------------
    def options(self) -> TusResponse:
        return TusResponse(
            204,
            {
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": TUS_EXTENSIONS,
                "Tus-Max-Size": str(self.config.max_size),
                "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
            },
        )

    # -- creation ----------------------------------------------------------------------------
    async def create(
        self, user_id: str, headers: Mapping[str, str], body: AsyncIterator[bytes], base_path: str
    ) -> TusResponse:
        cfg = self.config
        if "upload-defer-length" in headers:
            raise BadRequest("Upload-Defer-Length is not supported: send Upload-Length", code="defer_length")
        length = parse_nonnegative(headers.get("upload-length"), "Upload-Length", limit=cfg.max_size)
        if length == 0:
            raise BadRequest("an empty file is not a video", code="empty_file")
        raw_meta = headers.get("upload-metadata", "")
        meta = parse_upload_metadata(raw_meta)
        await asyncio.to_thread(self.intake.prepare, meta, user_id)  # as multipart, before any byte
        content_length = _content_length(headers)
        with_body = bool(content_length) or "transfer-encoding" in headers
        checksum: Checksum | None = None
        if with_body:
            check_content_type(headers)
            checksum = parse_checksum(headers.get("upload-checksum"))
            if content_length is not None and content_length > length:
                raise UploadTooLarge("the body is longer than Upload-Length", code="exceeds_upload_length")
        await asyncio.to_thread(self.intake.check_space, length)
        upload_id = new_id()
        token = new_id() if with_body else None
        row = await asyncio.to_thread(
            self.store.create,
            {
                "id": upload_id,
                "user_id": user_id,
                "length": length,
                "raw_metadata": raw_meta,
                "metadata": meta,
                "expires_at": time.time() + cfg.expiry_seconds,
            },
            max_incomplete=cfg.max_incomplete,
            max_incomplete_bytes=cfg.max_incomplete_bytes,
            lock_token=token,
            lock_owner=self.owner,
            lock_seconds=cfg.lock_seconds,
        )
        event(log, "tus.created", upload_id=upload_id, user_id=user_id, length=length)
        out = {
            "Location": f"{base_path}/api/uploads/{upload_id}",
            "Upload-Expires": http_date(row.expires_at),
        }
        if token is None:
            return TusResponse(201, out)
        self.locks.starting(upload_id)
        resp = await self._receive_locked(row, token, body, checksum)
        resp.headers.update(out)
        resp.status = 201
        return resp

    # -- core --------------------------------------------------------------------------------
    async def head(self, user_id: str, upload_id: str) -> TusResponse:
        row = await self._load(user_id, upload_id)
        # A client that reconnects asks HEAD first: stop the stalled PATCH so its bytes count.
        if await self.locks.stop_stalled(row.id):
            row = await self._load(user_id, upload_id)
        if row.state is UploadState.RECEIVING and row.offset == row.length:
            row = await self._recover(row)  # every byte stored but no job yet (a crash in between)
        return TusResponse(200, self._state_headers(row, with_metadata=True))

    async def patch(
        self, user_id: str, upload_id: str, headers: Mapping[str, str], body: AsyncIterator[bytes]
    ) -> TusResponse:
        check_content_type(headers)
        row = await self._load(user_id, upload_id)
        offset = parse_nonnegative(headers.get("upload-offset"), "Upload-Offset")
        if offset != row.offset:
            raise Conflict(
                f"Upload-Offset {offset} does not match the upload's offset {row.offset}",
                code="offset_mismatch",
            )
        checksum = parse_checksum(headers.get("upload-checksum"))
        content_length = _content_length(headers)
        if content_length is not None and offset + content_length > row.length:
            raise UploadTooLarge(
                f"the body would pass Upload-Length {row.length}", code="exceeds_upload_length"
            )
        if row.state is UploadState.COMPLETE:
            return TusResponse(204, self._state_headers(row))
        token = await self.locks.acquire(row)
        return await self._receive_locked(row, token, body, checksum)

    async def terminate(self, user_id: str, upload_id: str) -> TusResponse:
        row = await self._load(user_id, upload_id)
        if row.state is UploadState.COMPLETE:
            raise Conflict(
                "the upload is finished and its job exists; delete the job instead", code="upload_finished"
            )
        token = await self.locks.acquire(row)
        try:
            ended = await asyncio.to_thread(self.store.end, row.id, UploadState.TERMINATED, token=token)
        finally:
            self.locks.drop(row.id)
        if ended:
            await asyncio.to_thread(self.finisher.remove_data, row)
        event(log, "tus.terminated", upload_id=row.id, user_id=user_id)
        return TusResponse(204)

    # -- expiry (called from a Ticker thread) -------------------------------------------------
    def tick(self) -> None:
        self.sweep()

    def sweep(self) -> int:
        expired = self.store.expire_due()
        for row in expired:
            self.finisher.remove_data(row)
            event(log, "tus.expired", upload_id=row.id, user_id=row.user_id, offset=row.offset)
        self.store.purge_tombstones(time.time() - TOMBSTONE_SECONDS)
        return len(expired)

    # -- internals ---------------------------------------------------------------------------
    async def _load(self, user_id: str, upload_id: str) -> TusUpload:
        row = await asyncio.to_thread(self.store.get, upload_id) if is_id(upload_id) else None
        if row is None or row.user_id != user_id or (row.parts_json and '"direct": true' in row.parts_json):
            raise NotFound("no such upload", code="upload_not_found")  # a direct upload is not a tus one
        if (
            row.state is UploadState.RECEIVING
            and row.expires_at < time.time()
            and not self.locks.writing(row.id)
        ):
            raise Gone("the upload expired before it was finished; start a new one", code="upload_expired")
        if row.state in (UploadState.EXPIRED, UploadState.TERMINATED, UploadState.REJECTED):
            raise Gone(f"the upload was {row.state.value}; start a new one", code=f"upload_{row.state.value}")
        return row

    def _state_headers(self, row: TusUpload, *, with_metadata: bool = False) -> dict[str, str]:
        out = {
            "Upload-Offset": str(row.offset),
            "Upload-Length": str(row.length),
            "Cache-Control": "no-store",
        }
        if with_metadata and row.raw_metadata:
            out["Upload-Metadata"] = row.raw_metadata
        if row.job_id is not None:
            out["Upload-Job-Id"] = row.job_id
        elif row.state is UploadState.RECEIVING:
            out["Upload-Expires"] = http_date(row.expires_at)
        return out

    async def _receive_locked(
        self, row: TusUpload, token: str, body: AsyncIterator[bytes], checksum: Checksum | None
    ) -> TusResponse:
        """With the lock held: store the body, commit, maybe finish."""
        holder = self.locks.hold(row.id)
        released = False
        try:
            sink = await asyncio.to_thread(self.finisher.open_sink, row)
            try:
                try:
                    outcome = await self._stream(row, token, sink, body, checksum, holder)
                finally:
                    holder.finishing = True
                if outcome.offset == row.length:
                    await asyncio.to_thread(sink.sync)
                committed = row
                if outcome.offset > row.offset or outcome.offset == row.length:
                    committed = await self._commit(
                        row, token, outcome.offset, release=outcome.offset < row.length, sink=sink
                    )
                    released = outcome.offset < row.length
            finally:
                await asyncio.to_thread(sink.close)
            if committed.offset == committed.length:
                committed = await asyncio.to_thread(self.finisher.finish, committed, token)
                released = True
            if outcome.interrupted:
                event(
                    log,
                    "tus.interrupted",
                    upload_id=row.id,
                    reason=outcome.interrupted,
                    offset=outcome.offset,
                )
            return TusResponse(204, self._state_headers(committed))
        finally:
            if not released:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self.store.release, row.id, token)
            self.locks.drop(row.id)

    async def _stream(
        self,
        row: TusUpload,
        token: str,
        sink: Sink,
        body: AsyncIterator[bytes],
        checksum: Checksum | None,
        holder: Holder,
    ) -> _Outcome:
        """Read the body into the file at the committed offset; return how far it is durable."""
        cfg = self.config
        start = pos = row.offset
        chunk_hash = checksum.hasher() if checksum else None
        file_hash = self.finisher.running_hash(row.id, start)
        hashers: list[Any] = [h for h in (chunk_hash, file_hash) if h is not None]
        pending: list[bytes] = []
        pending_len = 0
        durable = start
        sniffed = start >= SNIFF_BYTES
        renew_at = time.monotonic() + cfg.lock_seconds / 3
        interrupted: str | None = None
        reader = aiter(body)
        pace = Pace(cfg.idle_seconds)  # a stopped or trickling body ends; what it brought is kept
        while True:
            if holder.takeover:
                interrupted = "takeover"
                break
            try:
                async with asyncio.timeout(pace.timeout()) as holder.timeout:
                    chunk = await anext(reader)
            except StopAsyncIteration:
                break
            except TimeoutError:
                interrupted = "takeover" if holder.takeover else pace.expired().reason
                break
            except BodyInterrupted:
                interrupted = "disconnect"
                break
            finally:
                holder.timeout = None
            if not chunk:
                continue
            holder.last_data = time.monotonic()
            if pos + pending_len + len(chunk) > row.length:
                await asyncio.to_thread(sink.revert)
                raise UploadTooLarge(
                    "the body passes Upload-Length; nothing of it was kept", code="exceeds_upload_length"
                )
            pending.append(chunk)
            pending_len += len(chunk)
            try:
                pace.arrived(len(chunk))
            except TooSlow as exc:
                interrupted = exc.reason
                break
            if pending_len < BATCH_BYTES:
                continue
            pos = await asyncio.to_thread(sink.write, pending, pos, hashers)
            pending, pending_len = [], 0
            if not sniffed and pos >= SNIFF_BYTES:
                sniffed = await self._sniff(row, token, sink)
            if checksum is None and pos - durable >= CHECKPOINT_BYTES and pos < row.length:
                await asyncio.to_thread(sink.sync)
                await self._commit(row, token, pos, release=False, sink=sink)
                durable = pos
            elif time.monotonic() >= renew_at:
                if not await asyncio.to_thread(self.store.renew, row.id, token, cfg.lock_seconds):
                    raise Locked("another request took this upload over", code="upload_taken_over")
                renew_at = time.monotonic() + cfg.lock_seconds / 3
        if pending:
            pos = await asyncio.to_thread(sink.write, pending, pos, hashers)
        if checksum is not None and chunk_hash is not None:
            if interrupted is not None:  # an incomplete checksummed chunk cannot be verified: drop it
                await asyncio.to_thread(sink.revert)
                return _Outcome(start, interrupted)
            if chunk_hash.digest() != checksum.digest:
                await asyncio.to_thread(sink.revert)
                raise ChecksumMismatch(
                    f"the body does not match its {checksum.algorithm} checksum; send it again"
                )
        if not sniffed and (pos >= SNIFF_BYTES or pos == row.length):
            await self._sniff(row, token, sink)
        await asyncio.to_thread(sink.sync)
        self.finisher.keep_running_hash(row.id, pos, file_hash)
        return _Outcome(pos, interrupted)

    async def _sniff(self, row: TusUpload, token: str, sink: Sink) -> bool:
        """Refuse a non-video as soon as its first bytes are in, not after the whole file."""
        head = await asyncio.to_thread(sink.read_head)
        await asyncio.to_thread(self.finisher.require_video, row, token, head)
        return True

    async def _commit(
        self, row: TusUpload, token: str, offset: int, *, release: bool, sink: Sink
    ) -> TusUpload:
        parts_json = sink.state_json()
        ok = await asyncio.to_thread(
            self.store.commit_offset,
            row.id,
            token,
            offset,
            expires_at=time.time() + self.config.expiry_seconds,
            release=release,
            lock_seconds=self.config.lock_seconds,
            parts_json=parts_json,
        )
        if not ok:
            raise Locked("another request took this upload over", code="upload_taken_over")
        await asyncio.to_thread(sink.committed, offset)
        changed = {"offset": offset} if parts_json is None else {"offset": offset, "parts_json": parts_json}
        return TusUpload(**{**row.__dict__, **changed})

    async def _recover(self, row: TusUpload) -> TusUpload:
        try:
            token = await self.locks.acquire(row)
        except (Locked, Conflict):
            return row  # someone else is finishing it; HEAD again later
        try:
            return await asyncio.to_thread(self.finisher.finish, row, token)
        finally:
            self.locks.drop(row.id)
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.store.release, row.id, token)


def _content_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length")
    return None if value is None else parse_nonnegative(value, "Content-Length")
