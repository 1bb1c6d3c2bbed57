"""The PATCH lock, takeover of stalled PATCHes, idle timeouts and crash recovery (transport-free core)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from reelq.db.schema import tus_uploads
from reelq.errors import Conflict, Locked
from reelq.runtime import Runtime
from reelq.testing import make_clip
from reelq.uploads import tus_lock
from reelq.uploads.tus import TusUploads
from reelq.uploads.tus_finish import idempotency_key
from reelq.uploads.tus_store import UploadState

V = {"tus-resumable": "1.0.0", "content-type": "application/offset+octet-stream"}


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_clip(tmp_path_factory.mktemp("lock") / "clip.mp4", seconds=1.0).read_bytes()


@pytest.fixture
def tus(runtime: Runtime) -> TusUploads:
    return runtime.tus


@pytest.fixture
def user(runtime: Runtime) -> str:
    u, _ = runtime.users.create("alice")
    return u.id


async def body(*parts: bytes, hang: asyncio.Event | None = None) -> AsyncIterator[bytes]:
    for part in parts:
        yield part
    if hang is not None:
        await hang.wait()  # a client whose connection is half-open: nothing more ever arrives


async def new_upload(tus: TusUploads, user: str, length: int) -> str:
    resp = await tus.create(user, {"upload-length": str(length)}, body(), "")
    return resp.headers["Location"].rsplit("/", 1)[1]


def patch(tus: TusUploads, user: str, upload_id: str, offset: int, chunks: AsyncIterator[bytes]):  # type: ignore[no-untyped-def]
    return tus.patch(user, upload_id, {**V, "upload-offset": str(offset)}, chunks)


async def test_second_patch_while_one_is_receiving_gets_423(tus: TusUploads, user: str, video: bytes) -> None:
    uid = await new_upload(tus, user, len(video))
    gate = asyncio.Event()
    first = asyncio.create_task(patch(tus, user, uid, 0, body(video[:2000], hang=gate)))
    await asyncio.sleep(0.2)
    with pytest.raises(Locked):
        await patch(tus, user, uid, 0, body(video[:10]))
    with pytest.raises(Locked):
        await tus.terminate(user, uid)
    gate.set()
    resp = await first
    assert resp.headers["Upload-Offset"] == "2000"


async def test_stalled_patch_is_taken_over_quickly_without_stalling_the_loop(
    tus: TusUploads, user: str, video: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tus_lock, "STALL_SECONDS", 0.3)
    uid = await new_upload(tus, user, len(video))
    other = await new_upload(tus, user, len(video))
    stranded = asyncio.create_task(patch(tus, user, uid, 0, body(video[:3000], hang=asyncio.Event())))
    await asyncio.sleep(0.5)
    # An unrelated request is not held up by the stranded one.
    t0 = time.monotonic()
    await tus.head(user, other)
    assert time.monotonic() - t0 < 0.5
    # The reconnecting client: HEAD stops the stalled PATCH and sees the bytes it had received.
    t0 = time.monotonic()
    head = await tus.head(user, uid)
    assert head.headers["Upload-Offset"] == "3000"
    assert time.monotonic() - t0 < 2.0
    resp = await asyncio.wait_for(stranded, 2.0)
    assert resp.headers["Upload-Offset"] == "3000"
    done = await patch(tus, user, uid, 3000, body(video[3000:]))
    assert done.headers["Upload-Job-Id"]


async def test_patch_with_stale_offset_takes_over_then_gets_409(
    tus: TusUploads, user: str, video: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tus_lock, "STALL_SECONDS", 0.3)
    uid = await new_upload(tus, user, len(video))
    stranded = asyncio.create_task(patch(tus, user, uid, 0, body(video[:3000], hang=asyncio.Event())))
    await asyncio.sleep(0.5)
    with pytest.raises(Conflict):
        await patch(tus, user, uid, 0, body(video[:100]))
    await asyncio.wait_for(stranded, 2.0)
    assert (await tus.head(user, uid)).headers["Upload-Offset"] == "3000"


async def test_idle_patch_ends_itself_and_keeps_its_bytes(tus: TusUploads, user: str, video: bytes) -> None:
    tus.config = dataclasses.replace(tus.config, idle_seconds=0.3)
    uid = await new_upload(tus, user, len(video))
    resp = await asyncio.wait_for(patch(tus, user, uid, 0, body(video[:1234], hang=asyncio.Event())), 3.0)
    assert resp.headers["Upload-Offset"] == "1234"


async def test_lock_of_a_dead_process_is_taken_over(
    tus: TusUploads, runtime: Runtime, user: str, video: bytes
) -> None:
    uid = await new_upload(tus, user, len(video))
    import socket

    def hold(owner: str, expires: float) -> None:
        with runtime.engine.begin() as conn:
            conn.execute(
                update(tus_uploads)
                .where(tus_uploads.c.id == uid)
                .values(lock_token="x", lock_owner=owner, lock_expires_at=expires)
            )

    hold("other-host:1:abc", time.time() + 60)  # a live lease on another machine
    with pytest.raises(Locked):
        await patch(tus, user, uid, 0, body(video[:10]))
    hold("other-host:1:abc", time.time() - 1)  # its lease lapsed
    assert (await patch(tus, user, uid, 0, body(video[:10]))).headers["Upload-Offset"] == "10"
    hold(f"{socket.gethostname()}:999999:abc", time.time() + 60)  # killed with -9 on this host
    assert (await patch(tus, user, uid, 10, body(video[10:20]))).headers["Upload-Offset"] == "20"


async def test_bytes_past_the_committed_offset_are_dropped(tus: TusUploads, user: str, video: bytes) -> None:
    uid = await new_upload(tus, user, len(video))
    await patch(tus, user, uid, 0, body(video[:5000]))
    with tus.finisher.data_path(uid).open("ab") as fh:  # written but never committed (a crash)
        fh.write(b"garbage" * 100)
    resp = await patch(tus, user, uid, 5000, body(video[5000:]))
    job = tus.intake.service.get(user, resp.headers["Upload-Job-Id"])
    assert job.file_sha256 == hashlib.sha256(video).hexdigest()


async def test_crash_between_last_commit_and_job_is_finished_by_head(
    tus: TusUploads, runtime: Runtime, user: str, video: bytes
) -> None:
    uid = await new_upload(tus, user, len(video))
    path: Path = tus.finisher.data_path(uid)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(video)
    with runtime.engine.begin() as conn:  # every byte committed, then the process died
        conn.execute(update(tus_uploads).where(tus_uploads.c.id == uid).values(offset=len(video)))
    tus.finisher._hashes.clear()
    first = await tus.head(user, uid)
    again = await tus.head(user, uid)
    assert first.headers["Upload-Job-Id"] == again.headers["Upload-Job-Id"]
    jobs, _ = runtime.service.list(user, [], 10, None)
    assert len(jobs) == 1 and jobs[0].file_sha256 == hashlib.sha256(video).hexdigest()


async def test_crash_after_the_job_insert_replays_the_same_job(
    tus: TusUploads, runtime: Runtime, user: str, video: bytes
) -> None:
    uid = await new_upload(tus, user, len(video))
    await patch(tus, user, uid, 0, body(video[:-1]))
    original = tus.intake.service.submit

    def submit_then_die(*args, **kwargs):  # type: ignore[no-untyped-def]
        original(*args, **kwargs)
        raise OSError("power cut after the job row was committed")

    tus.intake.service.submit = submit_then_die  # type: ignore[method-assign]
    with pytest.raises(OSError):
        await patch(tus, user, uid, len(video) - 1, body(video[-1:]))
    tus.intake.service.submit = original  # type: ignore[method-assign]
    row = runtime.tus.store.get(uid)
    assert row is not None and row.state is UploadState.RECEIVING and row.offset == len(video)
    resp = await patch(tus, user, uid, len(video), body())
    job_id = resp.headers["Upload-Job-Id"]
    assert runtime.store.by_idempotency_key(user, idempotency_key(uid)).id == job_id  # type: ignore[union-attr]
    jobs, _ = runtime.service.list(user, [], 10, None)
    assert [j.id for j in jobs] == [job_id]
