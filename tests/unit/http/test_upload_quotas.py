"""Upload quotas count what is stored: bytes as they arrive (chunked and parallel uploads too), and a
replay of an upload whose job exists spends no quota."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from reelq.app import create_app

from support import fast_settings

BOUNDARY = "reelqtestboundary"
CTYPE = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(data: bytes) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="video"; filename="clip.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def pieces(body: bytes, size: int = 16 * 1024) -> Iterator[bytes]:
    for i in range(0, len(body), size):
        yield body[i : i + size]


def test_a_chunked_upload_is_counted_by_the_bytes_it_sends(tmp_path: Path, clip: Path) -> None:
    size = clip.stat().st_size
    app = create_app(
        fast_settings(tmp_path / "data", embedded_worker=False, limit_storage_bytes=size * 3 // 2)
    )
    body = multipart(clip.read_bytes())
    with TestClient(app) as c:
        rt = app.state.runtime
        _, token = rt.users.create("chunky")
        auth = {"Authorization": f"Bearer {token}", "Content-Type": CTYPE}
        first = c.post("/api/upload", content=pieces(body), headers=auth)  # no Content-Length
        assert first.status_code == 202, first.text
        second = c.post("/api/upload", content=pieces(body), headers=auth)
        assert second.status_code == 507, second.text
        assert second.json()["code"] == "storage_quota_exceeded"
        user = rt.users.by_name("chunky")
        assert rt.limiter.stored_bytes(user.id) <= size * 3 // 2


async def test_parallel_uploads_share_the_room_left(tmp_path: Path, clip: Path) -> None:
    size = clip.stat().st_size
    app = create_app(
        fast_settings(tmp_path / "data", embedded_worker=False, limit_storage_bytes=size * 3 // 2)
    )
    rt = app.state.runtime
    user, token = rt.users.create("eager")
    body = multipart(clip.read_bytes())

    async def trickled() -> AsyncIterator[bytes]:
        for piece in pieces(body, 8 * 1024):
            await asyncio.sleep(0.002)  # the uploads' bytes arrive interleaved
            yield piece

    headers = {"Authorization": f"Bearer {token}", "Content-Type": CTYPE}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        answers = await asyncio.gather(
            *(c.post("/api/upload", content=trickled(), headers=headers) for _ in range(3))
        )
    codes = sorted(r.status_code for r in answers)
    assert codes.count(202) == 1 and codes.count(507) == 2, [r.text for r in answers]
    assert rt.limiter.stored_bytes(user.id) <= size * 3 // 2


def test_a_replay_spends_no_upload_quota(tmp_path: Path, clip: Path) -> None:
    app = create_app(fast_settings(tmp_path / "data", embedded_worker=False, limit_uploads_per_minute=2))
    with TestClient(app) as c:
        _, token = app.state.runtime.users.create("retrier")
        auth = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-1"}
        if 60 - time.time() % 60 < 10:  # not across a minute's edge
            time.sleep(60 - time.time() % 60 + 0.05)
        codes = [
            c.post("/api/upload", headers=auth, files={"video": ("clip.mp4", clip.read_bytes())}).status_code
            for _ in range(4)
        ]
        assert codes == [202, 200, 200, 200]
        other = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-2"}
        r = c.post("/api/upload", headers=other, files={"video": ("clip.mp4", clip.read_bytes())})
        assert r.status_code == 202  # the replays left the second upload of the minute
