"""The PATCH lock of a tus upload: one writer at a time, and a stalled writer can be asked to step aside.

Two levels: in this process, a ``Holder`` per upload being written (so a newer request can wake a PATCH
blocked on a dead connection and wait for it to commit and let go); across processes, a lease row in the
database (``TusStore.acquire``/``renew``/``release``), so two API processes never write one upload at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from reelq.errors import Conflict, Locked
from reelq.ids import new_id
from reelq.uploads.tus_store import TusStore, TusUpload, UploadState

STALL_SECONDS = 2.0  # a PATCH that received nothing for this long is taken over by a new one
TAKEOVER_WAIT_SECONDS = 5.0


class Holder:
    """The PATCH holding an upload's lock in this process; a newer PATCH can ask it to stop."""

    def __init__(self) -> None:
        self.last_data = time.monotonic()
        self.takeover = False
        self.finishing = False  # the body is read; it is committing (a new request waits, no 423)
        self.released = asyncio.Event()
        self.timeout: asyncio.Timeout | None = None

    @property
    def stalled(self) -> bool:
        return self.finishing or time.monotonic() - self.last_data >= STALL_SECONDS

    def request_takeover(self) -> None:
        self.takeover = True
        if self.timeout is not None:  # wake the read it is blocked in
            self.timeout.reschedule(asyncio.get_running_loop().time())


class PatchLocks:
    def __init__(self, store: TusStore, owner: str, instance: str, lock_seconds: float) -> None:
        self.store = store
        self.owner = owner
        self.instance = instance
        self.lock_seconds = lock_seconds
        self.holders: dict[str, Holder] = {}
        self.acquiring: set[str] = set()

    def writing(self, upload_id: str) -> bool:
        return upload_id in self.holders

    def starting(self, upload_id: str) -> None:
        """A new upload's creation request holds its lock from the start (creation-with-upload)."""
        self.acquiring.add(upload_id)

    async def stop_stalled(self, upload_id: str) -> bool:
        """Ask a stalled PATCH of this upload to commit and let go; True if there was one."""
        holder = self.holders.get(upload_id)
        if holder is None or not holder.stalled:
            return False
        holder.request_takeover()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(holder.released.wait(), TAKEOVER_WAIT_SECONDS)
        return True

    async def acquire(self, row: TusUpload) -> str:
        """The lock's token: 423 while another PATCH is receiving; a stalled one is asked to stop."""
        if row.id in self.acquiring:
            raise Locked("another request for this upload is starting; retry shortly", code="upload_locked")
        holder = self.holders.get(row.id)
        if holder is not None:
            if not holder.stalled:
                raise Locked("another PATCH is writing this upload; retry shortly", code="upload_locked")
            holder.request_takeover()
            try:
                await asyncio.wait_for(holder.released.wait(), TAKEOVER_WAIT_SECONDS)
            except TimeoutError:
                raise Locked("a stalled PATCH is still releasing this upload", code="upload_locked") from None
        if row.id in self.acquiring or row.id in self.holders:
            raise Locked("another request took this upload first; retry shortly", code="upload_locked")
        self.acquiring.add(row.id)
        token = new_id()
        try:
            current, ok = await asyncio.to_thread(
                self.store.acquire, row.id, token, self.owner, self.instance, self.lock_seconds
            )
        except BaseException:
            self.acquiring.discard(row.id)
            raise
        if not ok:
            self.acquiring.discard(row.id)
            if current is not None and current.state is not UploadState.RECEIVING:
                raise Conflict("the upload is no longer receiving data", code="upload_finished")
            raise Locked("another PATCH holds this upload; retry shortly", code="upload_locked")
        if current is not None and current.offset != row.offset:
            self.acquiring.discard(row.id)
            await asyncio.to_thread(self.store.release, row.id, token)
            raise Conflict("the upload moved on; HEAD it for the current offset", code="offset_mismatch")
        return token

    def hold(self, upload_id: str) -> Holder:
        """The lock is acquired: the request now writes (and may be asked to stop)."""
        holder = Holder()
        self.holders[upload_id] = holder
        self.acquiring.discard(upload_id)
        return holder

    def drop(self, upload_id: str) -> None:
        self.acquiring.discard(upload_id)
        holder = self.holders.pop(upload_id, None)
        if holder is not None:
            holder.released.set()
