"""The ``tus_uploads`` table: guarded state changes, the PATCH lock lease, per-user usage. Synchronous."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, Row, and_, delete, func, insert, or_, select, update

from reelq.db.schema import tus_uploads
from reelq.errors import RateLimited, UploadTooLarge
from reelq.timeutil import now


class UploadState(StrEnum):
    RECEIVING = "receiving"  # bytes may still arrive
    COMPLETE = "complete"  # every byte stored and the job created (``job_id`` set)
    TERMINATED = "terminated"  # DELETEd by the client; a tombstone
    EXPIRED = "expired"  # not finished in time; the file is gone; a tombstone
    REJECTED = "rejected"  # the bytes are not a video; the file is gone; a tombstone


@dataclass(frozen=True)
class TusUpload:
    id: str
    user_id: str
    state: UploadState
    length: int
    offset: int
    raw_metadata: str
    metadata: dict[str, str]
    content_type: str | None
    extension: str | None
    job_id: str | None
    lock_token: str | None
    lock_owner: str | None
    lock_expires_at: float | None
    created_at: float
    expires_at: float
    parts_json: str | None = None

    @classmethod
    def from_row(cls, row: Row[Any]) -> TusUpload:
        m = row._mapping
        return cls(
            id=m["id"],
            user_id=m["user_id"],
            state=UploadState(m["state"]),
            length=int(m["length"]),
            offset=int(m["offset"]),
            raw_metadata=m["raw_metadata"],
            metadata=json.loads(m["metadata_json"] or "{}"),
            content_type=m["content_type"],
            extension=m["extension"],
            job_id=m["job_id"],
            lock_token=m["lock_token"],
            lock_owner=m["lock_owner"],
            lock_expires_at=m["lock_expires_at"],
            created_at=m["created_at"],
            expires_at=m["expires_at"],
            parts_json=m["parts_json"],
        )


def process_owner(instance: str) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{instance}"


def owner_is_dead(owner: str | None, instance: str) -> bool:
    """True when the lock holder was a process on this host that no longer runs (e.g. after kill -9)."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text, _, their_instance = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine: only the lease can tell
    pid = int(pid_text)
    if pid == os.getpid():
        return their_instance != instance  # same pid, other life of this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class TusStore:
    def __init__(self, engine: Engine, clock: Callable[[], float] = now) -> None:
        self.engine = engine
        self.clock = clock

    def create(
        self,
        values: dict[str, Any],
        *,
        max_incomplete: int,
        max_incomplete_bytes: int,
        lock_token: str | None = None,
        lock_owner: str | None = None,
        lock_seconds: float = 0.0,
    ) -> TusUpload:
        """Insert a ``receiving`` upload unless the user's incomplete uploads would pass the limits."""
        t = self.clock()
        with self.engine.begin() as conn:
            count, total = conn.execute(
                select(func.count(), func.coalesce(func.sum(tus_uploads.c.length), 0)).where(
                    tus_uploads.c.user_id == values["user_id"],
                    tus_uploads.c.state == UploadState.RECEIVING.value,
                    tus_uploads.c.expires_at > t,
                )
            ).one()
            if count >= max_incomplete:
                raise RateLimited(
                    f"you already have {count} unfinished uploads (limit {max_incomplete}); "
                    "finish or DELETE one first",
                    code="too_many_incomplete_uploads",
                )
            if int(total) + int(values["length"]) > max_incomplete_bytes:
                raise UploadTooLarge(
                    f"your unfinished uploads would total more than {max_incomplete_bytes} bytes; "
                    "finish or DELETE one first",
                    code="incomplete_uploads_too_large",
                )
            row = {
                "state": UploadState.RECEIVING.value,
                "offset": 0,
                "created_at": t,
                "updated_at": t,
                "lock_token": lock_token,
                "lock_owner": lock_owner,
                "lock_expires_at": t + lock_seconds if lock_token else None,
                **values,
            }
            row["metadata_json"] = json.dumps(row.pop("metadata", {}))
            conn.execute(insert(tus_uploads).values(**row))
            got = conn.execute(select(tus_uploads).where(tus_uploads.c.id == row["id"])).one()
        return TusUpload.from_row(got)

    def get(self, upload_id: str) -> TusUpload | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(tus_uploads).where(tus_uploads.c.id == upload_id)).first()
        return TusUpload.from_row(row) if row is not None else None

    def acquire(
        self, upload_id: str, token: str, owner: str, instance: str, lock_seconds: float
    ) -> tuple[TusUpload | None, bool]:
        """Take the PATCH lock if it is free, its lease lapsed, or its holder's process died."""
        t = self.clock()
        with self.engine.begin() as conn:
            row = conn.execute(select(tus_uploads).where(tus_uploads.c.id == upload_id)).first()
            if row is None:
                return None, False
            current = TusUpload.from_row(row)
            if current.state is not UploadState.RECEIVING:
                return current, False
            free = (
                current.lock_token is None
                or (current.lock_expires_at or 0.0) < t
                or owner_is_dead(current.lock_owner, instance)
            )
            if not free:
                return current, False
            guard = (
                tus_uploads.c.lock_token.is_(None)
                if current.lock_token is None
                else tus_uploads.c.lock_token == current.lock_token
            )
            matched = conn.execute(
                update(tus_uploads)
                .where(tus_uploads.c.id == upload_id, guard)
                .values(lock_token=token, lock_owner=owner, lock_expires_at=t + lock_seconds)
            ).rowcount
            got = conn.execute(select(tus_uploads).where(tus_uploads.c.id == upload_id)).one()
        return TusUpload.from_row(got), matched == 1

    def renew(self, upload_id: str, token: str, lock_seconds: float) -> bool:
        with self.engine.begin() as conn:
            matched = conn.execute(
                update(tus_uploads)
                .where(tus_uploads.c.id == upload_id, tus_uploads.c.lock_token == token)
                .values(lock_expires_at=self.clock() + lock_seconds)
            ).rowcount
        return bool(matched == 1)

    def commit_offset(
        self,
        upload_id: str,
        token: str,
        offset: int,
        *,
        expires_at: float,
        release: bool,
        lock_seconds: float,
        container: tuple[str, str] | None = None,
        parts_json: str | None = None,
    ) -> bool:
        """Record bytes that are already fsynced. Only the lock holder can move the offset.

        ``parts_json``: in object storage, where those bytes are (written in the same statement)."""
        t = self.clock()
        values: dict[str, Any] = {"offset": offset, "updated_at": t, "expires_at": expires_at}
        if parts_json is not None:
            values["parts_json"] = parts_json
        if release:
            values.update(lock_token=None, lock_owner=None, lock_expires_at=None)
        else:
            values["lock_expires_at"] = t + lock_seconds
        if container is not None:
            values["content_type"], values["extension"] = container
        with self.engine.begin() as conn:
            matched = conn.execute(
                update(tus_uploads)
                .where(
                    tus_uploads.c.id == upload_id,
                    tus_uploads.c.lock_token == token,
                    tus_uploads.c.state == UploadState.RECEIVING.value,
                    tus_uploads.c.offset <= offset,
                )
                .values(**values)
            ).rowcount
        return bool(matched == 1)

    def release(self, upload_id: str, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(tus_uploads)
                .where(tus_uploads.c.id == upload_id, tus_uploads.c.lock_token == token)
                .values(lock_token=None, lock_owner=None, lock_expires_at=None)
            )

    def complete(self, upload_id: str, token: str, job_id: str, sha256: str) -> bool:
        """receiving (every byte stored) → complete, once: the guard that makes one upload one job."""
        with self.engine.begin() as conn:
            matched = conn.execute(
                update(tus_uploads)
                .where(
                    tus_uploads.c.id == upload_id,
                    tus_uploads.c.lock_token == token,
                    tus_uploads.c.state == UploadState.RECEIVING.value,
                    tus_uploads.c.offset == tus_uploads.c.length,
                )
                .values(
                    state=UploadState.COMPLETE.value,
                    job_id=job_id,
                    sha256=sha256,
                    updated_at=self.clock(),
                    lock_token=None,
                    lock_owner=None,
                    lock_expires_at=None,
                )
            ).rowcount
        return bool(matched == 1)

    def end(self, upload_id: str, to: UploadState, *, token: str | None = None) -> bool:
        """receiving → a tombstone state. With ``token`` only the lock holder may do it."""
        conditions = [tus_uploads.c.id == upload_id, tus_uploads.c.state == UploadState.RECEIVING.value]
        if token is not None:
            conditions.append(tus_uploads.c.lock_token == token)
        with self.engine.begin() as conn:
            matched = conn.execute(
                update(tus_uploads)
                .where(*conditions)
                .values(
                    state=to.value,
                    updated_at=self.clock(),
                    lock_token=None,
                    lock_owner=None,
                    lock_expires_at=None,
                )
            ).rowcount
        return bool(matched == 1)

    def expire_due(self) -> list[TusUpload]:
        """Mark incomplete uploads past their expiry (and not being written) expired; return them."""
        t = self.clock()
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(tus_uploads).where(
                    tus_uploads.c.state == UploadState.RECEIVING.value,
                    tus_uploads.c.expires_at < t,
                    or_(tus_uploads.c.lock_token.is_(None), tus_uploads.c.lock_expires_at < t),
                )
            ).all()
            expired: list[TusUpload] = []
            for row in rows:
                matched = conn.execute(
                    update(tus_uploads)
                    .where(
                        tus_uploads.c.id == row.id,
                        tus_uploads.c.state == UploadState.RECEIVING.value,
                        tus_uploads.c.expires_at < t,
                    )
                    .values(state=UploadState.EXPIRED.value, updated_at=t, lock_token=None, lock_owner=None)
                ).rowcount
                if matched == 1:
                    expired.append(TusUpload.from_row(row))
        return expired

    def purge_tombstones(self, older_than: float) -> int:
        """Forget ended uploads after a while (their URLs then answer 404 instead of 410)."""
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    delete(tus_uploads).where(
                        and_(
                            tus_uploads.c.state.in_(
                                [
                                    UploadState.TERMINATED.value,
                                    UploadState.EXPIRED.value,
                                    UploadState.REJECTED.value,
                                ]
                            ),
                            tus_uploads.c.updated_at < older_than,
                        )
                    )
                ).rowcount
            )
